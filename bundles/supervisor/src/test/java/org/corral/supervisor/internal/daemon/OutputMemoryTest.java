package org.corral.supervisor.internal.daemon;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.LogLevel;
import org.corral.api.RestartPolicy;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 11.3: a daemon's output cannot exhaust the heap, an error inside delivery (OutOfMemoryError
 * included) kills no thread Corral depends on, and removing a daemon (what a {@code .cfg} deletion does) ends
 * its helper even when its program is stuck in write. Real programs on the real engine.
 */
@ExtendWith(NoLeftovers.class)
class OutputMemoryTest {

    private static final long MIB = 1024 * 1024;

    private static long heapAfterGc(MemoryMXBean mem) {
        System.gc();
        System.gc();
        return mem.getHeapMemoryUsage().getUsed();
    }

    /**
     * 256 KiB lines as fast as the pipe takes them, with the most recent lines and the longest lines the
     * default per-daemon budget allows ({@code log.lines = 10000}, {@code log.maxline = 256K}) and logging off:
     * without byte budgets the ring alone would grow to 2.5 GB. The heap after a full GC must stay flat.
     */
    @Test
    void longLineFloodKeepsTheHeapFlat() throws Exception {
        long seconds = Long.getLong("corral.flood.seconds", 15);
        long bound = 48 * MIB;
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        try (Corral corral = TestSupport.open()) {
            long base = heapAfterGc(mem);
            Daemon d = corral.start(DaemonSpec.builder("longlines", CommandSpec.builder(prog("long_lines"),
                    Integer.toString(256 * 1024 - 1)).grace(Duration.ofMillis(300)).build())
                    .restart(RestartPolicy.TEMPORARY).recentLines(10_000).maxLineLength(256 * 1024)
                    .stdoutLevel(LogLevel.OFF).stderrLevel(LogLevel.OFF).build());
            d.await(Set.of(DaemonState.READY), Duration.ofSeconds(20));
            List<String> samples = new ArrayList<>();
            long max = base;
            long start = System.nanoTime();
            long deadline = start + Duration.ofSeconds(seconds).toNanos();
            while (System.nanoTime() < deadline) {
                Thread.sleep(1000);
                long used = heapAfterGc(mem);
                max = Math.max(max, used);
                samples.add(String.format("t=%ds heap=%.1fMiB out=%dMiB", (System.nanoTime() - start) / 1_000_000_000L,
                        used / (double) MIB, d.stdoutBytes() / MIB));
                if (used - base > bound) {
                    break; // not flat: no need to wait for the heap to run out
                }
            }
            long bytes = d.stdoutBytes();
            DaemonState state = d.state();
            int kept = d.recentLines(10_000).size();
            d.stop();
            String report = String.format("heap after GC: %.1f MiB before, at most %.1f MiB during the flood (+%.1f MiB);"
                    + " %d MiB of 256 KiB lines; %d recent lines kept; samples %s", base / (double) MIB,
                    max / (double) MIB, (max - base) / (double) MIB, bytes / MIB, kept, samples);
            System.out.println("OutputMemoryTest: " + report);
            assertTrue(max - base <= bound, report);
            assertEquals(DaemonState.READY, state, report);
            assertTrue(bytes > 256 * MIB, "it really flooded: " + report);
        }
    }

    /**
     * A follower that throws OutOfMemoryError once (as a line arrives while the heap is full): the error is
     * logged, the daemon's delivery goes on (later lines reach the other follower), nothing hangs.
     */
    @Test
    void outOfMemoryErrorInDeliveryKillsNothing() throws Exception {
        try (Corral corral = TestSupport.open()) {
            Daemon d = corral.start(DaemonSpec.builder("oome", CommandSpec.builder(prog("print_seq"), "5")
                    .grace(Duration.ofMillis(300)).build()).restart(RestartPolicy.TEMPORARY)
                    .stdoutLevel(LogLevel.OFF).build());
            AtomicBoolean thrown = new AtomicBoolean();
            Daemon.Subscription bad = d.followLines(0, line -> {
                if (thrown.compareAndSet(false, true)) {
                    throw new OutOfMemoryError("Java heap space (thrown by the test)");
                }
            });
            AtomicInteger after = new AtomicInteger();
            Daemon.Subscription good = d.followLines(0, line -> {
                if (thrown.get()) {
                    after.incrementAndGet();
                }
            });
            d.await(Set.of(DaemonState.READY), Duration.ofSeconds(20));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (after.get() < 50 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            bad.close();
            good.close();
            CompletableFuture<Void> stop = CompletableFuture.runAsync(d::stop);
            stop.get(20, TimeUnit.SECONDS);
            assertTrue(thrown.get());
            assertTrue(after.get() >= 50, "lines after the error: " + after.get());
            // the engine still delivers other programs' output
            assertEquals("ok\n", corral.run(CommandSpec.builder("echo", "ok").consumer((s, b) -> { }).build())
                    .stdoutText());
        }
    }

    /**
     * A daemon stuck in write (its only follower blocks, against the contract, so its output is never
     * consumed and its helper waits for credit) is removed as a {@code .cfg} deletion removes it: its program
     * and its helper must be gone within the grace plus a bounded margin, whatever the delivery does.
     */
    @Test
    void removingADaemonStuckInWriteEndsItsHelper() throws Exception {
        try (Corral corral = TestSupport.open()) {
            DaemonSupervisor sup = new DaemonSupervisor(corral.engine(), "test");
            SupervisedDaemon d = sup.create(DaemonSpec.builder("stuck", CommandSpec.builder(prog("print_a_lot"),
                    Long.toString(1L << 50)).grace(Duration.ofMillis(300)).build())
                    .restart(RestartPolicy.TEMPORARY).stdoutLevel(LogLevel.OFF).build(), "test", sup.registry());
            CountDownLatch release = new CountDownLatch(1);
            d.followLines(0, line -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            d.start();
            d.await(Set.of(DaemonState.READY), Duration.ofSeconds(20));
            long helper = d.helperPid().getAsLong();
            long pid = d.pid().getAsLong();
            long before;
            long now = d.stdoutBytes();
            do { // wait until the output stops moving: the program blocks in write
                before = now;
                Thread.sleep(300);
                now = d.stdoutBytes();
            } while (now != before);
            try {
                long t0 = System.nanoTime();
                CompletableFuture<Void> removed = CompletableFuture.runAsync(() -> sup.remove(d));
                List<Long> left = TestSupport.awaitGone(List.of(pid, helper), 25_000);
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                System.out.println("OutputMemoryTest: stuck daemon removed; left " + left + " after " + ms + " ms");
                assertEquals(List.of(), left, "program " + pid + " and helper " + helper + " must be gone");
                try {
                    removed.get(40, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // a stop that was cut short may report it; what counts is that nothing is left
                }
                assertFalse(TestSupport.alive(helper));
            } finally {
                release.countDown();
                sup.close();
            }
        }
    }
}
