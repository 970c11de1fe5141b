package org.corral.itests.support;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.karaf.options.KarafDistributionOption;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.AllServiceListener;
import org.osgi.framework.ServiceReference;

/**
 * Base of the Pax Exam tests that hand daemons over from one activation of the supervisor bundle to the next.
 *
 * <p>Unlike {@link DaemonTestBase} it never loads a class of {@code org.corral.api}: the test probe imports
 * packages dynamically, and a probe wired to {@code org.corral.api} would itself be stopped and restarted by a
 * {@code bundle:refresh} of that bundle in the middle of the test. Daemons are observed through their service
 * properties ({@code daemon.name}, {@code daemon.state}, {@code daemon.pid}, {@code daemon.helper.pid}), through
 * reflection on the service object (restarts, byte counters), through the console and through the dedicated
 * log of the daemon loggers ({@link DaemonLines}). Service events are received through {@link AllServiceListener}s:
 * Felix checks whether a plain {@code ServiceListener}'s bundle can see the service's class by loading it through
 * that bundle, which with {@code DynamicImport-Package: *} wires the probe to {@code org.corral.api}.
 */
public abstract class HandOverTestBase extends DaemonCfgTestBase {

    public static final String PROP_STATE = "daemon.state";
    public static final String PROP_PID = "daemon.pid";
    public static final String PROP_HELPER_PID = "daemon.helper.pid";

    /** The framework property that sets the lease of a hand-over. */
    public static final String LEASE_PROPERTY = "org.corral.handover.lease.ms";
    /** The file the supervisor writes to its bundle data area when it hands its daemons over. */
    public static final String HANDOVER_FILE = "handover.properties";

    /** Options: the lease in etc/system.properties and the daemon loggers to their own file. */
    public static Option[] handOverOptions(long leaseMs) {
        List<Option> options = new ArrayList<>();
        options.add(KarafDistributionOption.editConfigurationFilePut("etc/system.properties", LEASE_PROPERTY,
                Long.toString(leaseMs)));
        DaemonLines.LOGGING_CONFIG.forEach((k, v) -> options.add(
                KarafDistributionOption.editConfigurationFilePut("etc/org.ops4j.pax.logging.cfg", k, v)));
        return options.toArray(new Option[0]);
    }

    /** The dedicated log of the daemon loggers in this Karaf. */
    protected static DaemonLines daemonLines() {
        return new DaemonLines(karafData().resolve(DaemonLines.FILE));
    }

    /** Before the clean-up: the supervisor is started again if a test left it stopped (else nothing acts on deletions). */
    @Override
    protected void beforeDaemonCleanUp() {
        Bundle supervisor = bundle(SUPERVISOR);
        if (supervisor != null && supervisor.getState() != Bundle.ACTIVE) {
            try {
                supervisor.start();
            } catch (BundleException e) {
                System.out.println("HandOverTestBase: cannot start " + SUPERVISOR + " for the clean-up: " + e);
            }
        }
    }

    // ---------------------------------------------------------------- daemon services, untyped

    /** One Daemon service as its properties show it. */
    public static final class DaemonView {
        public final String name;
        public final long serviceId;
        public final String state;
        public final Long pid;
        public final Long helperPid;
        public final ServiceReference<?> ref;

        DaemonView(ServiceReference<?> ref) {
            this.ref = ref;
            this.name = String.valueOf(ref.getProperty(PROP_NAME));
            this.serviceId = (Long) ref.getProperty(Constants.SERVICE_ID);
            this.state = String.valueOf(ref.getProperty(PROP_STATE));
            this.pid = toLong(ref.getProperty(PROP_PID));
            this.helperPid = toLong(ref.getProperty(PROP_HELPER_PID));
        }

        /** RUNNING or READY with a program pid. */
        public boolean running() {
            return ("RUNNING".equals(state) || "READY".equals(state)) && pid != null;
        }

        @Override
        public String toString() {
            return name + "[service " + serviceId + " " + state + " pid " + pid + " helper " + helperPid + "]";
        }
    }

    static Long toLong(Object o) {
        if (o instanceof Number) {
            return ((Number) o).longValue();
        }
        return o == null ? null : Long.valueOf(o.toString());
    }

    private static String allDaemonsFilter() {
        return "(" + Constants.OBJECTCLASS + "=" + DAEMON_CLASS + ")";
    }

    /** Every registered Daemon service named {@code name} (any class space), oldest first. */
    protected List<DaemonView> views(String name) {
        List<DaemonView> out = new ArrayList<>();
        daemonServices(name).forEach(r -> out.add(new DaemonView(r)));
        return out;
    }

    /** The newest Daemon service of each name, or null. */
    protected Map<String, DaemonView> newest(Collection<String> names) {
        Map<String, DaemonView> out = new LinkedHashMap<>();
        for (String n : names) {
            List<DaemonView> v = views(n);
            out.put(n, v.isEmpty() ? null : v.get(v.size() - 1));
        }
        return out;
    }

    /** The highest service id of any Daemon service now (0 when none). */
    protected long maxDaemonServiceId() {
        try {
            ServiceReference<?>[] refs = bundleContext.getAllServiceReferences(null, allDaemonsFilter());
            long max = 0;
            if (refs != null) {
                for (ServiceReference<?> r : refs) {
                    max = Math.max(max, (Long) r.getProperty(Constants.SERVICE_ID));
                }
            }
            return max;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits, driven by service events, until for every name the newest Daemon service satisfies {@code
     * condition}; returns those services. Fails after {@code bound}, showing what was registered.
     */
    protected Map<String, DaemonView> awaitAll(Collection<String> names, String what, Predicate<DaemonView> condition,
            Duration bound) {
        Semaphore changed = new Semaphore(0);
        AllServiceListener listener = event -> changed.release();
        try {
            bundleContext.addServiceListener(listener, allDaemonsFilter());
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        try {
            long deadline = System.nanoTime() + bound.toNanos();
            while (true) {
                changed.drainPermits();
                Map<String, DaemonView> now = newest(names);
                if (now.values().stream().allMatch(v -> v != null && condition.test(v))) {
                    return now;
                }
                long left = deadline - System.nanoTime();
                // a periodic look as well: a property change that races with the listener's registration
                if (left <= 0 || !changed.tryAcquire(Math.min(left, TimeUnit.SECONDS.toNanos(1)),
                        TimeUnit.NANOSECONDS)) {
                    if (System.nanoTime() - deadline >= 0) {
                        throw new AssertionError("daemons not " + what + " within " + bound.toSeconds() + " s: "
                                + names.stream().map(n -> n + " " + views(n)).collect(Collectors.joining("\n  ",
                                        "\n  ", "\n")) + corralBundles() + karafLogExcerpt());
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

    /**
     * Calls a no-argument method of the {@code org.corral.api.Daemon} interface on the service object, through
     * the interface as the service's own class loader sees it (so whichever revision of the API it was built
     * against).
     */
    protected Object call(DaemonView view, String method) {
        Object service = bundleContext.getService(view.ref);
        if (service == null) {
            throw new AssertionError("the service of " + view + " is gone");
        }
        try {
            Method m = daemonInterface(service.getClass()).getMethod(method);
            return m.invoke(service);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot call Daemon." + method + "() on " + view + ": " + e, e);
        } finally {
            bundleContext.ungetService(view.ref);
        }
    }

    private static Class<?> daemonInterface(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (i.getName().equals(DAEMON_CLASS)) {
                    return i;
                }
            }
        }
        throw new AssertionError(type + " does not implement " + DAEMON_CLASS);
    }

    // ---------------------------------------------------------------- hand-over state

    /** The supervisor's bundle data area (Felix keeps it as data/cache/bundle{@code id}/data). */
    protected static Path supervisorDataArea(long bundleId) {
        return karafData().resolve("cache").resolve("bundle" + bundleId).resolve("data");
    }

    /** The hand-over state file the supervisor writes when it detaches (it may not exist). */
    protected static Path handOverFile(long bundleId) {
        return supervisorDataArea(bundleId).resolve(HANDOVER_FILE);
    }

    protected static Properties load(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
        return p;
    }

    /** The entry {@code daemon.<i>.*} of {@code name} in a hand-over file, as key suffix → value. */
    public static Map<String, String> handOverEntry(Properties handOver, String name) {
        for (String key : handOver.stringPropertyNames()) {
            if (key.startsWith("daemon.") && key.endsWith(".name") && name.equals(handOver.getProperty(key))) {
                String prefix = key.substring(0, key.length() - "name".length());
                Map<String, String> entry = new LinkedHashMap<>();
                for (String k : handOver.stringPropertyNames()) {
                    if (k.startsWith(prefix)) {
                        entry.put(k.substring(prefix.length()), handOver.getProperty(k));
                    }
                }
                return entry;
            }
        }
        throw new AssertionError("no daemon." + "<i>.name = " + name + " in the hand-over file: " + handOver);
    }

    /** The names of the daemons in a hand-over file. */
    public static Set<String> handOverNames(Properties handOver) {
        return handOver.stringPropertyNames().stream()
                .filter(k -> k.startsWith("daemon.") && k.endsWith(".name") && k.split("\\.").length == 3)
                .map(handOver::getProperty).collect(Collectors.toSet());
    }
}
