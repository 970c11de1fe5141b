package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.corral.api.CommandSpec;
import org.corral.api.OutputConsumer;
import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Timeouts, interrupts, cancel and teardown: the program and every descendant go, nothing escapes. */
@ExtendWith(NoLeftovers.class)
class KillTest {

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    /** Collects output lines (pids) and opens a latch when "ready" arrives. */
    static final class Lines implements OutputConsumer {
        final StringBuilder text = new StringBuilder();
        final CountDownLatch ready = new CountDownLatch(1);

        @Override
        public synchronized void accept(org.corral.api.StreamKind s, java.nio.ByteBuffer d) {
            byte[] b = new byte[d.remaining()];
            d.get(b);
            text.append(new String(b, StandardCharsets.US_ASCII));
            if (text.indexOf("ready\n") >= 0 || text.toString().matches("(?s)\\d+\n.*")) {
                if (text.indexOf("ready\n") >= 0) {
                    ready.countDown();
                }
            }
        }

        synchronized List<Long> pids() {
            return TestSupport.pidsIn(text.toString());
        }

        void awaitReady() throws InterruptedException {
            assertTrue(ready.await(30, TimeUnit.SECONDS), "program never said ready: " + text);
        }
    }

    @Test
    void timeoutStopsWithTheKillSignalWithinTheGrace() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder(prog("sleep_ms"), "600000").timeout(Duration.ofMillis(100))
                .grace(Duration.ofSeconds(30)).build());
        assertTrue(r.timedOut());
        assertTrue(r.killed());
        // SIGTERM ended it: had it needed the SIGKILL after the 30 s grace, the signal would be KILL
        assertEquals(Signal.TERM, r.signal().orElseThrow());
    }

    @Test
    void sigtermIgnoringProgramIsKilledAfterTheGrace() throws Exception {
        Lines lines = new Lines();
        ProcessResult r = corral.run(CommandSpec.builder(prog("ignore_sigterm")).timeout(Duration.ofMillis(200))
                .grace(Duration.ofMillis(300)).consumer(lines).build());
        assertTrue(r.timedOut());
        assertEquals(Signal.KILL, r.signal().orElseThrow());
        assertTrue(r.stdoutText().startsWith("ready"), r.stdoutText());
        assertTrue(r.duration().toMillis() >= 200, "the kill came after the timeout: " + r.duration());
    }

    @Test
    void customKillSignal() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder(prog("sleep_ms"), "600000").timeout(Duration.ofMillis(50))
                .killSignal(Signal.INT).build());
        assertEquals(Signal.INT, r.signal().orElseThrow());
    }

    @Test
    void interruptOfTheCallerKillsTheProgram() throws Exception {
        Lines lines = new Lines();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                corral.run(CommandSpec.builder(prog("fork_tree"), "12").consumer(lines).build());
            } catch (Throwable e) {
                thrown.set(e);
                flag.set(Thread.currentThread().isInterrupted());
            }
        });
        t.start();
        lines.awaitReady();
        List<Long> pids = lines.pids();
        assertEquals(12, pids.size(), lines.text.toString());
        t.interrupt();
        t.join(30_000);
        assertFalse(t.isAlive());
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertTrue(flag.get(), "the interrupt flag is set again");
        // run() returned only after the teardown: every node of the tree is gone already
        assertEquals(List.of(), alive(pids));
    }

    @Test
    void cancelOfTheFutureKillsTheTree() throws Exception {
        Lines lines = new Lines();
        CompletableFuture<ProcessResult> f = corral.runAsync(CommandSpec.builder(prog("fork_tree"), "30").consumer(lines)
                .build());
        lines.awaitReady();
        List<Long> pids = lines.pids();
        assertEquals(30, pids.size());
        assertTrue(f.cancel(true));
        assertThrows(CancellationException.class, f::join);
        assertEquals(List.of(), TestSupport.awaitGone(pids, 10_000), "survivors after cancel");
    }

    @Test
    void descendantsAreGoneAfterANormalExit() throws Exception {
        ProcessResult r = corral.run(prog("double_fork_setsid"));
        assertEquals(0, r.exitCode());
        List<Long> pids = TestSupport.pidsIn(r.stdoutText());
        assertEquals(1, pids.size(), r.stdoutText());
        assertEquals(List.of(), alive(pids), "the setsid'd grandchild is gone when run() returns");

        r = corral.run(prog("spawn_grandchildren"), "5");
        pids = TestSupport.pidsIn(r.stdoutText());
        assertEquals(5, pids.size(), r.stdoutText());
        assertEquals(List.of(), alive(pids));
    }

    @Test
    void descendantsCanBeKeptWhenAsked() throws Exception {
        Lines lines = new Lines();
        RunningProgram p = corral.engine().launch(CommandSpec.builder(prog("spawn_grandchildren"), "2")
                .killDescendantsOnExit(false).build(), lines);
        long pid = p.started().get(30, TimeUnit.SECONDS);
        lines.awaitReady();
        List<Long> children = lines.pids();
        assertEquals(2, children.size(), lines.text.toString());
        assertEquals(List.of(), TestSupport.awaitGone(List.of(pid), 10_000), "the program itself exits at once");
        assertEquals(children, alive(children), "its children are kept");
        assertFalse(p.isDone(), "they hold stdout open, so the run is not over");
        ProcessResult r = p.stop(Signal.TERM, Duration.ZERO).get(30, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), "the program's own status");
        assertEquals(List.of(), alive(children), "a stop still takes every descendant");
    }

    @Test
    void stopOfARunningProgram() throws Exception {
        Lines lines = new Lines();
        RunningProgram p = corral.engine().launch(CommandSpec.builder(prog("fork_tree"), "20").build(), lines);
        long pid = p.started().get(30, TimeUnit.SECONDS);
        assertTrue(pid > 0);
        lines.awaitReady();
        assertTrue(p.helperPid().isPresent());
        ProcessResult r = p.stop(Signal.TERM, Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);
        assertTrue(r.killed());
        assertEquals(List.of(), alive(lines.pids()));
    }

    @Test
    void helperKilledWithSigkillTakesTheProgramAlong() throws Exception {
        RunningProgram p = corral.engine().launch(CommandSpec.of(prog("sleep_ms"), "600000"));
        long pid = p.started().get(30, TimeUnit.SECONDS);
        long helper = p.helperPid().orElseThrow();
        ProcessHandle.of(helper).orElseThrow().destroyForcibly();
        ExecutionException e = assertThrows(ExecutionException.class, () -> p.completion().get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof ProcessException, e.toString());
        assertTrue(e.getCause().getMessage().contains("helper"), e.getCause().getMessage());
        assertEquals(List.of(), TestSupport.awaitGone(List.of(pid), 10_000), "PR_SET_PDEATHSIG kills the program");
    }

    @Test
    void helperSentHupIntOrPipeLeavesNoSurvivors() throws Exception {
        for (String sig : new String[] {"HUP", "INT", "PIPE"}) {
            Lines lines = new Lines();
            RunningProgram p = corral.engine().launch(CommandSpec.builder(prog("fork_tree"), "15").build(), lines);
            lines.awaitReady();
            List<Long> pids = lines.pids();
            long helper = p.helperPid().orElseThrow();
            Process k = new ProcessBuilder("kill", "-s", sig, Long.toString(helper)).inheritIO().start();
            assertEquals(0, k.waitFor());
            if (sig.equals("PIPE")) {
                // ignored by the helper: the program keeps running until stopped
                assertFalse(p.completion().isDone());
                p.stop(Signal.TERM, Duration.ZERO);
            }
            ProcessResult r = p.completion().get(30, TimeUnit.SECONDS);
            assertTrue(r.killed(), sig + ": " + r);
            assertEquals(List.of(), alive(pids), "survivors after SIG" + sig + " to the helper");
            assertFalse(TestSupport.alive(helper) && !helperGone(helper), "helper still there after SIG" + sig);
        }
    }

    private static boolean helperGone(long pid) throws InterruptedException {
        return TestSupport.awaitGone(List.of(pid), 10_000).isEmpty();
    }

    @Test
    void aKilledBrokerIsReplacedAndRunningProgramsAreUnaffected() throws Exception {
        org.corral.supervisor.internal.engine.HelperEngine engine =
                (org.corral.supervisor.internal.engine.HelperEngine) corral.engine();
        RunningProgram running = engine.launch(CommandSpec.of(prog("sleep_ms"), "600000"));
        long pid = running.started().get(30, TimeUnit.SECONDS);
        long broker = engine.brokerPid().orElseThrow();
        ProcessHandle.of(broker).orElseThrow().destroyForcibly();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (engine.brokerPid().orElse(broker) == broker && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(engine.brokerPid().orElse(broker) != broker, "the engine noticed the broker's death and started "
                + "a new one at once");
        assertTrue(TestSupport.alive(pid), "a program already running has its own helper connection");
        assertEquals("again\n", corral.run("echo", "again").stdoutText(), "a new broker serves the next run");
        running.stop(Signal.TERM, Duration.ZERO).get(30, TimeUnit.SECONDS);
        assertFalse(TestSupport.alive(pid));
    }

    @Test
    void runInsideAConsumerIsRefusedInsteadOfDeadlocking() throws Exception {
        CompletableFuture<Throwable> inner = new CompletableFuture<>();
        ProcessResult r = corral.run(CommandSpec.builder("echo", "outer").consumer((s, d) -> {
            try {
                corral.run(CommandSpec.builder("echo", "inner").consumer((s2, d2) -> { }).build());
                inner.complete(null);
            } catch (Throwable e) {
                inner.complete(e);
            }
        }).build());
        assertEquals("outer\n", r.stdoutText());
        Throwable e = inner.get(30, TimeUnit.SECONDS);
        assertTrue(e instanceof ProcessException && e.getMessage().contains("runAsync"), String.valueOf(e));
    }

    @Test
    void signalReachesTheProgram() throws Exception {
        RunningProgram p = corral.engine().launch(CommandSpec.of(prog("sleep_ms"), "600000"));
        p.started().get(30, TimeUnit.SECONDS);
        p.signal(Signal.USR1);
        ProcessResult r = p.completion().get(30, TimeUnit.SECONDS);
        assertEquals(Signal.USR1, r.signal().orElseThrow());
    }

    private static List<Long> alive(List<Long> pids) {
        List<Long> left = new ArrayList<>();
        for (long p : pids) {
            if (TestSupport.alive(p)) {
                left.add(p);
            }
        }
        return left;
    }
}
