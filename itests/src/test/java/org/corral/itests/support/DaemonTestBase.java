package org.corral.itests.support;

import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.corral.api.Daemon;
import org.corral.api.DaemonState;
import org.junit.After;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;

/**
 * Base of the Pax Exam tests that run daemons (Corral must be installed before the test class loads, as
 * in the project's distribution): daemon configurations written to etc/, waits on the {@link Daemon}
 * services driven by service events, and the clean-up after each test.
 */
public abstract class DaemonTestBase extends KarafTestBase {

    /** Daemon configurations and private program copies of the running test, cleaned up after it. */
    private final List<String> createdDaemons = new ArrayList<>();
    private final List<Path> progDirs = new ArrayList<>();

    /**
     * After each test: its daemon configurations are deleted, their daemons must go, and every process
     * that ran one of its private test programs must be gone (survivors are killed, then reported).
     */
    @After
    public void cleanUpDaemons() {
        try {
            for (String name : createdDaemons) {
                deleteDaemonCfg(name);
            }
            for (String name : createdDaemons) {
                awaitNoDaemon(name, Await.SECONDS);
            }
            List<ProcessHandle> left = new ArrayList<>();
            for (Path dir : progDirs) {
                left.addAll(Procs.awaitGone(Procs.runningFrom(dir), Await.SECONDS));
            }
            Procs.killSurvivors(left);
            assertTrue("processes survived the deletion of their daemon configurations:\n" + Procs.describe(left)
                    + karafLogExcerpt(), left.isEmpty());
        } finally {
            createdDaemons.clear();
            progDirs.clear();
        }
    }

    /** A private copy of the test programs for this test (see {@link ItestPaths#privateTestprogs}). */
    protected Path progs(String label) {
        Path dir = ItestPaths.privateTestprogs(label);
        progDirs.add(dir);
        return dir;
    }

    /**
     * Writes etc/org.corral.daemon-{@code name}.cfg with name, command and args (plus {@code more} as
     * key/value pairs), and remembers it for clean-up.
     */
    protected Path cfg(String name, String command, String args, String... more) {
        Map<String, String> p = new java.util.LinkedHashMap<>();
        p.put("name", name);
        p.put("command", command);
        if (args != null) {
            p.put("args", args);
        }
        for (int i = 0; i + 1 < more.length; i += 2) {
            p.put(more[i], more[i + 1]);
        }
        track(name);
        return writeDaemonCfg(name, p);
    }

    /** Remembers a daemon made another way (corral:create) for clean-up. */
    protected void track(String name) {
        if (!createdDaemons.contains(name)) {
            createdDaemons.add(name);
        }
    }

    // ---------------------------------------------------------------- daemons

    /** A condition on a daemon service, with a description for failure messages. */
    public interface DaemonCondition {
        boolean test(ServiceReference<Daemon> ref);
    }

    /** The service reference is in one of the given states and has a program pid. */
    protected static DaemonCondition runningIn(DaemonState... states) {
        Set<String> names = Arrays.stream(states).map(Enum::name).collect(Collectors.toSet());
        return ref -> names.contains(String.valueOf(ref.getProperty(Daemon.PROP_STATE)))
                && ref.getProperty(Daemon.PROP_PID) != null;
    }

    /** Alive (RUNNING or READY) with a program pid. */
    protected static final DaemonCondition RUNNING = runningIn(DaemonState.RUNNING, DaemonState.READY);

    private static String daemonFilter(String name) {
        return "(&(" + Constants.OBJECTCLASS + "=" + Daemon.class.getName() + ")(" + Daemon.PROP_NAME + "=" + name
                + "))";
    }

    /** The current Daemon services named {@code name} (normally zero or one). */
    @SuppressWarnings("unchecked")
    protected List<ServiceReference<Daemon>> daemonRefs(String name) {
        try {
            ServiceReference<?>[] refs = bundleContext.getAllServiceReferences(null, daemonFilter(name));
            List<ServiceReference<Daemon>> out = new ArrayList<>();
            if (refs != null) {
                for (ServiceReference<?> r : refs) {
                    out.add((ServiceReference<Daemon>) r);
                }
            }
            return out;
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad daemon name for a filter: " + name, e);
        }
    }

    private static String describe(ServiceReference<?> ref) {
        return "service " + ref.getProperty(Constants.SERVICE_ID) + " state=" + ref.getProperty(Daemon.PROP_STATE)
                + " pid=" + ref.getProperty(Daemon.PROP_PID);
    }

    /**
     * Waits, driven by service events (registration and property changes), until a Daemon service named
     * {@code name} satisfies {@code condition}; returns the service object. Fails after {@code bound}.
     */
    protected Daemon awaitDaemon(String name, String what, DaemonCondition condition, Duration bound) {
        Semaphore changed = new Semaphore(0);
        ServiceListener listener = event -> changed.release();
        try {
            bundleContext.addServiceListener(listener, daemonFilter(name));
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
        try {
            long deadline = System.nanoTime() + bound.toNanos();
            while (true) {
                for (ServiceReference<Daemon> ref : daemonRefs(name)) {
                    if (condition.test(ref)) {
                        Daemon d = bundleContext.getService(ref);
                        if (d != null) {
                            return d;
                        }
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !changed.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                    if (System.nanoTime() - deadline >= 0) {
                        throw new AssertionError("daemon '" + name + "' not " + what + " within " + bound.toSeconds()
                                + " s; its services: " + daemonRefs(name).stream().map(DaemonTestBase::describe)
                                        .collect(Collectors.toList()) + "\n" + corralBundles() + karafLogExcerpt());
                    }
                }
                changed.drainPermits();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            bundleContext.removeServiceListener(listener);
        }
    }

    /** Waits (event-driven) until no Daemon service named {@code name} is registered. */
    protected void awaitNoDaemon(String name, Duration bound) {
        Semaphore changed = new Semaphore(0);
        ServiceListener listener = event -> changed.release();
        try {
            bundleContext.addServiceListener(listener, daemonFilter(name));
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
        try {
            long deadline = System.nanoTime() + bound.toNanos();
            while (!daemonRefs(name).isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !changed.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                    if (!daemonRefs(name).isEmpty()) {
                        throw new AssertionError("daemon '" + name + "' still registered after " + bound.toSeconds()
                                + " s: " + daemonRefs(name).stream().map(DaemonTestBase::describe)
                                        .collect(Collectors.toList()) + karafLogExcerpt());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            bundleContext.removeServiceListener(listener);
        }
    }

    /** Waits until the daemon's recent output satisfies {@code condition} (output has no event to wait on). */
    protected static List<String> awaitOutput(Daemon daemon, String what, Duration bound,
            java.util.function.Predicate<List<String>> condition) {
        List<String>[] last = new List[1];
        Await.until("output of daemon '" + daemon.name() + "' to show " + what, bound, () -> {
            last[0] = daemon.recentLines(1000);
            return condition.test(last[0]);
        }, () -> "its last lines: " + tail(last[0], 20) + karafLogExcerpt());
        return last[0];
    }

    static String tail(List<String> lines, int n) {
        if (lines == null) {
            return "(none)";
        }
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    /** The integers printed on lines of their own (the pids the test programs print). */
    protected static List<Long> numbers(List<String> lines) {
        List<Long> out = new ArrayList<>();
        for (String l : lines) {
            String t = l.trim();
            if (t.matches("\\d{1,10}")) {
                out.add(Long.parseLong(t));
            }
        }
        return out;
    }

}
