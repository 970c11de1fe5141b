package org.corral.supervisor.internal.daemon;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.LogLevel;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 11.4: one daemon cannot stall the others. A readiness pattern that backtracks catastrophically, and a
 * daemon flooding output through slow delivery work, must neither stop a quiet daemon's lines nor delay its
 * readiness timeout or a stop. Real programs on the real engine; the delays asserted are correctness bounds
 * far above the figures (those are measured by bench.sh), never timing gates.
 */
@ExtendWith(NoLeftovers.class)
class DeliveryIsolationTest {

    /** A quiet daemon: {@code print_clock} lines, each carrying the CLOCK_MONOTONIC time it was written at. */
    private static final class Heartbeat implements AutoCloseable {
        final Daemon daemon;
        final List<Long> delaysNs = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong lastArrival = new AtomicLong();
        private final Daemon.Subscription sub;

        Heartbeat(Corral corral, String name, int intervalMs) throws Exception {
            daemon = corral.start(DaemonSpec.builder(name, CommandSpec.builder(prog("print_clock"),
                    Integer.toString(intervalMs)).grace(Duration.ofMillis(300)).build())
                    .restart(RestartPolicy.TEMPORARY).stdoutLevel(LogLevel.OFF).build());
            sub = daemon.followLines(0, line -> {
                long now = System.nanoTime();
                int sp = line.indexOf(' ');
                if (sp > 0) {
                    delaysNs.add(now - Long.parseLong(line.substring(sp + 1).trim()));
                    lastArrival.set(now);
                }
            });
            daemon.await(Set.of(DaemonState.READY), Duration.ofSeconds(20));
        }

        /** Lines that arrived since {@code index}. */
        int since(int index) {
            return delaysNs.size() - index;
        }

        @Override
        public void close() {
            sub.close();
            daemon.stop();
        }
    }

    private static String commas(int n) {
        return ",".repeat(n);
    }

    @Test
    void backtrackingReadinessPatternStallsNothing() throws Exception {
        try (Corral corral = TestSupport.open(); Heartbeat quiet = new Heartbeat(corral, "quiet-redos", 20)) {
            // (.*,){8}X against a line of 100 commas: java.util.regex tries ~C(100,8) splits, i.e. forever
            Duration timeout = Duration.ofSeconds(2);
            Daemon redos = corral.start(DaemonSpec.builder("redos", CommandSpec.builder("sh", "-c",
                    "sleep 0.3; exec " + prog("long_lines") + " 100 1 , hold").grace(Duration.ofMillis(300)).build())
                    .readiness(Readiness.logLine("(.*,){8}X").withTimeout(timeout))
                    .restart(RestartPolicy.TEMPORARY).build());
            long started = System.nanoTime();
            redos.await(Set.of(DaemonState.RUNNING, DaemonState.STOPPING, DaemonState.FAILED), Duration.ofSeconds(20));
            Thread.sleep(500); // the comma line is out by now
            int before = quiet.delaysNs.size();
            Thread.sleep(2000);
            int flowed = quiet.since(before);
            // the readiness timeout is enforced: the program is stopped and its end handled on time (a generous
            // bound: 10 s late)
            long deadline = started + timeout.plusSeconds(10).toNanos();
            while (redos.lastExit().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            DaemonState end = redos.state();
            long left = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            CompletableFuture<Void> stop = CompletableFuture.runAsync(redos::stop);
            Throwable stopError = null;
            try {
                stop.get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                stopError = e;
            }
            String report = "quiet lines in 2 s while the pattern ran: " + flowed + "; redos ended after "
                    + left + " ms (state " + end + ", last exit " + redos.lastExit() + "); stop: "
                    + (stopError == null ? "ok" : stopError);
            System.out.println("DeliveryIsolationTest: " + report);
            assertTrue(flowed >= 10, "the quiet daemon's lines must flow: " + report);
            assertTrue(redos.lastExit().isPresent() && end == DaemonState.FAILED, "ready.timeout must be enforced: "
                    + report);
            assertEquals(DaemonExit.Reason.READINESS_TIMEOUT, redos.lastExit().map(DaemonExit::reason).orElse(null), report);
            assertTrue(stopError == null, "corral:stop must work: " + report);
        }
    }

    @Test
    void floodingDaemonDelaysAQuietOneOnlyBoundedly() throws Exception {
        try (Corral corral = TestSupport.open(); Heartbeat quiet = new Heartbeat(corral, "quiet-flood", 10)) {
            // the flood's delivery work is slow (a follower spending ~200 us per line, like a slow log appender):
            // one program's delivery then takes far longer than the quiet daemon's interval
            Daemon flood = corral.start(DaemonSpec.builder("flood", CommandSpec.builder(prog("print_a_lot"),
                    Long.toString(1L << 50)).grace(Duration.ofMillis(300)).build())
                    .restart(RestartPolicy.TEMPORARY).stdoutLevel(LogLevel.OFF).build());
            AtomicLong floodLines = new AtomicLong();
            Daemon.Subscription slow = flood.followLines(0, line -> {
                floodLines.incrementAndGet();
                long until = System.nanoTime() + 200_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            });
            flood.await(Set.of(DaemonState.READY), Duration.ofSeconds(20));
            Thread.sleep(1000); // the flood is in full swing
            int from = quiet.delaysNs.size();
            long seconds = Long.getLong("corral.isolation.seconds", 6);
            Thread.sleep(seconds * 1000);
            List<Long> during;
            synchronized (quiet.delaysNs) {
                during = new ArrayList<>(quiet.delaysNs.subList(from, quiet.delaysNs.size()));
            }
            long floodLinesSeen = floodLines.get();
            slow.close();
            flood.stop();
            List<Long> sorted = new ArrayList<>(during);
            Collections.sort(sorted);
            long p50 = sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2) / 1_000_000;
            long p99 = sorted.isEmpty() ? -1 : sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))) / 1_000_000;
            long max = sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1) / 1_000_000;
            String report = String.format("quiet lines during %d s of flood: %d (expected ~%d); delay p50 %d ms, p99 %d ms,"
                    + " max %d ms; flood lines delivered %d", seconds, during.size(), seconds * 100, p50, p99, max,
                    floodLinesSeen);
            System.out.println("DeliveryIsolationTest: " + report);
            // correctness, not timing: the quiet daemon's lines keep coming during the flood, none waits seconds
            assertTrue(during.size() >= seconds * 100 / 4, "the quiet daemon's lines must flow during the flood: " + report);
            assertTrue(max < 2000, "no quiet line may wait for the flood: " + report);
            // the flood ran (on a loaded machine its slow delivery gets little CPU: no higher figure is asked)
            assertTrue(floodLinesSeen > 1_000, "the flood ran: " + report);
        }
    }
}
