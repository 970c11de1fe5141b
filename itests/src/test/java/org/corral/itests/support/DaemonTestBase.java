package org.corral.itests.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.corral.api.Daemon;
import org.corral.api.DaemonState;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;

/**
 * Base of the Pax Exam tests that run daemons (Corral must be installed before the test class loads, as
 * in the project's distribution): daemon configurations written to etc/, waits on the {@link Daemon}
 * services driven by service events, and the clean-up after each test.
 */
public abstract class DaemonTestBase extends DaemonCfgTestBase {

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

    /** The current Daemon services named {@code name} (normally zero or one). */
    @SuppressWarnings("unchecked")
    protected List<ServiceReference<Daemon>> daemonRefs(String name) {
        List<ServiceReference<Daemon>> out = new ArrayList<>();
        daemonServices(name).forEach(r -> out.add((ServiceReference<Daemon>) r));
        return out;
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
