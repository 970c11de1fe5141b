package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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
 * Issue 10.6: a daemon started from Java with a {@code CommandSpec} as given ({@code collectOutput} true, the
 * default; a timeout) must neither collect its output in memory nor be killed by the timeout. The flood is
 * {@code yes 0123456789} as a daemon with logging off, for a minute ({@code -Dcorral.flood.seconds=N} to change
 * it); the heap after a full GC is sampled every two seconds and must stay flat.
 */
@ExtendWith(NoLeftovers.class)
class DaemonFloodTest {

    private static final long MIB = 1024 * 1024;
    /** Growth of the heap after GC that counts as not flat: far above noise, far below what collection adds. */
    private static final long BOUND = 32 * MIB;

    private static long heapAfterGc(MemoryMXBean mem) {
        System.gc();
        System.gc();
        return mem.getHeapMemoryUsage().getUsed();
    }

    @Test
    void floodingDaemonKeepsTheHeapFlat() throws Exception {
        long seconds = Long.getLong("corral.flood.seconds", 60);
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        try (Corral corral = TestSupport.open()) {
            CommandSpec cmd = CommandSpec.of("yes", "0123456789");
            long base = heapAfterGc(mem);
            Daemon d = corral.start(DaemonSpec.builder("flood", cmd).restart(RestartPolicy.TEMPORARY)
                    .stdoutLevel(LogLevel.OFF).stderrLevel(LogLevel.OFF).build());
            d.await(Set.of(DaemonState.READY), Duration.ofSeconds(20));
            long pid = d.pid().getAsLong();
            List<String> samples = new ArrayList<>();
            long max = base;
            long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            long start = System.nanoTime();
            while (System.nanoTime() < deadline) {
                Thread.sleep(2000);
                long used = heapAfterGc(mem);
                max = Math.max(max, used);
                samples.add(String.format("t=%ds heap=%.1fMiB stdout=%dMiB", (System.nanoTime() - start) / 1_000_000_000L,
                        used / (double) MIB, d.stdoutBytes() / MIB));
                if (used - base > BOUND) {
                    break; // not flat: no need to wait for the heap to run out
                }
            }
            long bytes = d.stdoutBytes();
            long elapsed = (System.nanoTime() - start) / 1_000_000_000L;
            DaemonState state = d.state();
            d.stop();
            String report = String.format("heap after GC: %.1f MiB before the start, at most %.1f MiB during the "
                    + "flood (+%.1f MiB); %d MiB of output in %d s; samples %s", base / (double) MIB,
                    max / (double) MIB, (max - base) / (double) MIB, bytes / MIB, elapsed, samples);
            System.out.println("DaemonFloodTest: " + report);
            assertTrue(max - base <= BOUND, report);
            assertEquals(DaemonState.READY, state, report);
            assertEquals(pid, d.lastExit().orElseThrow().pid(), "one program all along: " + report);
            assertTrue(bytes > 64 * MIB, "it really flooded: " + report);
        }
    }

    @Test
    void commandTimeoutDoesNotKillADaemon() throws Exception {
        try (Corral corral = TestSupport.open()) {
            CommandSpec cmd = CommandSpec.builder(TestSupport.prog("sleep_ms"), "60000").timeout(Duration.ofMillis(200))
                    .build();
            Daemon d = corral.start(DaemonSpec.builder("outlives", cmd).restart(RestartPolicy.TEMPORARY).build());
            d.await(Set.of(DaemonState.READY), Duration.ofSeconds(20));
            long pid = d.pid().getAsLong();
            Thread.sleep(1500); // seven times the timeout: a timeout would have fired on any machine by now
            assertEquals(DaemonState.READY, d.state(), () -> "last exit: " + d.lastExit());
            assertEquals(pid, d.pid().getAsLong());
            assertTrue(d.lastExit().isEmpty(), () -> "ended: " + d.lastExit());
            d.stop();
        }
    }
}
