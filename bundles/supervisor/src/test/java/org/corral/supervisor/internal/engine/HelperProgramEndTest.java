package org.corral.supervisor.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.api.ProcessException;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A program's end is one atomic step: whichever of EXIT and a failure comes first ends it, and the clean-up
 * of its cgroup (final statistics, or abandoning it) runs exactly once.
 */
class HelperProgramEndTest {

    /** Counts the clean-ups the engine asks for. */
    static final class Counting implements CgroupPlacement {
        final AtomicInteger cleanups = new AtomicInteger();

        @Override
        public Optional<Placement> prepare(CommandSpec spec) {
            return Optional.empty();
        }

        @Override
        public Optional<CgroupStats> finalStats(Placement placement) {
            cleanups.incrementAndGet();
            return Optional.empty();
        }

        @Override
        public void abandon(Placement placement) {
            cleanups.incrementAndGet();
        }

        @Override
        public void discard(Placement placement) {
            cleanups.incrementAndGet();
        }
    }

    static final Counting COUNTING = new Counting();
    static HelperEngine engine;

    @BeforeAll
    static void start() {
        String arch = HelperLocator.architecture();
        engine = HelperEngine.start(EngineConfig.builder().runtimeParent(TestSupport.runtimeParent())
                .helperResource(HelperLocator.fromClassLoader(HelperProgramEndTest.class.getClassLoader(), arch)
                        .orElseThrow())
                .cgroups(COUNTING).build());
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static HelperProgram program() {
        CommandSpec spec = CommandSpec.of("/bin/true");
        ResolvedCommand rc = new ResolvedCommand(spec, Path.of("/bin/true"), spec.argv(), Map.of(), null, -1, -1,
                null, null, 500);
        HelperProgram p = new HelperProgram(engine, rc, TokenKey.random(), null,
                new CgroupPlacement.Placement("t", Path.of("/nonexistent/t"), List.of()), 4096, true, null);
        p.spawned(4242);
        return p;
    }

    @Test
    void aFailureThenALateExitCleansUpOnce() throws Exception {
        int before = COUNTING.cleanups.get();
        HelperProgram p = program();
        p.fail(new ProcessException("first"));
        p.exited(0, 0, 0);
        Thread.sleep(100); // the statistics would be read on the delivery thread
        assertEquals(1, COUNTING.cleanups.get() - before, "one clean-up");
        assertTrue(p.completion().isCompletedExceptionally(), "the failure came first and stays the result");
    }

    @Test
    void racingEndsCleanUpExactlyOnce() throws Exception {
        for (int i = 0; i < 2000; i++) {
            int before = COUNTING.cleanups.get();
            HelperProgram p = program();
            CyclicBarrier go = new CyclicBarrier(2);
            Thread t = new Thread(() -> {
                await(go);
                p.fail(new ProcessException("racing"));
            });
            t.start();
            await(go);
            p.exited(0, 0, 0);
            t.join();
            try {
                p.completion().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException expected) {
                // the failure won
            }
            p.lane().execute(() -> { }); // flush
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (COUNTING.cleanups.get() - before < 1 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, COUNTING.cleanups.get() - before, "round " + i + ": one clean-up");
        }
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
