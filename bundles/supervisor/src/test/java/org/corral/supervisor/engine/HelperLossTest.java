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

import org.corral.api.CommandSpec;
import org.corral.api.HelperLostException;
import org.corral.cgroup.CgroupManager;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.support.NoLeftovers;
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
    static final int WORKERS = 10;

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

    /** A spec of escape_storm whose whole tree carries {@code tag} (instead of this JVM's). */
    static CommandSpec storm(String tag, boolean cgroup) {
        CommandSpec.Builder b = CommandSpec.builder(prog("escape_storm"), Integer.toString(WORKERS))
                .env(TestSupport.TAG_VAR, tag);
        if (cgroup) {
            b.cgroupBase(base);
        }
        return b.build();
    }

    /** Kills (SIGKILL) every process carrying {@code tag} until none is left; returns how many were found at first. */
    static int killAll(String tag) throws InterruptedException {
        int first = -1;
        for (int round = 0; round < 200; round++) {
            List<String> left = TestSupport.tagged(tag);
            if (first < 0) {
                first = left.size();
            }
            if (left.isEmpty()) {
                return first;
            }
            for (String s : left) {
                ProcessHandle.of(Long.parseLong(s.substring(0, s.indexOf(' ')))).ifPresent(ProcessHandle::destroyForcibly);
            }
            Thread.sleep(20);
        }
        return first;
    }

    /** Waits up to {@code millis} for every process carrying {@code tag} to be gone; returns those left. */
    static List<String> awaitNoneTagged(String tag, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        List<String> left = TestSupport.tagged(tag);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            left = TestSupport.tagged(tag);
        }
        return left;
    }

    /** One trial: start the storm, SIGKILL its helper, count what is left after 10 s. */
    static void helperSigkill(boolean cgroup) throws Exception {
        List<Integer> survivors = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int trial = 0; trial < TRIALS; trial++) {
            String tag = TestSupport.TAG + ".loss-" + UUID.randomUUID();
            KillTest.Lines lines = new KillTest.Lines();
            RunningProgram p = corral.engine().launch(storm(tag, cgroup), lines);
            p.started().get(30, TimeUnit.SECONDS);
            lines.awaitReady();
            assertEquals(WORKERS, lines.pids().size(), lines.text.toString());
            long helper = p.helperPid().orElseThrow();
            String cgroupPath = p.cgroupPath().orElse(null);
            ProcessHandle.of(helper).orElseThrow().destroyForcibly();
            ExecutionException e = assertThrows(ExecutionException.class, () -> p.completion().get(30, TimeUnit.SECONDS));
            List<String> left = awaitNoneTagged(tag, 10_000);
            survivors.add(left.size());
            killAll(tag);
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
                + TRIALS + " trials of escape_storm " + WORKERS + ": survivors after 10 s per trial " + survivors);
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

    static List<String> childCgroups() throws IOException {
        Path dir = m.resolve(base);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.filter(Files::isDirectory).forEach(d -> out.add(d.getFileName().toString()));
        }
        return out;
    }
}
