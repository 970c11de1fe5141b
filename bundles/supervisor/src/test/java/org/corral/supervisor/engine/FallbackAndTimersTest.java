package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.InvalidCommandException;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.api.StderrMode;
import org.corral.api.StdoutMode;
import org.corral.api.SupervisorStatus.RunResult;
import org.corral.api.Stdin;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.DaemonStarter;
import org.corral.supervisor.internal.ProcessServiceImpl;
import org.corral.supervisor.internal.RunCounts;
import org.corral.supervisor.internal.engine.CommandResolver;
import org.corral.supervisor.internal.engine.EngineConfig;
import org.corral.supervisor.internal.engine.JavaFallbackEngine;
import org.corral.supervisor.internal.engine.Timers;
import org.corral.supervisor.internal.engine.UserDb;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The pure-Java fallback runs commands and says what it cannot do; engine timers fire and cancel. */
@ExtendWith(NoLeftovers.class)
class FallbackAndTimersTest {

    private static JavaFallbackEngine fallback() {
        EngineConfig cfg = EngineConfig.builder().runtimeParent(TestSupport.runtimeParent())
                .resolver(new CommandResolver(TestSupport.taggedEnv(), UserDb.system(), CommandResolver.selfUid()))
                .build();
        return new JavaFallbackEngine(cfg, "test");
    }

    @Test
    void fallbackRunsCommands() throws Exception {
        RunCounts runs = new RunCounts();
        try (JavaFallbackEngine engine = fallback();
                ProcessServiceImpl service = new ProcessServiceImpl(engine, DaemonStarter.NOT_WIRED, "test", runs)) {
            Containment c = service.containment();
            assertEquals(Containment.Mode.JAVA_FALLBACK, c.mode());
            assertFalse(c.limitations().isEmpty());
            assertTrue(c.limitations().stream().anyMatch(s -> s.contains("Descendants")), c.limitations().toString());

            ProcessResult r = service.run("echo", "hi");
            assertEquals("hi\n", r.stdoutText());
            assertEquals(0, r.exitCode());
            r = service.run(prog("exit_with"), "7");
            assertEquals(7, r.exitCode());
            r = service.run(CommandSpec.builder(prog("interleave"), "2").stderr(StderrMode.SEPARATE).build());
            assertEquals("out 1\nout 2\n", r.stdoutText());
            assertEquals("err 1\nerr 2\n", r.stderrText());
            r = service.run(CommandSpec.builder(prog("interleave"), "2").stdout(StdoutMode.DISCARD).build());
            assertEquals("", r.stdoutText(), "stdout discarded (issue 12.8)");
            assertEquals("err 1\nerr 2\n", r.stderrText());
            r = service.run(CommandSpec.builder(prog("cat_stdin_count")).stdin(Stdin.text("12345")).build());
            assertEquals("5\n", r.stdoutText());
            r = service.run(CommandSpec.builder(prog("sleep_ms"), "60000").timeout(Duration.ofMillis(100)).build());
            assertTrue(r.timedOut());
            assertEquals(Signal.TERM, r.signal().orElseThrow());
            InvalidCommandException e = assertThrows(InvalidCommandException.class,
                    () -> service.run(CommandSpec.builder("id").user("nobody").build()));
            assertTrue(e.getMessage().contains("native helper"), e.getMessage());
            assertThrows(UnsupportedOperationException.class,
                    () -> service.start(org.corral.api.DaemonSpec.builder("x", CommandSpec.of("true")).build()));

            // every one-shot run was counted by its result (counted as the completion's callbacks run)
            Map<RunResult, Long> expected = Map.of(RunResult.SUCCESS, 4L, RunResult.FAILURE, 1L, RunResult.SIGNAL, 0L,
                    RunResult.TIMEOUT, 1L, RunResult.CANCELLED, 0L, RunResult.ERROR, 1L);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!runs.snapshot().equals(expected) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(expected, runs.snapshot());
        }
    }

    @Test
    void timersFireOnTheIoThreadAndCanBeCancelled() throws Exception {
        try (Corral corral = TestSupport.open()) {
            Timers timers = corral.engine().timers();
            CompletableFuture<String> fired = new CompletableFuture<>();
            timers.schedule(Duration.ofMillis(20), () -> fired.complete(Thread.currentThread().getName()));
            AtomicBoolean cancelledRan = new AtomicBoolean();
            Timers.Timer t = timers.schedule(Duration.ofMillis(50), () -> cancelledRan.set(true));
            assertTrue(t.cancel());
            assertFalse(t.cancel(), "only once");
            CountDownLatch later = new CountDownLatch(1);
            timers.schedule(Duration.ofMillis(150), later::countDown);
            assertEquals("corral-io", fired.get(10, TimeUnit.SECONDS));
            assertTrue(later.await(10, TimeUnit.SECONDS));
            assertFalse(cancelledRan.get());
            CompletableFuture<String> delivered = new CompletableFuture<>();
            corral.engine().deliverExecutor().execute(() -> delivered.complete(Thread.currentThread().getName()));
            assertTrue(delivered.get(10, TimeUnit.SECONDS).matches("corral-deliver-[0-9]+"));
        }
    }

    @Test
    void aRuntimeDirectoryTooLongForASocketGoesToAShortPrivateOne() throws Exception {
        java.nio.file.Path deep = TestSupport.runtimeParent().resolve("d".repeat(100));
        java.nio.file.Files.createDirectories(deep);
        java.nio.file.Path dir;
        try (Corral corral = Corral.builder().runtimeDirectory(deep).baseEnvironment(TestSupport.taggedEnv())
                .requireHelper(true).open()) {
            dir = ((org.corral.supervisor.internal.engine.HelperEngine) corral.engine()).runtimeDir();
            // root: /run/corral, never the shared /tmp (issue 11); another user: $XDG_RUNTIME_DIR, else /tmp
            String xdg = System.getenv("XDG_RUNTIME_DIR");
            java.nio.file.Path expected = org.corral.supervisor.internal.engine.CommandResolver.selfUid() == 0
                    ? java.nio.file.Path.of("/run/corral") : xdg != null ? java.nio.file.Path.of(xdg) : java.nio.file.Path.of("/tmp");
            assertEquals(expected, dir.getParent());
            assertEquals("ok\n", corral.run("echo", "ok").stdoutText());
        } finally {
            java.nio.file.Files.delete(deep);
        }
        assertFalse(java.nio.file.Files.exists(dir), "removed at close");
    }

    @Test
    void aBrokenHelperIsAClearError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path fake = dir.resolve("corral-helper");
        java.nio.file.Files.writeString(fake, "#!/bin/sh\necho 'this helper cannot run here' >&2\nexit 1\n");
        java.nio.file.Files.setPosixFilePermissions(fake, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        org.corral.api.ProcessException e = assertThrows(org.corral.api.ProcessException.class,
                () -> Corral.builder().runtimeDirectory(TestSupport.runtimeParent()).helper(fake).requireHelper(true).open());
        assertTrue(e.getMessage().contains("did not start") && e.getMessage().contains("this helper cannot run here"),
                e.getMessage());
        // and without requireHelper (nor the system property), the same failure falls back to ProcessBuilder
        String prop = System.clearProperty(org.corral.supervisor.internal.engine.Engines.PROP_REQUIRED);
        try (Corral corral = Corral.builder().runtimeDirectory(TestSupport.runtimeParent()).helper(fake)
                .baseEnvironment(TestSupport.taggedEnv()).open()) {
            Containment c = corral.containment();
            assertEquals(Containment.Mode.JAVA_FALLBACK, c.mode());
            assertEquals("fine\n", corral.run("echo", "fine").stdoutText());
        } finally {
            if (prop != null) {
                System.setProperty(org.corral.supervisor.internal.engine.Engines.PROP_REQUIRED, prop);
            }
        }
    }

    @Test
    void closeStopsEverythingItStarted() throws Exception {
        Corral corral = TestSupport.open();
        CompletableFuture<ProcessResult> f = corral.runAsync(CommandSpec.builder(prog("ignore_sigterm"))
                .grace(Duration.ofMillis(100)).build());
        CompletableFuture<ProcessResult> g = corral.runAsync(CommandSpec.of(prog("sleep_ms"), "600000"));
        // wait until both run
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (TestSupport.tagged(TestSupport.TAG).size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        corral.close();
        assertEquals(Signal.KILL, f.get(10, TimeUnit.SECONDS).signal().orElseThrow());
        assertEquals(Signal.TERM, g.get(10, TimeUnit.SECONDS).signal().orElseThrow());
        assertEquals(java.util.List.of(), TestSupport.tagged(TestSupport.TAG));
        assertThrows(org.corral.api.ProcessException.class, () -> corral.run("true"));
    }
}
