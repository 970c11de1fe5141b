package org.corral.supervisor.internal.config.osgi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A real Felix framework for the daemon integration tests, with the bundles named by the system property
 * {@code corral.it.bundles} (Felix SCR, Config Admin, Event Admin, Metatype and what they need, then the
 * Corral bundles, this module's jar included). The system bundle exports, from the test class path,
 * {@code org.slf4j} (so the bundles log through the test's slf4j-simple, captured by {@link LogCapture}),
 * and the Config Admin, Event Admin and Metatype APIs (so the test talks to those services with its own
 * classes). Corral's own types ({@code org.corral.api}) are not shared: the test sees daemons through their
 * service properties and reflection, as another bundle's code would not.
 */
final class EmbeddedFelix implements AutoCloseable {

    /**
     * The hand-over lease of these frameworks: short, since one test waits for it to end, but longer than a
     * {@code Bundle.update()} of the supervisor takes on a loaded machine (2.9 s measured at load 18, where
     * 1500 ms let the helper end the program before the new revision re-attached).
     */
    static final long LEASE_MS = 5000;

    static final Duration WAIT = Duration.ofSeconds(30);

    private final Framework framework;
    private final Path storage;
    private final List<Bundle> bundles = new ArrayList<>();

    EmbeddedFelix() throws Exception {
        this(true);
    }

    /**
     * @param withEventAdmin false: no Event Admin bundle and no {@code org.osgi.service.event} package at all
     *     (the supervisor's import of it is optional)
     */
    EmbeddedFelix(boolean withEventAdmin) throws Exception {
        LogCapture.install();
        String base = System.getProperty("corral.it.storage", "target/osgi-it");
        storage = Path.of(base).toAbsolutePath().resolve(UUID.randomUUID().toString());
        Files.createDirectories(storage);
        Map<String, String> cfg = new HashMap<>();
        cfg.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        cfg.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        cfg.put("org.corral.handover.lease.ms", Long.toString(LEASE_MS));
        List<String> extra = new ArrayList<>(List.of("org.slf4j;version=2.0.17", "org.slf4j.event;version=2.0.17",
                "org.slf4j.helpers;version=2.0.17", "org.slf4j.spi;version=2.0.17", "org.osgi.service.cm;version=1.6.0",
                "org.osgi.service.metatype;version=1.4.0"));
        if (withEventAdmin) {
            extra.add("org.osgi.service.event;version=1.4.0");
        }
        cfg.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",", extra));
        framework = new FrameworkFactory().newFramework(cfg);
        framework.start();
        String list = System.getProperty("corral.it.bundles");
        if (list == null || list.isBlank()) {
            throw new IllegalStateException("system property corral.it.bundles is not set: run these tests with"
                    + " 'mvn verify' (maven-failsafe-plugin sets it)");
        }
        for (String path : list.split(",")) {
            Path p = Path.of(path.trim());
            if (!withEventAdmin && p.getFileName().toString().contains("eventadmin")) {
                continue;
            }
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException("bundle " + p + " does not exist (build the module first)");
            }
            bundles.add(context().installBundle(p.toUri().toString()));
        }
        for (Bundle b : bundles) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                b.start();
            }
        }
    }

    BundleContext context() {
        return framework.getBundleContext();
    }

    Path storage() {
        return storage;
    }

    Bundle bundle(String symbolicName) {
        for (Bundle b : context().getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new IllegalStateException("no bundle " + symbolicName);
    }

    /** Waits for a service matching {@code filter} (any class space) and returns its reference. */
    ServiceReference<?> await(String filter) throws InterruptedException {
        ServiceTracker<Object, Object> t = new ServiceTracker<>(context(), filter(filter), null);
        t.open(true);
        try {
            Object s = t.waitForService(WAIT.toMillis());
            ServiceReference<Object> ref = t.getServiceReference();
            if (s == null || ref == null) {
                throw new AssertionError("no service " + filter + " within " + WAIT.toSeconds() + " s; daemons now: "
                        + daemons() + "\nlog:\n" + LogCapture.tail(40));
            }
            return ref;
        } finally {
            t.close();
        }
    }

    /** The service object of a reference (from its own class space: use reflection on it). */
    Object service(ServiceReference<?> ref) {
        return context().getService(ref);
    }

    /** Whether a service matches {@code filter} now. */
    boolean present(String filter) {
        try {
            ServiceReference<?>[] refs = context().getAllServiceReferences(null, filter);
            return refs != null && refs.length > 0;
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** "name=state pid=..." of every Daemon service, for messages. */
    List<String> daemons() {
        List<String> out = new ArrayList<>();
        try {
            ServiceReference<?>[] refs = context().getAllServiceReferences("org.corral.api.Daemon", null);
            if (refs != null) {
                for (ServiceReference<?> r : refs) {
                    out.add(r.getProperty("daemon.name") + "=" + r.getProperty("daemon.state") + " pid="
                            + r.getProperty("daemon.pid"));
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    Filter filter(String f) {
        try {
            return FrameworkUtil.createFilter(f);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(f, e);
        }
    }

    /**
     * The service of class {@code type} (shared through the system bundle). Its tracker stays open (closing it
     * would unget the service: Config Admin's instance would then refuse every call).
     */
    <T> T service(Class<T> type) throws InterruptedException {
        ServiceTracker<T, T> t = new ServiceTracker<>(context(), type, null);
        t.open();
        T s = t.waitForService(WAIT.toMillis());
        if (s == null) {
            t.close();
            throw new AssertionError("no " + type.getName() + " service within " + WAIT.toSeconds() + " s");
        }
        return s;
    }

    /**
     * Builds and installs a bundle holding {@code classes} (taken from the test class path) with these
     * manifest headers.
     */
    Bundle installBundle(String symbolicName, Map<String, String> headers, Class<?>... classes) throws IOException,
            BundleException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, symbolicName);
        a.putValue(Constants.BUNDLE_VERSION, "1.0.0");
        headers.forEach(a::putValue);
        Path jar = storage.resolve(symbolicName + ".jar");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os, mf)) {
            for (Class<?> c : classes) {
                String entry = c.getName().replace('.', '/') + ".class";
                jos.putNextEntry(new JarEntry(entry));
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    in.transferTo(jos);
                }
                jos.closeEntry();
            }
        }
        return context().installBundle(jar.toUri().toString());
    }

    /** Waits (bounded) until {@code condition} holds; for facts nobody notifies about (a process is gone). */
    static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " (not within " + WAIT.toSeconds() + " s)\nlog:\n" + LogCapture.tail(40));
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    @Override
    public void close() throws BundleException {
        framework.stop();
        try {
            framework.waitForStop(WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // the framework cache holds copies of the helper: leave none behind
        if (!Files.exists(storage)) {
            return; // closed before
        }
        try (java.util.stream.Stream<Path> files = Files.walk(storage)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new IllegalStateException("cannot remove " + storage, e);
        }
    }

    /** Tees System.err (where slf4j-simple writes) into a buffer the tests can read. */
    static final class LogCapture {
        private static final ByteArrayOutputStream BUFFER = new ByteArrayOutputStream();
        private static boolean installed;

        static synchronized void install() {
            if (installed) {
                return;
            }
            installed = true;
            PrintStream original = System.err;
            System.setErr(new PrintStream(new OutputStream() {
                @Override
                public void write(int b) {
                    original.write(b);
                    synchronized (BUFFER) {
                        BUFFER.write(b);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    original.write(b, off, len);
                    synchronized (BUFFER) {
                        BUFFER.write(b, off, len);
                    }
                }
            }, true));
        }

        /** Every line logged so far. */
        static List<String> lines() {
            String all;
            synchronized (BUFFER) {
                all = BUFFER.toString(StandardCharsets.UTF_8);
            }
            return List.of(all.split("\n"));
        }

        static String tail(int n) {
            List<String> l = lines();
            return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
        }

        /** Waits for a logged line containing every one of {@code parts}; returns it. */
        static String await(String... parts) throws InterruptedException {
            String[] found = new String[1];
            eventually("a log line with " + List.of(parts), () -> {
                for (String l : lines()) {
                    boolean all = true;
                    for (String p : parts) {
                        all &= l.contains(p);
                    }
                    if (all) {
                        found[0] = l;
                        return true;
                    }
                }
                return false;
            });
            return found[0];
        }
    }
}
