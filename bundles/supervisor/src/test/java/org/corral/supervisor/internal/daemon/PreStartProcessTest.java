package org.corral.supervisor.internal.daemon;

import static org.corral.supervisor.support.TestSupport.alive;
import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.PreStart;
import org.corral.api.ProgramNotFoundException;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The pre-start hook with real programs: it waits, fails, times out, and is killed (with its descendants) by a stop. */
@ExtendWith(NoLeftovers.class)
class PreStartProcessTest {

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

    private static DaemonSpec.Builder spec(String name, String... argv) {
        return DaemonSpec.builder(name, CommandSpec.builder(argv).grace(Duration.ofMillis(300)).build());
    }

    private static CommandSpec hook(String... argv) {
        return CommandSpec.builder(argv).grace(Duration.ofMillis(300)).build();
    }

    @Test
    void theProgramStartsOnlyAfterTheHookSucceeded() throws Exception {
        Daemon d = corral.start(spec("after-hook", prog("sleep_ms"), "60000")
                .beforeStart(hook(prog("crash_after_ms"), "300", "0")).build());
        assertEquals(DaemonState.STARTING, d.state());
        assertTrue(d.pid().isEmpty(), "no program while the hook waits");
        d.await(Set.of(DaemonState.READY), WAIT);
        assertTrue(d.recentLines(10).contains("running"), "the hook's output is in the daemon's lines: "
                + d.recentLines(10));
        assertTrue(alive(d.pid().getAsLong()));
        d.stop();
    }

    @Test
    void aFailingHookFailsTheStart() throws Exception {
        Daemon d = corral.start(spec("hook-fails", prog("sleep_ms"), "60000").restart(RestartPolicy.TEMPORARY)
                .beforeStart(hook(prog("exit_with"), "3")).build());
        assertEquals(DaemonState.FAILED, d.await(Set.of(DaemonState.FAILED, DaemonState.READY), WAIT));
        assertTrue(d.lastExit().isEmpty(), "the program never ran");
        d.stop();
    }

    @Test
    void aHookThatOutlivesItsTimeoutIsKilled() throws Exception {
        Daemon d = corral.start(spec("hook-slow", prog("sleep_ms"), "60000").restart(RestartPolicy.TEMPORARY)
                .beforeStart(PreStart.command(hook(prog("spawn_grandchildren"), "2", "--wait"))
                        .withTimeout(Duration.ofMillis(500))).build());
        assertEquals(DaemonState.FAILED, d.await(Set.of(DaemonState.FAILED, DaemonState.READY), WAIT));
        List<Long> children = pids(d);
        assertEquals(2, children.size(), d.recentLines(10).toString());
        for (long p : children) {
            assertFalse(alive(p), "the hook's descendants are gone with it: " + p);
        }
        d.stop();
    }

    @Test
    void stopWhileTheHookRunsKillsItsWholeTree() throws Exception {
        Daemon d = corral.start(spec("hook-stop", prog("sleep_ms"), "60000")
                .beforeStart(hook(prog("spawn_grandchildren"), "2", "--wait")).build());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!d.recentLines(10).contains("ready") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        List<Long> children = pids(d);
        assertEquals(2, children.size(), d.recentLines(10).toString());
        for (long p : children) {
            assertTrue(alive(p));
        }
        assertEquals(DaemonState.STARTING, d.state());
        d.stop();
        assertEquals(DaemonState.STOPPED, d.state());
        for (long p : children) {
            assertFalse(alive(p), "stop() returns when the hook's tree is gone: " + p);
        }
        assertTrue(d.pid().isEmpty());
    }

    @Test
    void aHookProgramThatDoesNotExistIsRefusedBeforeAnythingRuns() {
        ProgramNotFoundException e = assertThrows(ProgramNotFoundException.class, () -> corral.start(
                spec("hook-missing", prog("sleep_ms"), "60000").beforeStart(hook("/nonexistent/wait-for")).build()));
        assertTrue(e.getMessage().startsWith("pre-start hook: "), e.getMessage());
    }

    @Test
    void theHookRunsBeforeTheReadinessCheckOfEachStart() throws Exception {
        Daemon d = corral.start(spec("hook-each", prog("crash_after_ms"), "100", "1")
                .readiness(Readiness.logLine("^running$")).restartDelay(Duration.ofMillis(10))
                .intensity(2, Duration.ofMinutes(1))
                .beforeStart(hook(prog("print_args"), "hook-ran")).build());
        d.await(Set.of(DaemonState.FAILED), WAIT);
        long hooks = d.recentLines(100).stream().filter(l -> l.contains("hook-ran")).count();
        assertEquals(3, hooks, "once per start: " + d.recentLines(100));
        d.stop();
    }

    private static List<Long> pids(Daemon d) {
        List<Long> out = new ArrayList<>();
        for (String l : d.recentLines(20)) {
            if (l.matches("\\d+")) {
                out.add(Long.parseLong(l));
            }
        }
        return out;
    }
}
