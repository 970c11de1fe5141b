package org.corral.supervisor.internal.daemon;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.InvalidCommandException;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.CommandResolver;
import org.corral.supervisor.internal.engine.EngineConfig;
import org.corral.supervisor.internal.engine.JavaFallbackEngine;
import org.corral.supervisor.internal.engine.UserDb;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * sd_notify with the real helper: the test program {@code notify_send}, and Debian's {@code systemd-notify} (as
 * root and as nobody), READY=1, STATUS=, the watchdog and its SIGABRT.
 */
@ExtendWith(NoLeftovers.class)
class NotifyProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String SYSTEMD_NOTIFY = "/usr/bin/systemd-notify";

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    private static DaemonSpec.Builder spec(String name, String... argv) {
        return DaemonSpec.builder(name, CommandSpec.builder(argv).grace(Duration.ofMillis(300)).build())
                .readiness(Readiness.notifySocket().withTimeout(Duration.ofSeconds(15)));
    }

    private static DaemonState await(Daemon d, DaemonState... states) throws Exception {
        return d.await(Set.of(states), WAIT);
    }

    private static String value(Daemon d, String key) {
        return d.recentLines(50).stream().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1))
                .findFirst().orElse(null);
    }

    @Test
    void readyOneFromTheProgramWithStatusAndItsOwnSocket() throws Exception {
        Daemon d = corral.start(spec("nt-ready", prog("notify_send"), "env", "sleep=300",
                "send=STATUS=loading\\nX=1", "sleep=300", "send=READY=1\\nSTATUS=serving", "sleep=60000").build());
        await(d, DaemonState.STARTING, DaemonState.RUNNING);
        assertEquals(DaemonState.READY, await(d, DaemonState.READY, DaemonState.FAILED));
        assertEquals(Optional.of("serving"), d.statusText());
        assertEquals("serving", java.lang.management.ManagementFactory.getPlatformMBeanServer()
                .getAttribute(DaemonMBeans.objectName("nt-ready"), "StatusText"), "the MBean's StatusText");
        String socket = value(d, "NOTIFY_SOCKET");
        assertTrue(socket != null && socket.startsWith("/run/corral-notify/") && socket.endsWith(".sock"),
                "a root JVM's notify sockets live in /run/corral-notify: " + socket);
        assertTrue(Files.exists(Path.of(socket)));
        assertEquals("-", value(d, "WATCHDOG_USEC"), "no watchdog: no WATCHDOG_USEC");
        d.stop();
        // the helper removes it as it exits, just after the EXIT frame that ended the stop
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (Files.exists(Path.of(socket)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(Files.exists(Path.of(socket)), "the socket goes with the program's helper");
    }

    @Test
    void systemdNotifyAsRootFromAShellScript() throws Exception {
        // Debian's systemd-notify (252): as root it sends with its parent's pid (the script, the program), then
        // waits for the receiver to close the fd of its BARRIER=1
        Daemon d = corral.start(spec("nt-systemd", "/bin/sh", "-c", SYSTEMD_NOTIFY
                + " --ready --status='up and running' && echo notified=$? && exec " + prog("sleep_ms") + " 60000")
                .build());
        assertEquals(DaemonState.READY, await(d, DaemonState.READY, DaemonState.FAILED));
        assertEquals(Optional.of("up and running"), d.statusText());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (value(d, "notified") == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals("0", value(d, "notified"), "systemd-notify succeeded (its barrier was answered): "
                + d.recentLines(20));
        d.stop();
    }

    @Test
    void systemdNotifyAsNobody() throws Exception {
        // not root: it cannot claim its parent's pid and sends with its own, and stays until the barrier is answered
        Daemon d = corral.start(DaemonSpec.builder("nt-nobody", CommandSpec.builder("/bin/sh", "-c", SYSTEMD_NOTIFY
                + " --ready --status=unprivileged; echo notified=$?; exec " + prog("sleep_ms") + " 60000")
                .user("nobody").grace(Duration.ofMillis(300)).build())
                .readiness(Readiness.notifySocket().withTimeout(Duration.ofSeconds(15))).build());
        assertEquals(DaemonState.READY, await(d, DaemonState.READY, DaemonState.FAILED), d.recentLines(20).toString());
        assertEquals(Optional.of("unprivileged"), d.statusText());
        d.stop();
    }

    @Test
    void aSilentWatchdogGetsSigabrtAndARestart() throws Exception {
        // pets 3 times every 100 ms (WATCHDOG_USEC/4), then falls silent: SIGABRT kills it (default action)
        Daemon d = corral.start(spec("nt-watchdog", prog("notify_send"), "env", "send=READY=1", "watchdog=3",
                "sleep=60000").watchdog(Duration.ofMillis(400)).restartDelay(Duration.ofSeconds(30)).build());
        assertEquals(DaemonState.BACKING_OFF, await(d, DaemonState.BACKING_OFF, DaemonState.FAILED, DaemonState.STOPPED));
        DaemonExit x = d.lastExit().orElseThrow();
        assertEquals(DaemonExit.Reason.WATCHDOG, x.reason());
        assertEquals(Signal.ABRT, x.signal().orElseThrow(), "SIGABRT ended it: " + x);
        assertEquals("400000", value(d, "WATCHDOG_USEC"));
        assertEquals(Long.toString(x.pid()), value(d, "WATCHDOG_PID"));
        assertTrue(d.recentLines(50).contains("petted 3"), d.recentLines(50).toString());
        d.stop();
    }

    @Test
    void aWatchdogThatCatchesSigabrtIsStoppedTheNormalWay() throws Exception {
        // a shell that traps ABRT survives it and then gets SIGTERM. notify_send is a child of the shell: it waits
        // for the barrier, else it could exit before its READY=1 was read and checked (refused as gone). The grace
        // is long: dash blocks its signals while it vforks a command, so on a loaded machine SIGTERM may take a
        // while to land (a SIGKILL after 300 ms was seen)
        Daemon d = corral.start(DaemonSpec.builder("nt-trap", CommandSpec.builder("/bin/sh", "-c",
                "trap 'echo got ABRT' ABRT; " + prog("notify_send") + " send=READY=1 barrier; while :; do sleep 0.05; done")
                .grace(Duration.ofSeconds(3)).build()).readiness(Readiness.notifySocket())
                .watchdog(Duration.ofMillis(300)).restart(RestartPolicy.TEMPORARY).build());
        assertEquals(DaemonState.STOPPED, await(d, DaemonState.STOPPED, DaemonState.FAILED));
        DaemonExit x = d.lastExit().orElseThrow();
        assertEquals(DaemonExit.Reason.WATCHDOG, x.reason());
        assertEquals(Signal.TERM, x.signal().orElseThrow(), "after SIGABRT was caught, the normal stop: " + x);
        assertTrue(d.recentLines(20).contains("got ABRT"), d.recentLines(20).toString());
    }

    @Test
    void datagramsOfOtherProcessesAreRefused() throws Exception {
        Daemon d = corral.start(spec("nt-foreign", prog("notify_send"), "env", "sleep=60000").build());
        await(d, DaemonState.RUNNING);
        String socket = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while ((socket = value(d, "NOTIFY_SOCKET")) == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        // another program of the same JVM, not of this daemon, says READY=1 on its socket: refused. It waits for the
        // barrier, so it is still alive when the helper checks it (refused as foreign, not as gone)
        var r = corral.run(CommandSpec.builder(prog("notify_send"), "send=READY=1\\nSTATUS=forged", "barrier")
                .env("NOTIFY_SOCKET", socket).build());
        assertEquals(0, r.exitCode(), r.stderrText());
        assertTrue(r.stdoutText().contains("barrier ok"), r.stdoutText());
        Thread.sleep(500);
        assertEquals(DaemonState.RUNNING, d.state(), "a datagram from outside the daemon changes nothing");
        assertTrue(d.statusText().isEmpty(), d.statusText().toString());
        d.stop();
    }

    @Test
    void theJavaFallbackRefusesNotifyDaemonsBeforeAnythingRuns() {
        EngineConfig cfg = EngineConfig.builder().runtimeParent(TestSupport.runtimeParent())
                .resolver(new CommandResolver(TestSupport.taggedEnv(), UserDb.system(), CommandResolver.selfUid()))
                .build();
        try (JavaFallbackEngine fallback = new JavaFallbackEngine(cfg, "test")) {
            DaemonSupervisor s = new DaemonSupervisor(fallback, "test");
            InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> s.start(
                    spec("nt-fallback", prog("notify_send"), "sleep=60000").build()));
            assertTrue(e.getMessage().startsWith("ready.notify, watchdog: sd_notify needs Corral's native helper"),
                    e.getMessage());
            assertThrows(InvalidCommandException.class, () -> s.start(DaemonSpec.builder("nt-fallback-w",
                    CommandSpec.of(prog("sleep_ms"), "60000")).watchdog(Duration.ofSeconds(1)).build()));
            assertTrue(s.registry().owner("nt-fallback").isEmpty(), "the name was not taken");
            s.close();
        }
    }
}
