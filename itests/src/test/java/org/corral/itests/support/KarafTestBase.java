package org.corral.itests.support;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;


import org.apache.karaf.features.BootFinished;
import org.apache.karaf.features.FeaturesService;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.After;
import org.junit.Rule;
import org.junit.rules.Timeout;
import org.ops4j.pax.exam.ProbeBuilder;
import org.ops4j.pax.exam.TestProbeBuilder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.framework.namespace.HostNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/**
 * Base of the Pax Exam tests: runs inside Karaf (the probe bundle). Console commands run through Karaf's
 * {@link SessionFactory} as in Karaf's own itests, under a {@link Subject} logged in through the
 * {@code karaf} JAAS realm (so {@code etc/users.properties} and the command ACLs apply).
 */
public abstract class KarafTestBase {

    /** Users the tests add to etc/users.properties (see {@link #users()}). */
    public static final String ADMIN = "itest-admin";
    public static final String ADMIN_PASSWORD = "itest-admin-pw";
    public static final String VIEWER = "itest-viewer";
    public static final String VIEWER_PASSWORD = "itest-viewer-pw";

    /** Bound on one console command (a hang fails the test). */
    public static final Duration COMMAND_BOUND = Duration.ofSeconds(60);

    /** Bound on one test method inside Karaf: a hang fails the test instead of blocking CI. */
    @Rule
    public final Timeout testTimeout = Timeout.builder().withTimeout(5, TimeUnit.MINUTES)
            .withLookingForStuckThread(true).build();

    @Inject
    protected BundleContext bundleContext;

    @Inject
    protected SessionFactory sessionFactory;

    @Inject
    protected FeaturesService featuresService;

    @Inject
    protected ConfigurationAdmin configurationAdmin;

    /** The tests start only once Karaf's boot features are installed. */
    @Inject
    protected BootFinished bootFinished;

    private final ExecutorService commands = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "itest-command");
        t.setDaemon(true);
        return t;
    });

    private Subject admin;

    /** Lets the probe see every package it uses (Corral's API, Karaf's shell and features API). */
    @ProbeBuilder
    public TestProbeBuilder probeConfiguration(TestProbeBuilder probe) {
        probe.setHeader(Constants.DYNAMICIMPORT_PACKAGE, "*");
        return probe;
    }

    /** users.properties entries for the two test users, as Pax Exam options. */
    public static org.ops4j.pax.exam.Option[] users() {
        return new org.ops4j.pax.exam.Option[] {
            org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut(
                    "etc/users.properties", ADMIN, ADMIN_PASSWORD + ",admin,manager,viewer,systembundles,ssh"),
            org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut(
                    "etc/users.properties", VIEWER, VIEWER_PASSWORD + ",viewer,ssh"),
        };
    }

    @After
    public void stopCommandThreads() {
        commands.shutdownNow();
    }

    // ---------------------------------------------------------------- console

    /** The outcome of one console command: its output, and the error it ended with (null on success). */
    public static final class CommandResult {
        public final String command;
        public final String output;
        public final Throwable error;

        CommandResult(String command, String output, Throwable error) {
            this.command = command;
            this.output = output;
            this.error = error;
        }

        public boolean failed() {
            return error != null;
        }

        /** The error's messages, outermost first (what a console user would see), or "". */
        public String errorText() {
            StringBuilder sb = new StringBuilder();
            for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
                sb.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
            }
            return sb.toString();
        }

        /** Output and error together, for assertions on what the user sees. */
        public String all() {
            return output + (error == null ? "" : "\n" + errorText());
        }

        @Override
        public String toString() {
            return "`" + command + "` " + (failed() ? "failed" : "succeeded") + "; output:\n" + output
                    + (failed() ? "\nerror:\n" + errorText() : "");
        }
    }

    /** Logs in through the karaf JAAS realm (users.properties); fails the test if refused. */
    protected Subject login(String user, String password) {
        Subject subject = new Subject();
        try {
            LoginContext lc = new LoginContext("karaf", subject, callbacks -> {
                for (Callback cb : callbacks) {
                    if (cb instanceof NameCallback) {
                        ((NameCallback) cb).setName(user);
                    } else if (cb instanceof PasswordCallback) {
                        ((PasswordCallback) cb).setPassword(password.toCharArray());
                    } else {
                        throw new UnsupportedCallbackException(cb);
                    }
                }
            });
            lc.login();
        } catch (LoginException e) {
            throw new AssertionError("JAAS login of " + user + " in realm karaf failed: " + e, e);
        }
        return subject;
    }

    protected Subject admin() {
        if (admin == null) {
            admin = login(ADMIN, ADMIN_PASSWORD);
        }
        return admin;
    }

    /** Runs a command as the admin user and returns its output; fails the test if the command fails. */
    protected String execute(String command) {
        CommandResult r = run(admin(), command);
        if (r.failed()) {
            throw new AssertionError(r + karafLogExcerpt());
        }
        return r.output;
    }

    /** Runs a command as the admin user; the result tells whether it failed. */
    protected CommandResult run(String command) {
        return run(admin(), command);
    }

    /** Runs a command as {@code subject} (bounded by {@link #COMMAND_BOUND}). */
    protected CommandResult run(Subject subject, String command) {
        return run(subject, command, COMMAND_BOUND);
    }

    /** Runs a command as {@code subject}; fails the test if it has not finished after {@code bound}. */
    protected CommandResult run(Subject subject, String command, Duration bound) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        Future<Throwable> f = commands.submit(() -> Subject.doAs(subject,
                (PrivilegedExceptionAction<Throwable>) () -> {
                    Session session = sessionFactory.create(InputStream.nullInputStream(), print, print);
                    try {
                        Object result = session.execute(command);
                        if (result != null) {
                            session.getConsole().println(result);
                        }
                        return null;
                    } catch (Exception e) {
                        return e;
                    } finally {
                        print.flush();
                        session.close();
                    }
                }));
        Throwable error;
        try {
            error = f.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError("`" + command + "` did not finish within " + bound.toSeconds()
                    + " s; output so far:\n" + out.toString(StandardCharsets.UTF_8) + karafLogExcerpt());
        } catch (ExecutionException e) {
            error = e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return new CommandResult(command, out.toString(StandardCharsets.UTF_8), error);
    }

    /** A command left running in the background (corral:logs -f). */
    public final class Background {
        private final ByteArrayOutputStream out;
        private final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        private volatile Throwable error;
        private volatile Future<?> future;
        public final String command;

        Background(String command, ByteArrayOutputStream out) {
            this.command = command;
            this.out = out;
        }

        /** What the command printed so far. */
        public String output() {
            synchronized (out) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }

        /** Interrupts the command's thread, as Ctrl-C does in the console. */
        public void interrupt() {
            future.cancel(true);
        }

        /**
         * Waits until the command has returned (its thread left {@code Session.execute}); returns the error
         * it ended with, or null. Fails after {@code bound} (and interrupts it).
         */
        public Throwable awaitEnd(Duration bound) {
            try {
                if (!ended.await(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                    future.cancel(true);
                    throw new AssertionError("`" + command + "` still running after " + bound.toSeconds()
                            + " s; output:\n" + output() + karafLogExcerpt());
                }
                return error;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** Starts {@code command} as {@code subject} without waiting for it. */
    protected Background background(Subject subject, String command) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        Background b = new Background(command, out);
        b.future = commands.submit(() -> {
            try {
                Subject.doAs(subject, (PrivilegedExceptionAction<Void>) () -> {
                    Session session = sessionFactory.create(InputStream.nullInputStream(), print, print);
                    try {
                        session.execute(command);
                    } catch (Exception e) {
                        b.error = e;
                    } finally {
                        print.flush();
                        session.close();
                    }
                    return null;
                });
            } catch (Exception e) {
                b.error = e;
            } finally {
                b.ended.countDown();
            }
        });
        return b;
    }

    // ---------------------------------------------------------------- bundles

    /** The native helper fragments, one per architecture. */
    protected static final String SUPERVISOR = "org.corral.supervisor";
    protected static final String FRAGMENT_X86_64 = "org.corral.native.x86_64";
    protected static final List<String> OTHER_FRAGMENTS = List.of("org.corral.native.aarch64",
            "org.corral.native.armhf");

    /**
     * On this x86_64 JVM: the x86_64 fragment is RESOLVED and wired to the supervisor as its only fragment;
     * no other native fragment is wired.
     */
    protected void assertOnlyTheX86_64FragmentIsAttached() {
        Bundle host = bundle(SUPERVISOR);
        assertNotNull("bundle " + SUPERVISOR + " is not installed\n" + corralBundles(), host);
        assertEquals("state of " + SUPERVISOR + "\n" + corralBundles() + karafLogExcerpt(), "ACTIVE",
                stateName(host.getState()));

        Bundle x86 = bundle(FRAGMENT_X86_64);
        assertNotNull("bundle " + FRAGMENT_X86_64 + " is not installed\n" + corralBundles(), x86);
        assertEquals("a fragment attached to its host is RESOLVED\n" + corralBundles(), "RESOLVED",
                stateName(x86.getState()));
        BundleWiring fragmentWiring = x86.adapt(BundleWiring.class);
        assertNotNull(FRAGMENT_X86_64 + " has no wiring", fragmentWiring);
        List<BundleWire> hostWires = fragmentWiring.getRequiredWires(HostNamespace.HOST_NAMESPACE);
        assertEquals(FRAGMENT_X86_64 + " host wires: " + hostWires, 1, hostWires.size());
        assertEquals("host of " + FRAGMENT_X86_64, host, hostWires.get(0).getProviderWiring().getBundle());

        BundleWiring hostWiring = host.adapt(BundleWiring.class);
        List<String> attached = hostWiring.getProvidedWires(HostNamespace.HOST_NAMESPACE).stream()
                .map(w -> w.getRequirerWiring().getBundle().getSymbolicName()).collect(Collectors.toList());
        assertEquals("fragments attached to " + SUPERVISOR, List.of(FRAGMENT_X86_64), attached);
        for (String other : OTHER_FRAGMENTS) {
            Bundle b = bundle(other);
            assertTrue(other + " must not be wired", b == null || b.adapt(BundleWiring.class) == null);
        }
    }

    /**
     * The aarch64 and armhf fragments stay installed but inert here: state INSTALLED (no osgi.native match,
     * so never resolved) and no wiring.
     */
    /**
     * The fragments of other architectures stay inert: Karaf's resolver does not install a
     * {@code dependency="true"} bundle whose {@code osgi.native} requirement this JVM cannot meet, and
     * where one is installed anyway it must stay INSTALLED and unwired. Either way none is attached to
     * the supervisor.
     */
    protected void assertOtherFragmentsStayInstalledAndUnattached() {
        Bundle host = bundle("org.corral.supervisor");
        assertNotNull("the supervisor is installed\n" + corralBundles(), host);
        BundleWiring hostWiring = host.adapt(BundleWiring.class);
        assertNotNull("the supervisor is resolved\n" + corralBundles(), hostWiring);
        java.util.Set<String> attached = hostWiring.getProvidedWires(
                org.osgi.framework.namespace.HostNamespace.HOST_NAMESPACE).stream()
                .map(w -> w.getRequirer().getSymbolicName()).collect(Collectors.toSet());
        for (String other : OTHER_FRAGMENTS) {
            assertFalse(other + " must not be attached to the supervisor (attached: " + attached + ")",
                    attached.contains(other));
            Bundle b = bundle(other);
            if (b == null) {
                continue; // not installed: the resolver left it out, the most inert outcome
            }
            assertEquals("state of " + other + " (no osgi.native match here)\n" + corralBundles(), "INSTALLED",
                    stateName(b.getState()));
            assertNull(other + " must not be wired", b.adapt(BundleWiring.class));
        }
    }

    protected Bundle bundle(String symbolicName) {
        return Arrays.stream(bundleContext.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName()))
                .findFirst().orElse(null);
    }

    public static String stateName(int state) {
        switch (state) {
            case Bundle.UNINSTALLED: return "UNINSTALLED";
            case Bundle.INSTALLED: return "INSTALLED";
            case Bundle.RESOLVED: return "RESOLVED";
            case Bundle.STARTING: return "STARTING";
            case Bundle.STOPPING: return "STOPPING";
            case Bundle.ACTIVE: return "ACTIVE";
            default: return Integer.toString(state);
        }
    }

    /** Every bundle whose symbolic name starts with org.corral, with its state (for messages). */
    protected String corralBundles() {
        return corralBundles(bundleContext);
    }

    static String corralBundles(BundleContext bundleContext) {
        return Arrays.stream(bundleContext.getBundles())
                .filter(b -> b.getSymbolicName() != null && b.getSymbolicName().startsWith("org.corral"))
                .map(b -> b.getBundleId() + " " + b.getSymbolicName() + " " + b.getVersion() + " "
                        + stateName(b.getState()))
                .collect(Collectors.joining("\n  ", "corral bundles:\n  ", ""));
    }

    // ---------------------------------------------------------------- files

    protected static Path karafEtc() {
        return Paths.get(System.getProperty("karaf.etc"));
    }

    public static Path karafData() {
        return Paths.get(System.getProperty("karaf.data"));
    }

    /** The daemon configuration file for {@code name}: etc/org.corral.daemon-{@code name}.cfg. */
    protected static Path daemonCfg(String name) {
        return karafEtc().resolve("org.corral.daemon-" + name + ".cfg");
    }

    /**
     * Writes etc/org.corral.daemon-{@code name}.cfg as an operator would copy it in: written next to etc/
     * first and moved in atomically, so fileinstall never reads half a file.
     */
    protected static Path writeDaemonCfg(String name, Map<String, String> properties) {
        StringBuilder sb = new StringBuilder("# written by ").append(KarafTestBase.class.getName()).append('\n');
        properties.forEach((k, v) -> sb.append(k).append(" = ").append(escape(v)).append('\n'));
        Path target = daemonCfg(name);
        try {
            Path tmp = Files.createTempFile(karafData().resolve("tmp"), "daemon-", ".part");
            Files.writeString(tmp, sb.toString(), StandardCharsets.ISO_8859_1);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new AssertionError("cannot write " + target, e);
        }
        return target;
    }

    /** Escapes a value for a .properties file (fileinstall reads .cfg files as such). */
    private static String escape(String v) {
        StringBuilder sb = new StringBuilder();
        for (char c : v.toCharArray()) {
            if (c == '\\') {
                sb.append("\\\\");
            } else if (c > 0x7e) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    protected static void deleteDaemonCfg(String name) {
        try {
            Files.deleteIfExists(daemonCfg(name));
        } catch (IOException e) {
            throw new AssertionError("cannot delete " + daemonCfg(name), e);
        }
    }

    /** The Karaf log. */
    protected static Path karafLog() {
        return karafData().resolve("log").resolve("karaf.log");
    }

    /**
     * The last lines of karaf.log that concern Corral or are warnings/errors, for failure messages
     * (the whole file stays in the kept runtime folder under target/it/exam).
     */
    public static String karafLogExcerpt() {
        Path log = karafLog();
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> relevant = new ArrayList<>();
            for (String line : lines) {
                String l = line.toLowerCase(Locale.ROOT);
                if (l.contains("corral") || l.contains("| error") || l.contains("| warn") || l.startsWith("\t")
                        || l.startsWith("caused by")) {
                    relevant.add(line);
                }
            }
            List<String> tail = relevant.subList(Math.max(0, relevant.size() - 60), relevant.size());
            return "\n--- karaf.log (" + log + "), last " + tail.size() + " relevant lines:\n"
                    + String.join("\n", tail) + "\n---";
        } catch (IOException e) {
            return "\n(karaf.log not readable at " + log + ": " + e + ")";
        }
    }
}
