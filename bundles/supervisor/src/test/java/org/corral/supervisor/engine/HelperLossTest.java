package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import java.time.Duration;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.HelperLostException;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.cgroup.CgroupManager;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.Storm;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 10.1: {@code kill -9} of a program's helper while the owner lives leaves nothing of the program's
 * tree, with and without a cgroup, also when the descendants daemonize, leave the process group, block every
 * signal and fork in a loop ({@code escape_storm}). The run fails with a {@link HelperLostException} naming
 * the helper and how it died. Repeated to catch races.
 */
@ExtendWith(NoLeftovers.class)
class HelperLossTest {

    static final int TRIALS = Integer.getInteger("corral.test.helperLossTrials", 5);

    static Corral corral;
    static CgroupManager m;
    static String base;

    @BeforeAll
    static void open() {
        m = CgroupManager.open();
        base = "corral-svtest-" + UUID.randomUUID().toString().substring(0, 8);
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() throws IOException {
        try {
            corral.close();
            Path dir = m.resolve(base);
            if (Files.isDirectory(dir)) {
                m.remove(List.of(dir));
            }
        } finally {
            m.close();
        }
    }




    /** One trial: start the storm, SIGKILL its helper, count what is left after 10 s. */
    static void helperSigkill(boolean cgroup) throws Exception {
        List<Integer> survivors = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int trial = 0; trial < TRIALS; trial++) {
            String tag = TestSupport.TAG + ".loss-" + UUID.randomUUID();
            KillTest.Lines lines = new KillTest.Lines();
            RunningProgram p = corral.engine().launch(Storm.spec(tag, cgroup ? base : null), lines);
            p.started().get(30, TimeUnit.SECONDS);
            lines.awaitReady();
            assertEquals(Storm.WORKERS, lines.pids().size(), lines.text.toString());
            long helper = p.helperPid().orElseThrow();
            String cgroupPath = p.cgroupPath().orElse(null);
            assertEquals(cgroup, cgroupPath != null, "runs in a cgroup: " + cgroupPath);
            ProcessHandle.of(helper).orElseThrow().destroyForcibly();
            ExecutionException e = assertThrows(ExecutionException.class, () -> p.completion().get(30, TimeUnit.SECONDS));
            List<String> left = Storm.awaitNoneTagged(tag, 10_000);
            survivors.add(left.size());
            Storm.killAll(tag);
            if (!(e.getCause() instanceof HelperLostException)) {
                failures.add("trial " + trial + ": not a HelperLostException: " + e.getCause());
                continue;
            }
            HelperLostException lost = (HelperLostException) e.getCause();
            if (!lost.getMessage().contains("helper pid " + helper + " died: SIGKILL")) {
                failures.add("trial " + trial + ": the message does not name the helper and SIGKILL: " + lost.getMessage());
            }
            if (lost.helperPid() != helper) {
                failures.add("trial " + trial + ": helperPid " + lost.helperPid() + ", expected " + helper);
            }
            if (cgroup) {
                if (lost.cgroupStats().isEmpty()) {
                    failures.add("trial " + trial + ": no final cgroup statistics");
                }
                if (cgroupPath != null && Files.exists(m.resolve(cgroupPath))) {
                    failures.add("trial " + trial + ": the program's cgroup " + cgroupPath + " is still there");
                }
            }
        }
        System.out.println("HelperLossTest: helper SIGKILL " + (cgroup ? "with" : "without") + " a cgroup, "
                + TRIALS + " trials of escape_storm " + Storm.WORKERS + ": survivors after 10 s per trial " + survivors);
        assertTrue(survivors.stream().allMatch(n -> n == 0), "survivors per trial: " + survivors);
        assertEquals(List.of(), failures);
    }

    @Test
    void helperSigkillWithACgroupLeavesNothing() throws Exception {
        helperSigkill(true);
        assertEquals(List.of(), childCgroups(), "no cgroup left below the test base");
    }

    @Test
    void helperSigkillWithoutACgroupLeavesNothing() throws Exception {
        helperSigkill(false);
    }

    /** A daemon of escape_storm: kill -9 of its helper ends its tree, counts as HELPER_LOST, and it restarts. */
    static void daemonHelperSigkill(boolean cgroup) throws Exception {
        List<Integer> survivors = new ArrayList<>();
        for (int trial = 0; trial < TRIALS; trial++) {
            String tag = TestSupport.TAG + ".dloss-" + UUID.randomUUID();
            String name = "loss-" + (cgroup ? "cg-" : "nocg-") + trial;
            Daemon d = corral.start(DaemonSpec.builder(name, Storm.spec(tag, cgroup ? base : null))
                    .restart(RestartPolicy.PERMANENT).restartDelay(Duration.ofMillis(50))
                    .readiness(Readiness.logLine("^ready$")).build());
            try {
                assertEquals(DaemonState.READY, d.await(Set.of(DaemonState.READY), Duration.ofSeconds(30)));
                long pid = d.pid().orElseThrow();
                long helper = d.helperPid().orElseThrow();
                assertEquals(cgroup, d.cgroupPath().isPresent(), "runs in a cgroup: " + d.cgroupPath());
                int restarts = d.restarts();
                List<Long> workers = TestSupport.pidsIn(String.join("\n", d.recentLines(100)));
                assertEquals(Storm.WORKERS, workers.size(), "worker pids in " + d.recentLines(100));
                ProcessHandle.of(helper).orElseThrow().destroyForcibly();
                // the tree of the first run goes; the restarted run carries the same tag, so look at the old pids
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while ((d.restarts() == restarts || d.pid().orElse(pid) == pid) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(restarts + 1, d.restarts(), name + ": restarted once after its helper was lost");
                assertEquals(DaemonExit.Reason.HELPER_LOST, d.lastExit().orElseThrow().reason(),
                        name + ": " + d.lastExit());
                assertEquals(DaemonState.READY, d.await(Set.of(DaemonState.READY), Duration.ofSeconds(30)));
                long newHelper = d.helperPid().orElseThrow();
                long newPid = d.pid().orElseThrow();
                List<String> left = new ArrayList<>();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                do {
                    left = TestSupport.tagged(tag);
                    left.removeIf(l -> isOfRun(l, newPid, newHelper));
                    if (!left.isEmpty()) {
                        Thread.sleep(20);
                    }
                } while (!left.isEmpty() && System.nanoTime() < until);
                List<Long> oldWorkers = TestSupport.awaitGone(workers, 1000);
                assertEquals(List.of(), oldWorkers, name + ": workers of the lost run still alive");
                survivors.add(left.size());
            } finally {
                d.stop();
                Storm.killAll(tag);
            }
        }
        System.out.println("HelperLossTest: daemon helper SIGKILL " + (cgroup ? "with" : "without") + " a cgroup, "
                + TRIALS + " trials: survivors of the lost run per trial " + survivors);
        assertTrue(survivors.stream().allMatch(n -> n == 0), "survivors per trial: " + survivors);
    }

    /** Whether the process in a {@code tagged()} line belongs to the run of program {@code pid}: its session. */
    static boolean isOfRun(String line, long pid, long helper) {
        long p = Long.parseLong(line.substring(0, line.indexOf(' ')));
        if (p == pid || p == helper) {
            return true;
        }
        // escape_storm's workers leave the program's session: find their run by the cgroup or ancestry is not
        // possible once orphaned, so count a process as the new run's when it started after the new program
        return startTime(p) >= startTime(pid);
    }

    static long startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[19]);
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    @Test
    void daemonHelperSigkillWithACgroupRestartsAndLeavesNothing() throws Exception {
        daemonHelperSigkill(true);
        assertEquals(List.of(), childCgroups(), "no cgroup left below the test base");
    }

    @Test
    void daemonHelperSigkillWithoutACgroupRestartsAndLeavesNothing() throws Exception {
        daemonHelperSigkill(false);
    }

    /**
     * A helper that stops answering (SIGSTOP) is lost when it does not acknowledge a STOP in time: Corral
     * kills it (through the broker) and the program's tree.
     */
    static void stoppedHelper(boolean cgroup) throws Exception {
        for (int trial = 0; trial < Math.min(TRIALS, 2); trial++) {
            String tag = TestSupport.TAG + ".stopped-" + UUID.randomUUID();
            KillTest.Lines lines = new KillTest.Lines();
            RunningProgram p = corral.engine().launch(Storm.spec(tag, cgroup ? base : null), lines);
            lines.awaitReady();
            long helper = p.helperPid().orElseThrow();
            new ProcessBuilder("kill", "-STOP", Long.toString(helper)).inheritIO().start().waitFor();
            try {
                p.stop(org.corral.api.Signal.TERM, Duration.ZERO);
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> p.completion().get(60, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof HelperLostException, String.valueOf(e.getCause()));
                String m = e.getCause().getMessage();
                assertTrue(m.startsWith("helper pid " + helper + " died: SIGKILL (it stopped answering (it did not "
                        + "acknowledge a STOP within 5000 ms), so Corral killed it)"), m);
                assertEquals(List.of(), Storm.awaitNoneTagged(tag, 10_000), "survivors of a stopped helper's tree");
                assertTrue(TestSupport.awaitGone(List.of(helper), 10_000).isEmpty(), "the stopped helper is gone");
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(helper)).start().waitFor();
                Storm.killAll(tag);
            }
        }
    }

    @Test
    void aStoppedHelperWithACgroupIsLostAndItsTreeKilled() throws Exception {
        stoppedHelper(true);
        assertEquals(List.of(), childCgroups(), "no cgroup left below the test base");
    }

    @Test
    void aStoppedHelperWithoutACgroupIsLostAndItsTreeKilled() throws Exception {
        stoppedHelper(false);
    }

    /**
     * No false alarm: a STOP whose acknowledgement waits behind a consumer that holds the output for longer
     * than the answer timeout is not a lost helper.
     */
    @Test
    void aSlowConsumerDuringAStopIsNoLostHelper() throws Exception {
        java.util.concurrent.CountDownLatch inConsumer = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean slept = new java.util.concurrent.atomic.AtomicBoolean();
        RunningProgram p = corral.engine().launch(CommandSpec.of(prog("print_seq"), "1"), (stream, data) -> {
            if (slept.compareAndSet(false, true)) {
                inConsumer.countDown();
                try {
                    Thread.sleep(7000); // longer than the answer timeout (5 s)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        assertTrue(inConsumer.await(30, TimeUnit.SECONDS));
        org.corral.api.ProcessResult r = p.stop(org.corral.api.Signal.TERM, Duration.ZERO).get(60, TimeUnit.SECONDS);
        assertTrue(r.killed(), r.toString());
    }

    static List<String> childCgroups() throws IOException {
        return Storm.childCgroups(m, base);
    }
}
