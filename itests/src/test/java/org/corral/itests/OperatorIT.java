package org.corral.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import javax.security.auth.Subject;

import org.corral.api.Daemon;
import org.corral.itests.support.Await;
import org.corral.itests.support.DaemonTestBase;
import org.corral.itests.support.KarafOptions;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Issue 12 in the distribution, from the console as an operator meets it: secrets a viewer does not see,
 * output that cannot reach the terminal or forge the log, one log file per daemon through its MDC.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class OperatorIT extends DaemonTestBase {

    private static final String SECRET = "itest-secret-5f1e";
    private static final String MISTYPED_SECRET = "itest-mistyped-9a2c";

    @Configuration
    public Option[] config() {
        return KarafOptions.corralDistribution(users());
    }

    private static String karafLogText() {
        try {
            return new String(Files.readAllBytes(karafLog()), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------- 12.1 secrets

    @Test
    public void aViewerSeesTheEnvKeysButNotTheirValues() {
        Path progs = progs("OperatorIT-secrets");
        cfg("op-secret", progs.resolve("sleep_ms").toString(), "3600000", "env.API_TOKEN", SECRET,
                "evn.PASSWORD", MISTYPED_SECRET);
        awaitDaemon("op-secret", "running", RUNNING, Await.SECONDS);

        Subject viewer = login(VIEWER, VIEWER_PASSWORD);
        CommandResult status = run(viewer, "corral:status op-secret");
        assertFalse("a viewer may see the status:\n" + status, status.failed());
        assertTrue("the key is shown, masked:\n" + status, status.output.contains("env.API_TOKEN = ****"));
        assertTrue("a mistyped key's value too:\n" + status, status.output.contains("evn.PASSWORD = ****"));
        assertFalse("never the value:\n" + status, status.output.contains(SECRET));
        assertFalse("never the value:\n" + status, status.output.contains(MISTYPED_SECRET));

        CommandResult admin = run(admin(), "corral:status op-secret");
        assertTrue("an admin sees the values:\n" + admin, admin.output.contains("env.API_TOKEN = " + SECRET)
                && admin.output.contains("evn.PASSWORD = " + MISTYPED_SECRET));

        String log = karafLogText();
        assertTrue("the unknown key is warned about in karaf.log", log.contains("evn.PASSWORD: unknown key"));
        assertFalse("no log line holds a value", log.contains(SECRET) || log.contains(MISTYPED_SECRET));
    }

    // ---------------------------------------------------------------- 12.3 invalid configurations, 12.9 cycles

    /** The table row (a line of the output) of {@code name}. */
    private static List<String> rows(String output, String name) {
        List<String> out = new java.util.ArrayList<>();
        for (String l : output.split("\n")) {
            if (java.util.Arrays.asList(l.trim().split("[\\s|\u2502]+")).contains(name)) {
                out.add(l);
            }
        }
        return out;
    }

    @Test
    public void everyConfigurationIsListedAlsoTheInvalidOnes() {
        Path progs = progs("OperatorIT-invalid");
        String sleep = progs.resolve("sleep_ms").toString();
        cfg("op-good", sleep, "3600000");
        cfg("op-bad", sleep, "3600000", "restart", "sometimes", "kill.grace", "5", "env.API_TOKEN", SECRET);
        // a second configuration that claims the name op-good
        track("op-good-twin");
        writeDaemonCfg("op-good-twin", java.util.Map.of("name", "op-good", "command", sleep, "args", "1000"));
        awaitDaemon("op-good", "running", RUNNING, Await.SECONDS);
        awaitDaemon("op-bad", "INVALID", ref -> "INVALID".equals(ref.getProperty("daemon.state")), Await.SECONDS);
        Await.until("the twin's INVALID service", Await.SECONDS, () -> daemonRefs("op-good").size() == 2);

        String list = execute("corral:list");
        List<String> bad = rows(list, "op-bad");
        assertEquals(list, 1, bad.size());
        assertTrue("state INVALID with the first problem:\n" + list, bad.get(0).contains("INVALID")
                && bad.get(0).contains("kill.grace = '5': a duration needs a unit"));
        List<String> good = rows(list, "op-good");
        assertEquals("the daemon and the configuration that claims its name:\n" + list, 2, good.size());
        assertTrue(list, good.get(0).contains("READY") || good.get(0).contains("RUNNING"));
        assertTrue(list, good.get(1).contains("INVALID") && good.get(1).contains("name: daemon name 'op-good' is taken by configuration"));

        Subject viewer = login(VIEWER, VIEWER_PASSWORD);
        CommandResult status = run(viewer, "corral:status op-bad");
        assertFalse(status.toString(), status.failed());
        String out = status.output;
        assertTrue(out, out.contains("op-bad  INVALID"));
        assertTrue("every problem:\n" + out, out.contains("kill.grace = '5': a duration needs a unit")
                && out.contains("restart = 'sometimes': unknown restart policy"));
        assertTrue("the file:\n" + out, out.contains("org.corral.daemon-op-bad.cfg"));
        assertTrue("the keys, secrets masked:\n" + out, out.contains("restart = sometimes")
                && out.contains("env.API_TOKEN = ****") && !out.contains(SECRET));

        String twin = execute("corral:status op-good");
        assertTrue("the running one, and the other configuration of the name:\n" + twin,
                twin.contains("also named") && twin.contains("org.corral.daemon~op-good-twin"));

        CommandResult start = run(admin(), "corral:start op-bad");
        assertTrue(start.toString(), start.failed() && start.all().contains("corral: daemon 'op-bad' is INVALID:"));
        assertFalse("one line, no trace:\n" + start, start.all().contains("\tat "));
    }

    @Test
    public void aDependencyCycleIsInvalidAndAWaitingDaemonSaysWhatFor() {
        Path progs = progs("OperatorIT-cycle");
        String sleep = progs.resolve("sleep_ms").toString();
        cfg("op-cyc-a", sleep, "3600000", "depends.on", "op-cyc-b");
        cfg("op-cyc-b", sleep, "3600000", "depends.on", "op-cyc-a");
        cfg("op-waits", sleep, "3600000", "depends.on", "op-nobody");
        for (String n : List.of("op-cyc-a", "op-cyc-b")) {
            awaitDaemon(n, "INVALID", ref -> "INVALID".equals(ref.getProperty("daemon.state")), Await.SECONDS);
        }
        String list = execute("corral:list");
        assertTrue(list, rows(list, "op-cyc-a").get(0).contains("depends.on cycle: op-cyc-a -> op-cyc-b -> op-cyc-a"));
        Await.until("op-waits says what it waits for", Await.SECONDS,
                () -> rows(execute("corral:list"), "op-waits").stream() // no row until its service is registered
                        .anyMatch(r -> r.contains("waits for op-nobody (no daemon has this name)")),
                () -> execute("corral:list"));
        String status = execute("corral:status op-waits");
        assertTrue(status, status.contains("waiting for") && status.contains("op-nobody (no daemon has this name)"));
        assertTrue("a WARN line names it", karafLogText().contains("no daemon is named op-nobody"));

        // break the cycle: both start
        cfg("op-cyc-b", sleep, "3600000");
        awaitDaemon("op-cyc-a", "running", RUNNING, Await.SECONDS);
        awaitDaemon("op-cyc-b", "running", RUNNING, Await.SECONDS);
    }

    // ---------------------------------------------------------------- 12.5 signal and reload; 12.9 Karaf's own ACLs

    private static final String TRAPS = "-c \"trap 'echo got-hup' HUP; trap 'echo got-usr1' USR1; echo ready;"
            + " while :; do sleep 1 & wait $!; done\"";

    @Test
    public void anAdminMaySignalAndReloadAViewerMayNot() throws Exception {
        progs("OperatorIT-signals");
        cfg("op-sig", "/bin/sh", TRAPS, "ready.log", "^ready$");
        Daemon d = awaitDaemon("op-sig", "ready", runningIn(org.corral.api.DaemonState.READY), Await.SECONDS);
        long pid = d.pid().getAsLong();

        Subject viewer = login(VIEWER, VIEWER_PASSWORD);
        for (String command : List.of("corral:signal op-sig HUP", "corral:reload op-sig")) {
            CommandResult r = run(viewer, command);
            assertTrue("the viewer is refused `" + command + "`:\n" + r, r.failed()
                    && (r.all().contains("Insufficient credentials") || r.all().contains("Command not found")));
        }
        assertFalse("nothing was sent", d.recentLines(100).contains("got-hup"));

        CommandResult sig = run(admin(), "corral:signal op-sig USR1");
        assertFalse(sig.toString(), sig.failed());
        assertTrue(sig.output, sig.output.contains("corral: op-sig: sent SIGUSR1 to pid " + pid));
        awaitOutput(d, "got-usr1", Await.SECONDS, lines -> lines.contains("got-usr1"));
        CommandResult reload = run(admin(), "corral:reload op-sig");
        assertTrue(reload.output, reload.output.contains("corral: op-sig: sent SIGHUP to pid " + pid + " (reload)"));
        awaitOutput(d, "got-hup", Await.SECONDS, lines -> lines.contains("got-hup"));
        assertTrue("logged with the user who asked", karafLogText().contains("reload: sending SIGHUP to pid " + pid
                + " (requested by " + ADMIN + ")"));
        CommandResult bad = run(admin(), "corral:signal op-sig SIGNOPE");
        assertTrue(bad.toString(), bad.failed() && bad.all().contains("corral: unknown signal 'SIGNOPE'"));
        assertEquals("the same program all along", pid, d.pid().getAsLong());
    }

    /** Karaf's JMX connector, logged in as {@code user}. */
    private static javax.management.remote.JMXConnector jmx(String user, String password) throws IOException {
        java.util.Properties mgmt = new java.util.Properties();
        try (java.io.Reader r = Files.newBufferedReader(karafEtc().resolve("org.apache.karaf.management.cfg"))) {
            mgmt.load(r);
        }
        javax.management.remote.JMXServiceURL url = new javax.management.remote.JMXServiceURL(
                "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + mgmt.getProperty("rmiRegistryPort").trim() + "/karaf-root");
        return javax.management.remote.JMXConnectorFactory.connect(url, java.util.Map.of(
                javax.management.remote.JMXConnector.CREDENTIALS, new String[] {user, password}));
    }

    private static boolean refused(ThrowingRunnable r) {
        try {
            r.run();
            return false;
        } catch (SecurityException e) {
            return true;
        } catch (Exception e) {
            return e.getCause() instanceof SecurityException || String.valueOf(e).contains("Insufficient roles");
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** 12.9: a viewer reads no org.corral.daemon values through Karaf's config commands or JMX. */
    @Test
    public void aViewerReadsNoDaemonConfigurationThroughKarafsOwnCommandsOrJmx() throws Exception {
        Path progs = progs("OperatorIT-karaf-acl");
        cfg("op-acl", progs.resolve("sleep_ms").toString(), "3600000", "env.API_TOKEN", SECRET);
        awaitDaemon("op-acl", "running", RUNNING, Await.SECONDS);
        String pid = "org.corral.daemon~op-acl";

        Subject viewer = login(VIEWER, VIEWER_PASSWORD);
        for (String command : List.of("config:list", "config:list '(service.pid=" + pid + ")'",
                "config:property-list -p " + pid, "config:property-get -p " + pid + " env.API_TOKEN")) {
            CommandResult r = run(viewer, command);
            assertTrue("the viewer is refused `" + command + "`:\n" + r, r.failed());
            assertFalse(r.all(), r.all().contains(SECRET));
        }
        CommandResult admin = run(admin(), "config:property-get -p " + pid + " env.API_TOKEN");
        assertTrue("an admin may:\n" + admin, admin.output.contains(SECRET));

        try (javax.management.remote.JMXConnector c = jmx(VIEWER, VIEWER_PASSWORD)) {
            javax.management.MBeanServerConnection s = c.getMBeanServerConnection();
            javax.management.ObjectName config = new javax.management.ObjectName("org.apache.karaf:type=config,name=root");
            assertTrue("Karaf's config MBean: not for a viewer", refused(() -> s.invoke(config, "listProperties",
                    new Object[] {pid}, new String[] {String.class.getName()})));
            assertFalse("other configurations stay readable", refused(() -> s.invoke(config, "listProperties",
                    new Object[] {"org.apache.karaf.shell"}, new String[] {String.class.getName()})));
            javax.management.ObjectName cm = new javax.management.ObjectName("osgi.compendium:service=cm,version=1.3");
            if (s.isRegistered(cm)) {
                assertTrue("the ConfigurationAdmin MBean: not for a viewer", refused(() -> s.invoke(cm,
                        "getProperties", new Object[] {pid}, new String[] {String.class.getName()})));
            }
            javax.management.ObjectName daemon = new javax.management.ObjectName("org.corral:type=Daemon,name=op-acl");
            assertTrue(String.valueOf(s.getAttribute(daemon, "State")).matches("RUNNING|READY"));
            String[] keys = (String[]) s.getAttribute(daemon, "ConfigurationKeys");
            assertTrue(java.util.Arrays.toString(keys), java.util.Arrays.asList(keys).contains("env.API_TOKEN = ****"));
            assertTrue("a viewer may not reload over JMX", refused(() -> s.invoke(daemon, "reload", new Object[0],
                    new String[0])));
        }
        try (javax.management.remote.JMXConnector c = jmx(ADMIN, ADMIN_PASSWORD)) {
            javax.management.ObjectName daemon = new javax.management.ObjectName("org.corral:type=Daemon,name=op-acl");
            c.getMBeanServerConnection().invoke(daemon, "signal", new Object[] {"CONT"},
                    new String[] {String.class.getName()});
        }
    }

    // ---------------------------------------------------------------- 12.2 escaped output

    @Test
    public void aDaemonCannotReachTheTerminalOrForgeTheLog() {
        Path progs = progs("OperatorIT-escapes");
        cfg("op-escapes", "/bin/sh", "-c \"printf '\\\\033]0;owned\\\\007 and \\\\033[2J cleared\\\\n'; "
                + "printf 'forged\\\\r\\\\n2026-01-01 | INFO  | fake | line\\\\n'; head -c 2000 /dev/urandom | tr '\\\\n' x;"
                + " echo; echo ready; exec " + progs.resolve("sleep_ms") + " 3600000\"", "ready.log", "^ready$");
        Daemon d = awaitDaemon("op-escapes", "ready", runningIn(org.corral.api.DaemonState.READY), Await.SECONDS);
        List<String> lines = d.recentLines(10);
        assertEquals(lines.toString(), "\\x1b]0;owned\\x07 and \\x1b[2J cleared", lines.get(0));

        String logs = execute("corral:logs op-escapes");
        assertTrue(logs, logs.contains("\\x1b]0;owned\\x07 and \\x1b[2J cleared"));
        assertTrue(logs, logs.contains("[2000 bytes of binary output]"));
        assertFalse("no ESC reaches the console:\n" + logs, logs.indexOf('\u001b') >= 0);

        Await.until("the lines in karaf.log", Await.SECONDS, () -> karafLogText().contains("[op-escapes] ready"));
        String log = karafLogText();
        assertTrue(log.contains("[op-escapes] \\x1b]0;owned\\x07 and \\x1b[2J cleared"));
        assertTrue(log.contains("[op-escapes] [2000 bytes of binary output]"));
        assertFalse("karaf.log holds no ESC, BEL or CR byte", log.indexOf('\u001b') >= 0 || log.indexOf('\u0007') >= 0
                || log.indexOf('\r') >= 0);
        assertTrue("the forged line stays inside its own record", log.contains("[op-escapes] 2026-01-01 | INFO  | fake"));
    }

    /**
     * 12.2: corral:run shows a program's exact bytes on the admin's own terminal (ESC stays ESC), while the same
     * program as a daemon is escaped; 12.8: --stdout discard keeps only stderr, for a run and for a daemon made
     * by corral:create (its stdout never reaches the JVM: 0 bytes, no line).
     */
    @Test
    public void runShowsExactBytesAndStdoutCanBeDiscarded() {
        Path progs = progs("OperatorIT-run-discard");
        String raw = execute("corral:run -- /bin/sh -c \"printf 'raw \\033[1mbold\\033[0m\\n'\"");
        assertTrue("the exact bytes:\n" + raw, raw.contains("raw \u001b[1mbold\u001b[0m"));

        String kept = execute("corral:run --stdout discard -- /bin/sh -c \"echo dropped-line; echo kept-line >&2\"");
        assertTrue(kept, kept.contains("kept-line") && kept.contains("exit 0"));
        assertFalse("stdout is /dev/null:\n" + kept, kept.contains("dropped-line"));
        CommandResult bad = run(admin(), "corral:run --stdout drop -- /bin/true");
        assertTrue(bad.toString(), bad.failed() && bad.all().contains("--stdout 'drop': expected capture"));

        track("op-discard");
        String created = execute("corral:create --stdout discard op-discard -- /bin/sh -c \"echo dropped-line;"
                + " echo kept-line >&2; exec " + progs.resolve("sleep_ms") + " 3600000\"");
        assertTrue(created, created.contains("created daemon 'op-discard'"));
        Daemon d = awaitDaemon("op-discard", "running", RUNNING, Await.SECONDS);
        awaitOutput(d, "kept-line", Await.SECONDS, lines -> lines.contains("kept-line"));
        assertEquals(List.of("kept-line"), d.recentLines(10));
        assertEquals(0, d.stdoutBytes());
        String status = execute("corral:status op-discard");
        assertTrue(status, status.contains("stdout discarded (/dev/null)") && status.contains("stdout = discard"));
        execute("corral:delete op-discard"); // made through Config Admin: the clean-up's file deletion is not enough
        awaitNoDaemon("op-discard", Await.SECONDS);
    }

    // ---------------------------------------------------------------- 12.8 MDC

    /** The README's recipe: a routing appender on daemon.name gives each daemon a log file of its own. */
    @Test
    public void eachDaemonCanHaveALogFileOfItsOwn() throws IOException {
        Path cfg = karafEtc().resolve("org.ops4j.pax.logging.cfg");
        String recipe = String.join("\n",
                "",
                "log4j2.appender.daemons.type = Routing",
                "log4j2.appender.daemons.name = Daemons",
                "log4j2.appender.daemons.routes.type = Routes",
                "log4j2.appender.daemons.routes.pattern = $\\\\{ctx:daemon.name}",
                "log4j2.appender.daemons.routes.route.type = Route",
                "log4j2.appender.daemons.routes.route.file.type = File",
                "log4j2.appender.daemons.routes.route.file.name = daemon-$\\\\{ctx:daemon.name}",
                "log4j2.appender.daemons.routes.route.file.fileName = ${karaf.data}/log/daemon-$\\\\{ctx:daemon.name}.log",
                "log4j2.appender.daemons.routes.route.file.layout.type = PatternLayout",
                "log4j2.appender.daemons.routes.route.file.layout.pattern = %-5p [%X{daemon.pid} %X{daemon.stream}]"
                        + " %m | %X{daemon.command}%n",
                "log4j2.logger.daemons.name = org.corral.daemon",
                "log4j2.logger.daemons.appenderRef.Daemons.ref = Daemons",
                "");
        String before = Files.readString(cfg, StandardCharsets.ISO_8859_1);
        Files.writeString(cfg, recipe, StandardCharsets.ISO_8859_1, StandardOpenOption.APPEND);
        try {
            Path progs = progs("OperatorIT-mdc");
            Path own = karafData().resolve("log/daemon-op-mdc.log");
            // the logging configuration is applied asynchronously: restart the daemon until its file appears
            cfg("op-mdc", "/bin/sh", "-c \"echo hello from op-mdc; echo oops >&2; exec " + progs.resolve("sleep_ms")
                    + " 3600000\"", "log.stderr", "warn");
            Daemon d = awaitDaemon("op-mdc", "running", RUNNING, Await.SECONDS);
            Await.until("data/log/daemon-op-mdc.log", Await.SECONDS, () -> {
                if (!Files.exists(own)) {
                    d.restart();
                    return false;
                }
                return true;
            });
            long pid = awaitDaemon("op-mdc", "running", RUNNING, Await.SECONDS).pid().getAsLong();
            Await.until("the lines of pid " + pid + " in " + own, Await.SECONDS, () -> {
                String text = read(own);
                return text.contains("[" + pid + " stdout] [op-mdc] hello from op-mdc")
                        && text.contains("[" + pid + " stderr] [op-mdc] oops");
            }, () -> read(own));
            String text = read(own);
            assertTrue("the first record of the run names the command:\n" + text, text.contains("[" + pid
                    + " ] started: pid " + pid) && text.contains("| /bin/sh -c 'echo hello from op-mdc;"));
            assertFalse("only this daemon's records:\n" + text, text.contains("op-secret") || text.contains("op-escapes"));
        } finally {
            Files.writeString(cfg, before, StandardCharsets.ISO_8859_1);
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
