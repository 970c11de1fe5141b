package org.corral.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.corral.itests.support.Await;
import org.corral.itests.support.Cgroups;
import org.corral.itests.support.ItestPaths;
import org.corral.itests.support.KarafProcess;
import org.corral.itests.support.Procs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Outside Pax Exam, on the unpacked distribution as an operator runs it: five daemons (a fork tree with
 * setsid'd subtrees, a double-forked setsid'd grandchild, background grandchildren, a SIGTERM-ignoring
 * program and a chatty one) from .cfg files in etc/; then Karaf is stopped with bin/stop, or its JVM is
 * {@code kill -9}ed. Either way no program, descendant or helper may survive (checked in /proc).
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class KarafStopAndKillIT {

    /** Boot of the distribution and start of its daemons on a busy 2-core machine (a hang guard). */
    private static final Duration BOOT = Duration.ofMinutes(3);

    private final List<KarafProcess> karafs = new ArrayList<>();
    private final List<Path> progDirs = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        karafs.forEach(KarafProcess::close);
        for (Path dir : progDirs) {
            Procs.killSurvivors(Procs.runningFrom(dir));
        }
        for (KarafProcess k : karafs) {
            Procs.killSurvivors(Procs.runningFrom(k.home()));
        }
    }

    /** Karaf with the five daemons running, every expected process up. */
    private KarafProcess karafWithFiveDaemons(String label, Path progs) {
        KarafProcess k = KarafProcess.unpack(label);
        karafs.add(k);
        k.daemonCfg("tree", cfg("tree", progs.resolve("fork_tree"), "7"));
        k.daemonCfg("dfs", cfg("dfs", progs.resolve("double_fork_setsid"), "--stay"));
        k.daemonCfg("grandkids", cfg("grandkids", progs.resolve("spawn_grandchildren"), "3 --wait"));
        k.daemonCfg("stubborn", cfg("stubborn", progs.resolve("ignore_sigterm"), null));
        k.daemonCfg("chatty", cfg("chatty", progs.resolve("print_seq"), "10"));
        k.start();
        Await.until("Karaf to boot and the five daemons to run all their processes", BOOT,
                () -> k.process().isAlive() && allUp(progs),
                () -> (k.process().isAlive() ? "" : "Karaf exited with " + k.process().exitValue() + "\n")
                        + "running:\n" + Procs.describe(Procs.runningFrom(progs)) + k.logExcerpt());
        return k;
    }

    private static Map<String, String> cfg(String name, Path program, String args) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("command", program.toString());
        if (args != null) {
            p.put("args", args);
        }
        return p;
    }

    /**
     * The stable state: fork_tree's 7 nodes, spawn_grandchildren and its 3 children, ignore_sigterm,
     * print_seq, and double_fork_setsid with its grandchild once the intermediate child has exited (two
     * processes, neither the parent of the other).
     */
    private static boolean allUp(Path progs) {
        Map<String, List<ProcessHandle>> byProgram = Procs.runningFrom(progs).stream()
                .collect(Collectors.groupingBy(p -> Procs.exe(p.pid()).map(e -> e.getFileName().toString()).orElse("?")));
        List<ProcessHandle> dfs = byProgram.getOrDefault("double_fork_setsid", List.of());
        boolean dfsSettled = dfs.size() == 2 && dfs.stream().noneMatch(p -> p.parent()
                .map(parent -> dfs.stream().anyMatch(q -> q.pid() == parent.pid())).orElse(false));
        return count(byProgram, "fork_tree") == 7 && count(byProgram, "spawn_grandchildren") == 4
                && count(byProgram, "ignore_sigterm") == 1 && count(byProgram, "print_seq") == 1 && dfsSettled;
    }

    private static int count(Map<String, List<ProcessHandle>> byProgram, String program) {
        return byProgram.getOrDefault(program, List.of()).size();
    }

    /**
     * Every process the test cares about: the test programs and their descendants, the helpers (run from
     * under KARAF_HOME), and every descendant of the Karaf JVM (which includes the distribution's own example
     * daemon, a shell script).
     */
    private static List<ProcessHandle> everything(KarafProcess k, Path progs) {
        java.util.Set<ProcessHandle> all = new java.util.LinkedHashSet<>(Procs.runningFrom(progs));
        all.addAll(Procs.runningFrom(k.home()));
        if (k.process().isAlive()) {
            k.process().descendants().filter(ProcessHandle::isAlive).forEach(all::add);
        }
        return new ArrayList<>(all);
    }

    /**
     * The trees really escape their daemon's session: fork_tree's nodes 1 and 4 lead sessions of their
     * own (3 sessions in the tree), and double_fork_setsid's grandchild is in another session than the
     * program. So killing the program's process group alone would leave survivors.
     */
    private static void assertSetsidMembers(Path progs) {
        List<ProcessHandle> tree = Procs.running(progs.resolve("fork_tree"));
        long treeSessions = tree.stream().map(p -> Procs.sessionId(p.pid())).distinct().count();
        assertEquals(3, treeSessions, "sessions in fork_tree 7:\n" + Procs.describe(tree));
        List<ProcessHandle> dfs = Procs.running(progs.resolve("double_fork_setsid"));
        assertEquals(2, dfs.stream().map(p -> Procs.sessionId(p.pid())).distinct().count(),
                "double_fork_setsid and its grandchild in different sessions:\n" + Procs.describe(dfs));
    }

    private Path progs(String label) {
        Path dir = ItestPaths.privateTestprogs(label);
        progDirs.add(dir);
        return dir;
    }

    @Test
    void karafStoppedNormallyLeavesNoDaemonOrDescendant() {
        Path progs = progs("KarafStopAndKillIT-stop");
        KarafProcess k = karafWithFiveDaemons("stop", progs);
        List<ProcessHandle> before = everything(k, progs);
        assertTrue(Procs.runningFrom(k.home()).size() >= 5,
                "a helper per daemon runs from the Karaf home:\n" + Procs.describe(Procs.runningFrom(k.home())));
        assertSetsidMembers(progs);

        long t0 = System.nanoTime();
        k.stop(Duration.ofMinutes(2));
        long exited = System.nanoTime();

        List<ProcessHandle> survivors = Procs.awaitGone(before, Duration.ofSeconds(10));
        System.out.printf("KarafStopAndKillIT: bin/stop -> JVM exit %d ms; %d processes gone %d ms after the exit%n",
                (exited - t0) / 1_000_000, before.size(), (System.nanoTime() - exited) / 1_000_000);
        assertEquals(List.of(), survivors, "survivors of a normal Karaf stop:\n" + Procs.describe(survivors)
                + k.logExcerpt());
        assertEquals(List.of(), everything(k, progs), "nothing runs from the test programs or the Karaf home");
    }

    @Test
    void karafKilledWithSigkillLeavesNoDaemonOrDescendant() {
        Path progs = progs("KarafStopAndKillIT-kill9");
        KarafProcess k = karafWithFiveDaemons("kill9", progs);
        List<ProcessHandle> before = everything(k, progs);
        assertTrue(before.size() >= 15 + 5, "15 program processes and 5 helpers:\n" + Procs.describe(before));
        assertSetsidMembers(progs);

        long killed = k.process().pid();
        assertFalse(Cgroups.ofJvm(killed).isEmpty(), "the daemons run in cgroups of the JVM " + killed);
        k.kill9(Duration.ofSeconds(30));
        long reaped = System.nanoTime();

        List<ProcessHandle> survivors = Procs.awaitGone(before, Duration.ofSeconds(10));
        System.out.printf("KarafStopAndKillIT: %d processes gone %d ms after the killed JVM was reaped%n",
                before.size(), (System.nanoTime() - reaped) / 1_000_000);
        assertEquals(List.of(), survivors, "survivors of kill -9 of the Karaf JVM:\n" + Procs.describe(survivors)
                + k.logExcerpt());
        assertEquals(List.of(), everything(k, progs), "nothing runs from the test programs or the Karaf home");
        // the helpers removed the daemons' cgroups at their teardown; the next start of this Karaf sweeps any left
        k.restartAndCheckTheSweep(killed, BOOT, Duration.ofMinutes(2), started -> { });
    }
}
