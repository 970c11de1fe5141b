package org.corral.supervisor.internal.daemon;

import static org.corral.supervisor.support.TestSupport.alive;
import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ExitStatusSet;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Daemons on the real engine with real programs: restarts, readiness, stop of every descendant, output. */
@ExtendWith(NoLeftovers.class)
class DaemonProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    private static DaemonState await(Daemon d, DaemonState... states) throws Exception {
        return d.await(Set.of(states), WAIT);
    }

    private static DaemonSpec.Builder spec(String name, String... argv) {
        return DaemonSpec.builder(name, CommandSpec.builder(argv).grace(Duration.ofMillis(300)).build());
    }

    @Test
    void crashingProgramIsRestartedThenFailed() throws Exception {
        Daemon d = corral.start(spec("crashy", prog("crash_after_ms"), "20", "3").restartDelay(Duration.ofMillis(10))
                .maxRestartDelay(Duration.ofMillis(40)).intensity(3, Duration.ofMinutes(1)).build());
        assertEquals(DaemonState.FAILED, await(d, DaemonState.FAILED));
        assertEquals(3, d.restarts());
        assertEquals(3, d.lastExit().orElseThrow().exitCode());
        assertEquals(4, d.recentLines(100).stream().filter("running"::equals).count(), d.recentLines(100).toString());
        d.stop();
    }

    @Test
    void exitPolicyOnRealEnds() throws Exception {
        // transient: exit code 3 is listed as clean, so it is not restarted
        Daemon clean = corral.start(spec("clean3", prog("crash_after_ms"), "20", "3").restart(RestartPolicy.TRANSIENT)
                .successExitStatus(ExitStatusSet.parse("3")).restartDelay(Duration.ofMillis(10)).build());
        assertEquals(DaemonState.STOPPED, await(clean, DaemonState.STOPPED, DaemonState.FAILED));
        assertEquals(0, clean.restarts());
        assertEquals(3, clean.lastExit().orElseThrow().exitCode());
        assertTrue(clean.spec().isCleanExit(clean.lastExit().orElseThrow()));
        // permanent: a signal listed in restart.prevent.exit.status is never restarted
        Daemon prevented = corral.start(spec("usr1", prog("kill_self"), "10").restartDelay(Duration.ofMillis(10))
                .restartPreventExitStatus(ExitStatusSet.parse("SIGUSR1")).build());
        assertEquals(DaemonState.STOPPED, await(prevented, DaemonState.STOPPED, DaemonState.FAILED));
        assertEquals(0, prevented.restarts());
        assertEquals(Signal.USR1, prevented.lastExit().orElseThrow().signal().orElseThrow());
        assertFalse(prevented.spec().isCleanExit(prevented.lastExit().orElseThrow()));
        clean.stop();
        prevented.stop();
    }

    @Test
    void stopEndsEveryDescendantAlsoSetsidOnes() throws Exception {
        Daemon d = corral.start(spec("family", prog("spawn_grandchildren"), "3", "--wait")
                .readiness(Readiness.logLine("^ready$")).build());
        await(d, DaemonState.READY);
        Daemon e = corral.start(spec("escaper", prog("double_fork_setsid"), "--stay")
                .readiness(Readiness.logLine("^\\d+$")).build());
        await(e, DaemonState.READY);
        List<Long> pids = new ArrayList<>();
        for (String l : d.recentLines(10)) {
            if (l.matches("\\d+")) {
                pids.add(Long.parseLong(l));
            }
        }
        pids.add(Long.parseLong(e.recentLines(1).get(0)));
        assertEquals(4, pids.size(), pids.toString());
        pids.add(d.pid().getAsLong());
        pids.add(e.pid().getAsLong());
        for (long p : pids) {
            assertTrue(alive(p), "running before the stop: " + p);
        }
        d.stop();
        e.stop();
        for (long p : pids) {
            assertFalse(alive(p), "gone after the stop: " + p);
        }
        assertEquals(DaemonState.STOPPED, d.state());
        assertTrue(d.lastExit().orElseThrow().requested());
    }

    @Test
    void sigtermIgnoringProgramIsKilledAfterTheGrace() throws Exception {
        Daemon d = corral.start(spec("stubborn", prog("ignore_sigterm")).readiness(Readiness.logLine("ready")).build());
        await(d, DaemonState.READY);
        d.stop();
        assertEquals(Signal.KILL, d.lastExit().orElseThrow().signal().orElseThrow());
    }

    @Test
    void readinessByLogLineWaitsForTheMatch() throws Exception {
        Daemon d = corral.start(spec("counter", prog("print_seq"), "20").readiness(Readiness.logLine("^3$")).build());
        await(d, DaemonState.READY);
        List<String> lines = d.recentLines(100);
        assertTrue(lines.indexOf("3") >= 2, lines.toString());
        assertEquals(List.of("1", "2", "3"), lines.subList(0, 3));
        d.stop();
    }

    @Test
    void readinessByTcpPort() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String script = "import socket,time\ntime.sleep(0.3)\ns=socket.socket()\n"
                + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1'," + port + "))\n"
                + "s.listen()\nprint('listening', flush=True)\ntime.sleep(600)\n";
        Daemon d = corral.start(spec("listener", "python3", "-c", script).readiness(Readiness.tcpPort(port)).build());
        assertEquals(DaemonState.READY, await(d, DaemonState.READY, DaemonState.FAILED, DaemonState.BACKING_OFF));
        assertTrue(d.recentLines(10).contains("listening"), d.recentLines(10).toString());
        d.stop();
    }

    @Test
    void readinessByFile(@TempDir Path dir) throws Exception {
        Path flag = dir.resolve("up");
        Daemon d = corral.start(spec("filer", "sh", "-c", "sleep 0.2; echo > '" + flag + "'; exec sleep 600")
                .readiness(Readiness.file(flag)).build());
        await(d, DaemonState.READY);
        assertTrue(Files.exists(flag));
        d.stop();
    }

    @Test
    void readinessTimeoutIsAFailedStart() throws Exception {
        Daemon d = corral.start(spec("mute", "sleep", "600").restart(RestartPolicy.TEMPORARY)
                .readiness(Readiness.logLine("never").withTimeout(Duration.ofMillis(300))).build());
        assertEquals(DaemonState.FAILED, await(d, DaemonState.FAILED, DaemonState.STOPPED));
        assertTrue(d.pid().isEmpty());
    }

    @Test
    void lastPartialLineIsKept() throws Exception {
        Daemon d = corral.start(spec("partial", prog("partial_line")).restart(RestartPolicy.TEMPORARY).build());
        await(d, DaemonState.STOPPED);
        assertEquals(List.of("no newline at end"), d.recentLines(10));
        assertEquals(17, d.stdoutBytes());
    }

    @Test
    void signalAndRestart() throws Exception {
        Daemon d = corral.start(spec("hupper", "sh", "-c",
                "trap 'echo got hup' HUP; echo ready; while :; do sleep 0.05; done").readiness(Readiness.logLine("ready"))
                .build());
        await(d, DaemonState.READY);
        long first = d.pid().getAsLong();
        d.signal(Signal.HUP);
        for (int i = 0; i < 200 && !d.recentLines(10).contains("got hup"); i++) {
            Thread.sleep(10);
        }
        assertTrue(d.recentLines(10).contains("got hup"), d.recentLines(10).toString());
        d.restart();
        await(d, DaemonState.READY);
        assertNotEquals(first, d.pid().getAsLong());
        assertFalse(alive(first));
        assertEquals(1, d.restarts());
        d.stop();
    }

    @Test
    void dependentStartsAfterItsDependencyIsReady() throws Exception {
        Daemon app = corral.start(spec("app", "sh", "-c", "echo started; exec sleep 600").dependsOn(List.of("db")).build());
        Thread.sleep(100);
        assertEquals(DaemonState.STARTING, app.state());
        assertTrue(app.pid().isEmpty(), "waits for db");
        Daemon db = corral.start(spec("db", "sh", "-c", "sleep 0.2; echo accepting connections; exec sleep 600")
                .readiness(Readiness.logLine("accepting")).build());
        await(app, DaemonState.READY);
        Instant dbReady = db.startedAt().orElseThrow();
        assertTrue(app.startedAt().orElseThrow().isAfter(dbReady));
        assertEquals(DaemonState.READY, db.state());
        app.stop();
        db.stop();
    }

    @Test
    void cgroupStatisticsAndRawFilesOnTheHostMount() throws Exception {
        org.corral.cgroup.CgroupManager m;
        try {
            m = org.corral.cgroup.CgroupManager.open();
        } catch (RuntimeException e) {
            throw new AssertionError("no cgroup2 mount on this machine: " + e.getMessage(), e);
        }
        String base = "corral-daemon-test-" + ProcessHandle.current().pid();
        Path baseDir = m.resolve(base);
        try {
            Daemon d = corral.start(DaemonSpec.builder("grouped", CommandSpec.builder("sleep", "600")
                    .cgroupBase(base).grace(Duration.ofMillis(300)).build()).build());
            await(d, DaemonState.READY);
            String path = d.cgroupPath().orElseThrow();
            assertTrue(path.startsWith(base + "/"), path);
            assertEquals(Long.toString(d.pid().getAsLong()), d.cgget("cgroup.procs").trim());
            assertTrue(d.stats().orElseThrow().files().containsKey("cgroup.events"), d.stats().toString());
            d.cgset("cgroup.max.descendants", "5");
            assertEquals("5", d.cgget("cgroup.max.descendants"));
            d.stop();
            assertTrue(d.cgroupPath().isEmpty());
            assertFalse(Files.exists(m.mount().resolve(path)), "the program's cgroup is removed");
        } finally {
            if (Files.isDirectory(baseDir)) {
                Files.delete(baseDir); // only ours, and empty by now
            }
            m.close();
        }
    }

    @Test
    void jmxShowsAndControlsTheDaemon() throws Exception {
        Daemon d = corral.start(spec("jmxed", "sleep", "600").build());
        await(d, DaemonState.READY);
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName on = new ObjectName("org.corral:type=Daemon,name=jmxed");
        assertEquals("READY", server.getAttribute(on, "State"));
        assertEquals(d.pid().getAsLong(), server.getAttribute(on, "Pid"));
        assertEquals(-1L, server.getAttribute(on, "MemoryCurrent"));
        server.invoke(on, "stop", null, null);
        assertEquals(DaemonState.STOPPED, d.state());
        assertEquals(-1L, server.getAttribute(on, "Pid"));
        server.invoke(on, "start", null, null);
        await(d, DaemonState.READY);
        d.stop();
    }
}
