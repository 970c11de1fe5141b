package org.corral.emulated;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.namespace.HostNamespace;
import org.osgi.framework.namespace.NativeNamespace;

/**
 * Boots a plain Felix framework with Corral's bundles and the probe bundle, checks which native fragment
 * attached, waits for the probe's report (ProcessService checks, see {@code ProbeActivator}), stops the
 * framework and checks that the programs it left running are gone. Meant to run on an emulated ARM JVM
 * (see {@code run-arm.sh}); works on any JVM.
 *
 * <pre>
 * java -cp felix.jar:probe.jar org.corral.emulated.ArmLauncher
 *      --bundles DIR --probe JAR --storage DIR --expect aarch64|armhf [--timeout SECONDS]
 * </pre>
 *
 * Prints what it sees and one {@code FAIL:} line per failed check; exits 0 when every check passed.
 */
public final class ArmLauncher {

    /** Framework property the probe reads to know which helper architecture must be in use. */
    public static final String EXPECT_PROPERTY = "corral.probe.expect";
    /** Service property of the report {@link Consumer} the probe hands its findings to. */
    public static final String REPORT_PROPERTY = "corral.probe.report";

    private static final String NATIVE_PREFIX = "org.corral.native.";

    private final List<String> failures = new ArrayList<>();

    public static void main(String[] args) {
        long t0 = System.nanoTime();
        int rc;
        try {
            Map<String, String> opts = parse(args);
            rc = new ArmLauncher().run(Path.of(opts.get("--bundles")), Path.of(opts.get("--probe")),
                    Path.of(opts.get("--storage")), opts.get("--expect"),
                    Duration.ofSeconds(Long.parseLong(opts.getOrDefault("--timeout", "300"))));
        } catch (Exception | Error e) {
            System.out.println("FAIL: launcher: " + e);
            e.printStackTrace(System.out);
            rc = 2;
        }
        System.out.printf("launcher: finished in %.1f s, %s%n", (System.nanoTime() - t0) / 1e9,
                rc == 0 ? "all checks passed" : "checks FAILED");
        // Exit even when a failure left framework threads behind.
        System.exit(rc);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String key = args[i];
            if (!List.of("--bundles", "--probe", "--storage", "--expect", "--timeout").contains(key)) {
                throw new IllegalArgumentException("unknown option '" + key + "'");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option '" + key + "' needs a value");
            }
            opts.put(key, args[++i]);
        }
        for (String required : List.of("--bundles", "--probe", "--storage", "--expect")) {
            if (!opts.containsKey(required)) {
                throw new IllegalArgumentException("option '" + required + "' is required");
            }
        }
        if (!List.of("aarch64", "armhf", "x86_64").contains(opts.get("--expect"))) {
            throw new IllegalArgumentException("--expect must be aarch64, armhf or x86_64, got '"
                    + opts.get("--expect") + "'");
        }
        return opts;
    }

    int run(Path bundleDir, Path probe, Path storage, String expectArch, Duration timeout) throws Exception {
        System.out.printf("launcher: JVM os.arch=%s java.version=%s, expecting fragment %s%s%n",
                System.getProperty("os.arch"), System.getProperty("java.version"), NATIVE_PREFIX, expectArch);
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(EXPECT_PROPERTY, expectArch);
        config.put("corral.probe.serviceWait", Long.toString(Math.max(10, timeout.toSeconds() / 2)));
        Framework framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        framework.init();
        long tBoot = System.nanoTime();

        CompletableFuture<Map<String, Object>> report = new CompletableFuture<>();
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(REPORT_PROPERTY, Boolean.TRUE);
        framework.getBundleContext().registerService(Consumer.class,
                (Consumer<Map<String, Object>>) report::complete, props);

        List<Bundle> bundles = new ArrayList<>();
        for (Path jar : jars(bundleDir)) {
            bundles.add(framework.getBundleContext().installBundle(jar.toUri().toString()));
        }
        bundles.add(framework.getBundleContext().installBundle(probe.toUri().toString()));
        framework.start();
        // Infrastructure first (SPI Fly and the SLF4J provider before anything logs), Corral next, the probe last.
        List<Bundle> startOrder = new ArrayList<>(bundles);
        startOrder.sort(Comparator.comparingInt(b -> b.getSymbolicName() == null ? 0
                : b.getSymbolicName().equals("org.corral.emulated.probe") ? 2
                : b.getSymbolicName().startsWith("org.corral.") ? 1 : 0));
        for (Bundle b : startOrder) {
            if (!isFragment(b)) {
                try {
                    b.start();
                } catch (BundleException e) {
                    failures.add("bundle " + b.getSymbolicName() + " did not start: " + e.getMessage());
                }
            }
        }
        System.out.printf("launcher: framework started with %d bundles in %.1f s%n", bundles.size(),
                (System.nanoTime() - tBoot) / 1e9);

        printNativeCapability(framework);
        printAndCheckWiring(bundles, expectArch);

        Map<String, Object> findings = Map.of();
        try {
            findings = report.get(timeout.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            failures.add("the probe bundle did not report within " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            failures.add("the probe bundle failed: " + e.getCause());
        }
        for (Object line : (List<?>) findings.getOrDefault("lines", List.of())) {
            System.out.println("probe: " + line);
        }
        for (Object failure : (List<?>) findings.getOrDefault("failures", List.of())) {
            failures.add("probe: " + failure);
        }
        @SuppressWarnings("unchecked")
        List<Long> leftRunning = (List<Long>) findings.getOrDefault("leftRunning", List.of());

        long tStop = System.nanoTime();
        framework.stop();
        FrameworkEvent stopped = framework.waitForStop(120_000);
        System.out.printf("launcher: framework stopped (%s) in %.1f s%n",
                stopped.getType() == FrameworkEvent.STOPPED ? "STOPPED" : "event " + stopped.getType(),
                (System.nanoTime() - tStop) / 1e9);
        for (long pid : leftRunning) {
            checkGone(pid, "a daemon's program still running when the framework stopped");
        }

        for (String failure : failures) {
            System.out.println("FAIL: " + failure);
        }
        return failures.isEmpty() ? 0 : 1;
    }

    private static List<Path> jars(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> jars = new ArrayList<>(s.filter(p -> p.toString().endsWith(".jar")).toList());
            jars.sort(Comparator.comparing(Path::toString));
            if (jars.isEmpty()) {
                throw new IllegalArgumentException("no bundles (*.jar) in " + dir);
            }
            return jars;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static boolean isFragment(Bundle b) {
        BundleRevision rev = b.adapt(BundleRevision.class);
        return rev != null && (rev.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    private static void printNativeCapability(Framework framework) {
        BundleRevision sys = framework.adapt(BundleRevision.class);
        for (BundleCapability cap : sys.getDeclaredCapabilities(NativeNamespace.NATIVE_NAMESPACE)) {
            Map<String, Object> attrs = cap.getAttributes();
            System.out.printf("launcher: system bundle osgi.native: osname=%s processor=%s%n",
                    attrs.get(NativeNamespace.CAPABILITY_OSNAME_ATTRIBUTE),
                    attrs.get(NativeNamespace.CAPABILITY_PROCESSOR_ATTRIBUTE));
        }
    }

    private void printAndCheckWiring(List<Bundle> bundles, String expectArch) {
        System.out.println("launcher: bundles");
        for (Bundle b : bundles) {
            String host = "";
            if (isFragment(b)) {
                BundleWiring wiring = b.adapt(BundleWiring.class);
                List<BundleWire> wires = wiring == null ? List.of() : wiring.getRequiredWires(HostNamespace.HOST_NAMESPACE);
                host = wires.isEmpty() ? "  fragment, NOT attached"
                        : "  fragment, attached to " + wires.get(0).getProvider().getSymbolicName();
            }
            System.out.printf("  %3d %-12s %-45s %s%s%n", b.getBundleId(), state(b.getState()), b.getSymbolicName(),
                    b.getVersion(), host);
            String bsn = b.getSymbolicName();
            if (bsn != null && bsn.startsWith(NATIVE_PREFIX)) {
                boolean attached = attachedTo(b, "org.corral.supervisor");
                boolean expected = bsn.equals(NATIVE_PREFIX + expectArch);
                if (expected && !attached) {
                    failures.add(bsn + " should be attached to org.corral.supervisor on this platform but is "
                            + state(b.getState()));
                } else if (!expected && attached) {
                    failures.add(bsn + " is attached although this JVM is not " + bsn.substring(NATIVE_PREFIX.length()));
                }
            } else if (!isFragment(b) && b.getState() != Bundle.ACTIVE) {
                failures.add("bundle " + bsn + " is " + state(b.getState()) + ", not ACTIVE");
            }
        }
        if (bundles.stream().noneMatch(b -> (NATIVE_PREFIX + expectArch).equals(b.getSymbolicName()))) {
            failures.add("fragment " + NATIVE_PREFIX + expectArch + " was not installed");
        }
    }

    private static boolean attachedTo(Bundle fragment, String hostBsn) {
        BundleWiring wiring = fragment.adapt(BundleWiring.class);
        if (wiring == null) {
            return false;
        }
        return wiring.getRequiredWires(HostNamespace.HOST_NAMESPACE).stream()
                .anyMatch(w -> hostBsn.equals(w.getProvider().getSymbolicName()));
    }

    private void checkGone(long pid, String what) {
        var handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            System.out.printf("launcher: pid %d gone after framework stop%n", pid);
            return;
        }
        try {
            handle.get().onExit().get(20, TimeUnit.SECONDS);
            System.out.printf("launcher: pid %d gone after framework stop%n", pid);
        } catch (TimeoutException e) {
            failures.add(what + ": pid " + pid + " still runs 20 s after the framework stopped: "
                    + handle.get().info().commandLine().orElse("?"));
        } catch (InterruptedException | ExecutionException e) {
            failures.add("could not wait for pid " + pid + ": " + e);
        }
    }

    private static String state(int state) {
        switch (state) {
            case Bundle.INSTALLED: return "INSTALLED";
            case Bundle.RESOLVED: return "RESOLVED";
            case Bundle.STARTING: return "STARTING";
            case Bundle.STOPPING: return "STOPPING";
            case Bundle.ACTIVE: return "ACTIVE";
            case Bundle.UNINSTALLED: return "UNINSTALLED";
            default: return "state " + state;
        }
    }
}
