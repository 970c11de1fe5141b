package org.corral.itests.support;

import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.osgi.framework.AllServiceListener;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What every daemon test needs, without loading a class of {@code org.corral.api} (a test that refreshes that
 * bundle must not be wired to it): daemon configurations written to etc/ and private copies of the test
 * programs, both cleaned up after each test, and an event-driven wait for a daemon's service to go. Daemon
 * services are matched by class name and received through {@link AllServiceListener}s: Felix checks whether a
 * plain {@code ServiceListener}'s bundle can see the service's class by loading it through that bundle.
 */
public abstract class DaemonCfgTestBase extends KarafTestBase {

    public static final String DAEMON_CLASS = "org.corral.api.Daemon";
    public static final String PROP_NAME = "daemon.name";

    /** Daemon configurations and private program copies of the running test, cleaned up after it. */
    private final List<String> createdDaemons = new ArrayList<>();
    private final List<Path> progDirs = new ArrayList<>();

    /** Runs first in the clean-up after each test (a subclass may need to put something back first). */
    protected void beforeDaemonCleanUp() {
    }

    /**
     * After each test: its daemon configurations are deleted, their daemons must go, and every process
     * that ran one of its private test programs must be gone (survivors are killed, then reported).
     */
    @After
    public void cleanUpDaemons() {
        try {
            beforeDaemonCleanUp();
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
        Map<String, String> p = new LinkedHashMap<>();
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

    /** The filter of the Daemon services named {@code name}. */
    protected static String daemonFilter(String name) {
        return "(&(" + Constants.OBJECTCLASS + "=" + DAEMON_CLASS + ")(" + PROP_NAME + "=" + name + "))";
    }

    /** Every registered Daemon service named {@code name} (any class space), oldest first. */
    protected List<ServiceReference<?>> daemonServices(String name) {
        try {
            ServiceReference<?>[] refs = bundleContext.getAllServiceReferences(null, daemonFilter(name));
            List<ServiceReference<?>> out = new ArrayList<>(refs == null ? List.of() : List.of(refs));
            out.sort((a, b) -> Long.compare((Long) a.getProperty(Constants.SERVICE_ID),
                    (Long) b.getProperty(Constants.SERVICE_ID)));
            return out;
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad daemon name for a filter: " + name, e);
        }
    }

    /** A service's properties, for failure messages. */
    protected static String describe(ServiceReference<?> ref) {
        return "{state=" + ref.getProperty("daemon.state") + ", pid=" + ref.getProperty("daemon.pid") + ", helper="
                + ref.getProperty("daemon.helper.pid") + ", service.id=" + ref.getProperty(Constants.SERVICE_ID) + "}";
    }

    /** Waits (event-driven) until no Daemon service named {@code name} is registered. */
    protected void awaitNoDaemon(String name, Duration bound) {
        Semaphore changed = new Semaphore(0);
        AllServiceListener listener = event -> changed.release();
        try {
            bundleContext.addServiceListener(listener, daemonFilter(name));
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
        try {
            long deadline = System.nanoTime() + bound.toNanos();
            while (!daemonServices(name).isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !changed.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                    if (!daemonServices(name).isEmpty()) {
                        List<String> seen = new ArrayList<>();
                        daemonServices(name).forEach(r -> seen.add(describe(r)));
                        throw new AssertionError("daemon '" + name + "' still registered after " + bound.toSeconds()
                                + " s: " + seen + karafLogExcerpt());
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
}
