package org.corral.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Collectors;

import org.corral.api.Daemon;
import org.corral.api.DaemonState;
import org.corral.itests.support.Await;
import org.corral.itests.support.Cgroups;
import org.corral.itests.support.KarafOptions;
import org.corral.itests.support.DaemonTestBase;
import org.corral.itests.support.Procs;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Every command of scope {@code corral}, run through Karaf's SessionFactory as the admin user, with its
 * output checked; unknown daemon names and bad options give clear errors that name what was wrong.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConsoleCommandsIT extends DaemonTestBase {

    private static final String UNKNOWN = "no-such-daemon-xyz";

    @Configuration
    public Option[] config() {
        return KarafOptions.corralDistribution(users());
    }

    private Daemon sleeper(String name, Path progs) {
        cfg(name, progs.resolve("sleep_ms").toString(), "3600000");
        return awaitDaemon(name, "running", RUNNING, Await.SECONDS);
    }

    private static void assertMentions(String what, CommandResult r, String... words) {
        String text = r.all();
        for (String w : words) {
            assertTrue(what + ": `" + r.command + "` should mention '" + w + "':\n" + r, text.contains(w));
        }
    }

    private static void assertFailsNaming(CommandResult r, String... words) {
        assertTrue("`" + r.command + "` should fail:\n" + r, r.failed());
        assertMentions("the error", r, words);
        assertFalse("the error is one clear line, not a stack trace:\n" + r, r.output.contains("\tat "));
    }

    /** The table row (a line of the output) that names {@code name}. */
    private static String row(String output, String name) {
        return Arrays.stream(output.split("\n")).filter(l -> Arrays.asList(l.trim().split("[\\s|│]+")).contains(name))
                .findFirst().orElseThrow(() -> new AssertionError("no row for " + name + " in:\n" + output));
    }

    @Test
    public void listShowsEveryDaemonInATable() {
        Path progs = progs("ConsoleCommandsIT-list");
        Daemon a = sleeper("cmd-list-a", progs);
        Daemon b = sleeper("cmd-list-b", progs);

        String out = execute("corral:list");
        String header = out.lines().filter(l -> !l.isBlank()).findFirst().orElse("");
        for (String column : List.of("Name", "State", "PID", "Uptime", "Restarts", "Memory", "CPU")) {
            assertTrue("column " + column + " in the header of:\n" + out, header.contains(column));
        }
        for (Daemon d : List.of(a, b)) {
            String row = row(out, d.name());
            assertTrue("state READY in " + row, row.contains(DaemonState.READY.name()));
            assertTrue("pid " + d.pid().getAsLong() + " in " + row, row.contains(Long.toString(d.pid().getAsLong())));
        }
        assertTrue("rows sorted by name:\n" + out, out.indexOf("cmd-list-a") < out.indexOf("cmd-list-b"));

        String plain = execute("corral:list --no-format");
        assertTrue("plain output has the daemon:\n" + plain, plain.contains("cmd-list-a"));
    }

    @Test
    public void statusShowsConfigurationPidsAndRecentOutput() {
        Path progs = progs("ConsoleCommandsIT-status");
        Path seq = progs.resolve("print_seq");
        cfg("cmd-status", seq.toString(), "20");
        Daemon d = awaitDaemon("cmd-status", "running", RUNNING, Await.SECONDS);
        awaitOutput(d, "a few lines", Await.SECONDS, l -> numbers(l).size() >= 5);

        String out = execute("corral:status cmd-status");
        assertTrue("name and state first:\n" + out, out.lines().findFirst().orElse("").contains("cmd-status")
                && out.lines().findFirst().orElse("").contains("READY"));
        assertTrue("the program's pid:\n" + out, out.contains(Long.toString(d.pid().getAsLong())));
        assertTrue("the helper's pid:\n" + out, out.contains(Long.toString(d.helperPid().getAsLong())));
        assertTrue("the command:\n" + out, out.contains(seq.toString()));
        assertTrue("the configuration file:\n" + out, out.contains("org.corral.daemon-cmd-status.cfg"));
        assertTrue("the restart policy:\n" + out, out.toLowerCase(Locale.ROOT).contains("permanent"));
        List<Long> shown = numbers(out.lines().map(String::trim).collect(Collectors.toList()));
        assertTrue("recent output lines (print_seq numbers):\n" + out, shown.size() >= 3);

        String three = execute("corral:status -n 3 cmd-status");
        assertTrue("-n 3 shows 3 lines:\n" + three, three.contains("recent output (3 lines)"));
    }

    @Test
    public void logsPrintsTheLastLinesAndFollowsNewOnes() throws Exception {
        Path progs = progs("ConsoleCommandsIT-logs");
        cfg("cmd-logs", progs.resolve("print_seq").toString(), "20");
        Daemon d = awaitDaemon("cmd-logs", "running", RUNNING, Await.SECONDS);
        awaitOutput(d, "at least 10 lines", Await.SECONDS, l -> numbers(l).size() >= 10);

        String five = execute("corral:logs -n 5 cmd-logs");
        List<String> lines = five.lines().filter(l -> !l.isBlank()).collect(Collectors.toList());
        assertEquals("-n 5 prints 5 lines:\n" + five, 5, lines.size());
        List<Long> seq = numbers(lines);
        assertEquals("5 numbers:\n" + five, 5, seq.size());
        for (int i = 1; i < seq.size(); i++) {
            assertEquals("consecutive, oldest first: " + seq, seq.get(i - 1) + 1, (long) seq.get(i));
        }

        // -f: the last lines, then new ones as they come, until interrupted (Ctrl-C)
        Background follow = background(admin(), "corral:logs -f -n 1 cmd-logs");
        long startedAfter = seq.get(seq.size() - 1);
        Await.until("corral:logs -f to print lines newer than " + (startedAfter + 10), Await.SECONDS,
                () -> numbers(follow.output().lines().collect(Collectors.toList())).stream()
                        .anyMatch(n -> n > startedAfter + 10), () -> follow.output());
        List<Long> followed = numbers(follow.output().lines().collect(Collectors.toList()));
        for (int i = 1; i < followed.size(); i++) {
            assertEquals("followed lines without gap or repetition: " + followed, followed.get(i - 1) + 1,
                    (long) followed.get(i));
        }
        follow.interrupt();
        follow.awaitEnd(Await.SECONDS);

        // -f also ends by itself when the daemon goes away
        Background follow2 = background(admin(), "corral:logs -f cmd-logs");
        Await.until("corral:logs -f to print", Await.SECONDS, () -> !follow2.output().isBlank());
        deleteDaemonCfg("cmd-logs");
        awaitNoDaemon("cmd-logs", Await.SECONDS);
        follow2.awaitEnd(Await.SECONDS);
        assertTrue("the follow says why it ended:\n" + follow2.output(), follow2.output().contains("cmd-logs"));
    }

    @Test
    public void startStopAndRestartControlTheProgram() {
        Path progs = progs("ConsoleCommandsIT-life");
        Daemon d = sleeper("cmd-life", progs);
        ProcessHandle first = ProcessHandle.of(d.pid().getAsLong()).orElseThrow();

        String stop = execute("corral:stop cmd-life");
        assertTrue("stop names the daemon:\n" + stop, stop.contains("cmd-life"));
        assertTrue("the program is gone after stop", Procs.awaitGone(List.of(first), Await.SECONDS).isEmpty());
        awaitDaemon("cmd-life", "STOPPED", ref -> DaemonState.STOPPED.name().equals(ref.getProperty(Daemon.PROP_STATE)),
                Await.SECONDS);
        assertTrue("list shows it STOPPED:\n", row(execute("corral:list"), "cmd-life").contains("STOPPED"));

        String start = execute("corral:start cmd-life");
        assertTrue("start names the daemon:\n" + start, start.contains("cmd-life"));
        Daemon started = awaitDaemon("cmd-life", "running again", RUNNING, Await.SECONDS);
        long second = started.pid().getAsLong();
        assertNotEquals("a new program", first.pid(), second);

        String restart = execute("corral:restart cmd-life");
        assertTrue("restart names the daemon:\n" + restart, restart.contains("cmd-life"));
        Daemon restarted = awaitDaemon("cmd-life", "running with a new pid", ref -> RUNNING.test(ref)
                && !Long.toString(second).equals(String.valueOf(ref.getProperty(Daemon.PROP_PID))), Await.SECONDS);
        assertNotEquals("restart runs a new program", second, restarted.pid().getAsLong());
        assertTrue("the previous program is gone after restart", Procs.awaitGone(
                Procs.handles(List.of(second)), Await.SECONDS).isEmpty());
        assertEquals("only the restarted program runs", List.of(restarted.pid().getAsLong()),
                Procs.runningFrom(progs).stream().map(ProcessHandle::pid).collect(Collectors.toList()));
    }

    @Test
    public void createWritesAPersistentConfigurationAndDeleteRemovesIt() throws Exception {
        Path progs = progs("ConsoleCommandsIT-create");
        Path prog = progs.resolve("sleep_ms");
        track("cmd-created");
        String out = execute("corral:create --restart transient --stdout-level debug cmd-created --kill-grace '1m 30s'"
                + " --intensity 4 -- " + prog + " 3600000");
        assertTrue("create names the daemon:\n" + out, out.contains("cmd-created"));

        Daemon d = awaitDaemon("cmd-created", "running", RUNNING, Await.SECONDS);
        assertEquals("argv", List.of(prog.toString(), "3600000"), d.spec().command().argv());
        assertEquals("restart policy from --restart", "TRANSIENT", d.spec().restart().name());
        assertEquals("--kill-grace after the name, in the form a .cfg file accepts", 90_000,
                d.spec().command().grace().toMillis());
        assertEquals("--intensity, typed", 4, d.spec().maxRestarts());
        Path file = daemonCfg("cmd-created");
        // Karaf writes the configuration to etc/ asynchronously (and not atomically): wait for its content
        Await.until(file + " to be written with the command (it persists like a dropped-in .cfg)", Await.SECONDS,
                () -> String.valueOf(load(file).getProperty("command")).contains(prog.toString()),
                () -> "content: " + load(file));
        // the file may hold env.* secrets: no permission for group or others, whatever Karaf's umask (issue 11)
        assertEquals("mode of " + file, "600", Integer.toOctalString(
                (Integer) Files.getAttribute(file, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS) & 07777));

        CommandResult again = run("corral:create cmd-created -- " + prog + " 1");
        assertFailsNaming(again, "cmd-created");

        ProcessHandle program = ProcessHandle.of(d.pid().getAsLong()).orElseThrow();
        String del = execute("corral:delete cmd-created");
        assertTrue("delete names the daemon:\n" + del, del.contains("cmd-created"));
        awaitNoDaemon("cmd-created", Await.SECONDS);
        Await.until(file + " to be removed", Await.SECONDS, () -> !Files.exists(file));
        assertTrue("the program is gone after delete", Procs.awaitGone(List.of(program), Await.SECONDS).isEmpty());
    }

    @Test
    public void runPrintsOutputAndExitStatus() {
        Path progs = progs("ConsoleCommandsIT-run");
        String out = execute("corral:run -- " + progs.resolve("print_args") + " alpha 'beta gamma'");
        assertTrue("the program's output:\n" + out, out.contains("alpha") && out.contains("beta gamma"));
        assertTrue("the exit status:\n" + out, out.contains("exit 0"));

        String failing = execute("corral:run -- " + progs.resolve("exit_with") + " 3");
        assertTrue("a non-zero exit status is reported:\n" + failing, failing.contains("exit 3"));

        String stderr = execute("corral:run -- " + progs.resolve("echo_stderr") + " on-stderr");
        assertTrue("stderr is shown:\n" + stderr, stderr.contains("on-stderr"));

        String killed = execute("corral:run --timeout 300ms -- " + progs.resolve("sleep_ms") + " 60000");
        assertTrue("a timeout kills the program and says so:\n" + killed, killed.contains("timed out"));
        assertTrue("nothing keeps running after corral:run", Procs.awaitGone(Procs.runningFrom(progs), Await.SECONDS)
                .isEmpty());
    }

    /**
     * Hardening options through Karaf's own parser, end to end (issue 12.4): nobody cannot bind port 80, nobody
     * with CAP_NET_BIND_SERVICE can (corral:run); a daemon created that way is READY on port 80, its program
     * holds exactly that capability (ambient), runs with no_new_privs and the given limits, and corral:status
     * shows the settings.
     */
    @Test
    public void hardeningOptionsLetNobodyServePort80() throws Exception {
        Path progs = progs("ConsoleCommandsIT-hardening");
        String bind = progs.resolve("bind_port").toString();
        String refused = execute("corral:run --user nobody -- " + bind + " 80");
        assertTrue("without the capability nobody cannot bind port 80:\n" + refused,
                refused.contains("bind 127.0.0.1:80: Permission denied") && refused.contains("exit 1"));
        String bound = execute("corral:run --user nobody --capabilities CAP_NET_BIND_SERVICE --nice -5 --rlimit"
                + " nofile=64:128 --no-new-privileges --umask 077 -- " + bind + " 80");
        assertTrue("with CAP_NET_BIND_SERVICE it can:\n" + bound, bound.contains("bound 127.0.0.1:80")
                && bound.contains("exit 0"));
        assertFailsNaming(run("corral:run --nice 25 -- " + bind + " 80"), "--nice", "25");
        assertFailsNaming(run("corral:run --capabilities CAP_NET_BIND_SERVCE -- " + bind + " 80"),
                "--capabilities", "did you mean CAP_NET_BIND_SERVICE?");
        assertFailsNaming(run("corral:create --rlimit nofiles=10 cmd-hard-bad -- " + bind + " 80"), "--rlimit",
                "did you mean rlimit.nofile?");

        track("cmd-port80");
        execute("corral:create --user nobody --capabilities CAP_NET_BIND_SERVICE --no-new-privileges --rlimit"
                + " nofile=64:128 --ready-port 80 --restart temporary cmd-port80 -- " + bind + " 80 --hold");
        Daemon d = awaitDaemon("cmd-port80", "READY on port 80", runningIn(DaemonState.READY), Await.SECONDS);
        List<String> status = Files.readAllLines(Path.of("/proc/" + d.pid().getAsLong() + "/status"));
        assertTrue("the program holds CAP_NET_BIND_SERVICE (ambient) as nobody with no_new_privs: " + status,
                status.contains("CapAmb:\t0000000000000400") && status.contains("CapEff:\t0000000000000400")
                        && status.contains("NoNewPrivs:\t1") && status.stream().anyMatch(l -> l.matches(
                                "Uid:\\s+65534\\s.*")));
        String shown = execute("corral:status cmd-port80");
        assertTrue("status shows the hardening:\n" + shown, shown.contains(
                "no.new.privileges, capabilities CAP_NET_BIND_SERVICE, rlimit.nofile 64:128"));
        execute("corral:delete cmd-port80");
        awaitNoDaemon("cmd-port80", Await.SECONDS);
    }

    /**
     * sd_notify end to end (issue 12.7): a daemon created with --ready-notify and --watchdog gets its own
     * NOTIFY_SOCKET (a root Karaf's: under /run/corral-notify) and WATCHDOG_USEC, is READY once its program sends
     * READY=1, and corral:status shows the watchdog and the program's STATUS= text; when the program stops petting,
     * the watchdog ends it with SIGABRT (temporary: not restarted) and the status text stays visible.
     */
    @Test
    public void sdNotifyReadinessStatusAndWatchdog() throws Exception {
        Path progs = progs("ConsoleCommandsIT-notify");
        String send = progs.resolve("notify_send").toString();
        track("cmd-notify");
        // pets 20 times every 500 ms (WATCHDOG_USEC/4), then falls silent
        execute("corral:create --ready-notify --watchdog 2s --restart temporary --rlimit core=0 cmd-notify -- " + send
                + " env send=READY=1 send=STATUS=serving-3-clients watchdog=20 sleep=3600000");
        Daemon d = awaitDaemon("cmd-notify", "READY by sd_notify", runningIn(DaemonState.READY), Await.SECONDS);
        long pid = d.pid().getAsLong();
        String shown = execute("corral:status -n 20 cmd-notify");
        assertTrue("the readiness check:\n" + shown, shown.contains("sd_notify"));
        assertTrue("the watchdog row:\n" + shown, shown.lines().anyMatch(l -> l.matches(
                "\\s*watchdog\\s+2s \\(sd_notify WATCHDOG=1; then SIGABRT\\)")));
        assertTrue("the program's environment:\n" + shown, shown.contains("NOTIFY_SOCKET=/run/corral-notify/")
                && shown.contains("WATCHDOG_USEC=2000000") && shown.contains("WATCHDOG_PID=" + pid));
        Await.until("the STATUS= text in corral:status", Await.SECONDS, () -> execute("corral:status cmd-notify")
                .lines().anyMatch(l -> l.matches("\\s*status\\s+serving-3-clients")),
                () -> execute("corral:status cmd-notify"));

        Await.until("the watchdog ends the silent program", Await.SECONDS,
                () -> d.state() == DaemonState.STOPPED, () -> d.state() + " " + d.lastExit());
        String after = execute("corral:status cmd-notify");
        assertTrue("the last exit names SIGABRT and the watchdog:\n" + after, after.lines().anyMatch(l ->
                l.contains("last exit") && l.contains("SIGABRT") && l.contains("watchdog") && l.contains("(pid " + pid)));
        assertTrue("the status text stays until the next run:\n" + after, after.contains("serving-3-clients"));
        execute("corral:delete cmd-notify");
        awaitNoDaemon("cmd-notify", Await.SECONDS);
    }

    @Test
    public void statsShowsTheCgroupStatisticsOfARunningDaemon() {
        Path mount = Cgroups.cgroup2Mount().orElseThrow(() -> new AssertionError("no cgroup2 mount on this host"));
        String base = Cgroups.createBase(mount, "stats");
        try {
            Path progs = progs("ConsoleCommandsIT-stats");
            cfg("cmd-stats", progs.resolve("sleep_ms").toString(), "3600000", "cgroup.base", base);
            Daemon d = awaitDaemon("cmd-stats", "running", RUNNING, Await.SECONDS);

            String out = execute("corral:stats cmd-stats");
            String cgroup = d.cgroupPath().orElseThrow(() -> new AssertionError("no cgroup path: " + d.state()));
            assertTrue("the daemon's cgroup lies under the test's base: " + cgroup, cgroup.contains(base));
            assertTrue("the cgroup path:\n" + out, out.contains(cgroup));
            assertTrue("cpu.stat (always present in cgroup2):\n" + out, out.contains("cpu.stat"));
            assertTrue("cpu.stat's usage_usec:\n" + out, out.contains("usage_usec"));

            String only = execute("corral:stats cmd-stats cpu.*");
            assertTrue("the glob keeps cpu.stat:\n" + only, only.contains("cpu.stat"));
            assertFalse("the glob drops cgroup.* files:\n" + only, only.contains("cgroup.events"));

            assertFailsNaming(run("corral:stats cmd-stats nothing.matches*"), "nothing.matches*");

            deleteDaemonCfg("cmd-stats");
            awaitNoDaemon("cmd-stats", Await.SECONDS);
            Procs.awaitGone(Procs.runningFrom(progs), Await.SECONDS);
            Await.until("the daemon's cgroup to be removed", Await.SECONDS,
                    () -> Cgroups.children(mount.resolve(base)).isEmpty(),
                    () -> "left: " + Cgroups.children(mount.resolve(base)));
        } finally {
            Cgroups.removeBase(mount.resolve(base));
        }
    }

    @Test
    public void statsOfADaemonWithoutACgroupIsAClearError() {
        Path progs = progs("ConsoleCommandsIT-nostats");
        // every daemon runs in a cgroup of its own by default: this one opts out
        cfg("cmd-nostats", progs.resolve("sleep_ms").toString(), "3600000", "cgroup.default", "false");
        awaitDaemon("cmd-nostats", "running", RUNNING, Await.SECONDS);
        assertFailsNaming(run("corral:stats cmd-nostats"), "cmd-nostats");
    }

    @Test
    public void doctorReportsTheHelperAndTheCgroupSetup() {
        String out = execute("corral:doctor");
        assertTrue("the attached fragment:\n" + out, out.contains(FRAGMENT_X86_64));
        assertTrue("the architecture:\n" + out, out.contains("x86_64"));
        String mount = Cgroups.cgroup2Mount().map(Path::toString).orElse("cgroup2");
        assertTrue("the cgroup2 mount " + mount + ":\n" + out, out.contains(mount));
        assertTrue("a summary line:\n" + out, out.lines().filter(l -> !l.isBlank()).reduce((x, y) -> y).orElse("")
                .startsWith("corral:"));
        // where programs go: this Karaf runs in the root cgroup of the host, so under corral at the top
        assertTrue("where programs go:\n" + out, out.lines().anyMatch(l -> l.contains("programs")
                && l.contains("each runs in a cgroup of its own under " + mount + "/corral")));
    }

    @Test
    public void unknownDaemonNamesAreClearErrors() {
        for (String command : List.of("status", "logs", "stats", "start", "stop", "restart", "delete")) {
            CommandResult r = run("corral:" + command + " " + UNKNOWN);
            assertFailsNaming(r, UNKNOWN);
        }
    }

    @Test
    public void badOptionsAreClearErrors() {
        Path progs = progs("ConsoleCommandsIT-bad");
        sleeper("cmd-bad", progs);
        String prog = progs.resolve("sleep_ms").toString();

        assertFailsNaming(run("corral:list --bogus"), "--bogus");
        CommandResult notANumber = run("corral:logs -n lots cmd-bad");
        assertTrue("`corral:logs -n lots` fails:\n" + notANumber, notANumber.failed());
        assertTrue("the error names the option or the value:\n" + notANumber,
                notANumber.all().contains("lots") || notANumber.all().contains("-n"));
        assertFailsNaming(run("corral:logs -n -5 cmd-bad"), "-n");
        assertFailsNaming(run("corral:run --timeout soon -- " + prog + " 1"), "soon");
        assertFailsNaming(run("corral:run --memory-max lots -- " + prog + " 1"), "lots");
        assertFailsNaming(run("corral:run"), "command");
        assertFailsNaming(run("corral:run -- /no/such/program"), "/no/such/program");
        assertFailsNaming(run("corral:create --restart sometimes cmd-bad2 -- " + prog + " 1"), "sometimes");
        assertFailsNaming(run("corral:create 'bad name!' -- " + prog + " 1"), "bad name!");
        // the words of the .cfg parser, after the option that gave the key
        assertFailsNaming(run("corral:create --kill-grace 5 cmd-bad2 -- " + prog + " 1"),
                "--kill-grace: kill.grace = '5': a duration needs a unit: 5ms or 5s?");
        assertFailsNaming(run("corral:create cmd-bad2 -- /no/such/program"), "command = '/no/such/program'");
        assertFalse("a refused create writes no configuration", Files.exists(daemonCfg("cmd-bad2")));
        assertFailsNaming(run("corral:create --no-such-option cmd-bad3 -- " + prog + " 1"), "--no-such-option");
        assertFalse("a refused create writes no configuration", Files.exists(daemonCfg("cmd-bad3")));
    }

    private static Properties load(Path file) {
        Properties p = new Properties();
        if (Files.isRegularFile(file)) {
            try (var in = Files.newInputStream(file)) {
                p.load(in);
            } catch (java.io.IOException e) {
                // being written: seen as empty, the wait goes on
            }
        }
        return p;
    }

    /**
     * Every command of the corral scope is covered by a test (the admin sees them all): above, except signal
     * and reload, which OperatorIT#anAdminMaySignalAndReloadAViewerMayNot covers with their ACL.
     */
    @Test
    public void everyCommandOfTheScopeIsTested() throws Exception {
        List<String> registered = new ArrayList<>();
        javax.security.auth.Subject.doAs(admin(), (java.security.PrivilegedExceptionAction<Void>) () -> {
            sessionFactory.getRegistry().getCommands().forEach(c -> {
                if ("corral".equals(c.getScope())) {
                    registered.add(c.getName());
                }
            });
            return null;
        });
        registered.sort(null);
        assertEquals("corral commands", List.of("create", "delete", "doctor", "list", "logs", "reload", "restart",
                "run", "signal", "start", "stats", "status", "stop"), registered);
    }
}
