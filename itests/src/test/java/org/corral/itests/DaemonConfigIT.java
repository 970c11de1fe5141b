package org.corral.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.corral.api.Daemon;
import org.corral.api.LogLevel;
import org.corral.itests.support.Await;
import org.corral.itests.support.ItestPaths;
import org.corral.itests.support.KarafOptions;
import org.corral.itests.support.DaemonTestBase;
import org.corral.itests.support.Procs;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Daemons as files: an {@code etc/org.corral.daemon-<name>.cfg} copied in starts a daemon, editing it
 * changes the running daemon, deleting it stops the program and every descendant (setsid'd and
 * double-forked ones included). Each test runs its programs from a private copy of the test programs,
 * so {@code /proc/<pid>/exe} tells exactly which processes are its own.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DaemonConfigIT extends DaemonTestBase {

    @Configuration
    public Option[] config() {
        return KarafOptions.corralDistribution(users());
    }

    /**
     * Waits until the daemon's first fork_tree has printed all its pids and "ready" (through the daemon's
     * recent output lines); returns the pids it printed.
     */
    private static Set<Long> forkTreePids(Daemon d, int n) {
        List<String> lines = awaitOutput(d, "a complete fork_tree (" + n + " pids, then ready)", Await.SECONDS,
                all -> all.stream().anyMatch(l -> l.trim().equals("ready")));
        Set<Long> pids = new HashSet<>(numbers(lines));
        assertEquals("fork_tree " + n + " printed " + pids, n, pids.size());
        return pids;
    }

    private static Set<Long> pids(List<ProcessHandle> processes) {
        return processes.stream().map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    @Test
    public void cfgCopiedIntoEtcStartsTheDaemon() {
        Path progs = progs("DaemonConfigIT-start");
        Path tree = progs.resolve("fork_tree");
        long t0 = System.nanoTime();
        cfg("cfg-start", tree.toString(), "4");

        Daemon d = awaitDaemon("cfg-start", "running", RUNNING, Await.SECONDS);
        System.out.printf("DaemonConfigIT: .cfg written -> daemon running after %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
        assertEquals("argv from the .cfg", List.of(tree.toString(), "4"), d.spec().command().argv());

        Set<Long> printed = forkTreePids(d, 4);
        long root = d.pid().orElseThrow(() -> new AssertionError("no pid while running"));
        assertTrue("the daemon's pid " + root + " is the tree's root " + printed, printed.contains(root));
        List<ProcessHandle> running = Procs.runningFrom(progs);
        assertEquals("the processes running the test program are exactly the tree\n" + Procs.describe(running),
                printed, pids(running));
        assertTrue("the helper process is alive", d.helperPid().isPresent()
                && ProcessHandle.of(d.helperPid().getAsLong()).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    public void editingTheCfgChangesTheRunningDaemon() {
        Path progs = progs("DaemonConfigIT-edit");
        Path tree = progs.resolve("fork_tree");
        cfg("cfg-edit", tree.toString(), "3");
        Daemon d = awaitDaemon("cfg-edit", "running", RUNNING, Await.SECONDS);
        Set<Long> firstPids = forkTreePids(d, 3);
        List<ProcessHandle> first = Procs.runningFrom(progs);
        long firstRoot = d.pid().getAsLong();

        // a change of the program's arguments needs a new program: the old tree goes, a new one of 5 comes
        cfg("cfg-edit", tree.toString(), "5");
        Daemon edited = awaitDaemon("cfg-edit", "restarted with the new arguments",
                ref -> RUNNING.test(ref) && !Long.valueOf(firstRoot).equals(toLong(ref.getProperty(Daemon.PROP_PID))),
                Await.SECONDS);
        assertEquals("argv after the edit", List.of(tree.toString(), "5"), edited.spec().command().argv());
        List<ProcessHandle> oldLeft = Procs.awaitGone(first, Await.SECONDS);
        assertTrue("the first tree " + firstPids + " is gone after the edit:\n" + Procs.describe(oldLeft),
                oldLeft.isEmpty());
        // the old tree is gone and a tree never shrinks: 5 processes are the complete new tree
        Await.until("the new tree of 5 processes", Await.SECONDS, () -> Procs.runningFrom(progs).size() == 5,
                () -> Procs.describe(Procs.runningFrom(progs)));
        Set<Long> secondPids = pids(Procs.runningFrom(progs));
        assertTrue("the new tree's root is the daemon's pid " + edited.pid() + ": " + secondPids,
                secondPids.contains(edited.pid().getAsLong()));

        // a change of the stdout log level needs no new program: same pids afterwards
        long secondRoot = edited.pid().getAsLong();
        cfg("cfg-edit", tree.toString(), "5", "log.stdout", "debug");
        Await.until("the new stdout log level to be applied", Await.SECONDS,
                () -> currentDaemon("cfg-edit").spec().stdoutLevel() == LogLevel.DEBUG,
                () -> "spec: " + currentDaemon("cfg-edit").spec().stdoutLevel() + karafLogExcerpt());
        Daemon relogged = currentDaemon("cfg-edit");
        assertEquals("a log level change keeps the program", secondRoot, relogged.pid().getAsLong());
        assertEquals("no restart for a log level change", secondPids, pids(Procs.runningFrom(progs)));
    }

    @Test
    public void deletingTheCfgStopsTheDaemonAndEveryDescendant() {
        Path progs = progs("DaemonConfigIT-delete");
        // a tree whose nodes 1, 4, 7... setsid, and a double-forked setsid'd grandchild
        cfg("cfg-del-tree", progs.resolve("fork_tree").toString(), "10");
        cfg("cfg-del-dfs", progs.resolve("double_fork_setsid").toString(), "--stay");
        Daemon tree = awaitDaemon("cfg-del-tree", "running", RUNNING, Await.SECONDS);
        Daemon dfs = awaitDaemon("cfg-del-dfs", "running", RUNNING, Await.SECONDS);
        Set<Long> treePids = forkTreePids(tree, 10);
        List<String> dfsLines = awaitOutput(dfs, "the grandchild's pid", Await.SECONDS, l -> !numbers(l).isEmpty());
        long grandchild = numbers(dfsLines).get(0);
        long dfsMain = dfs.pid().getAsLong();

        Set<Long> expected = new HashSet<>(treePids);
        expected.add(grandchild);
        expected.add(dfsMain);
        // the intermediate child of double_fork_setsid exits by itself: wait for the set to settle
        Await.until("exactly the tree, double_fork_setsid and its grandchild to run", Await.SECONDS,
                () -> pids(Procs.runningFrom(progs)).equals(expected),
                () -> Procs.describe(Procs.runningFrom(progs)));
        List<ProcessHandle> all = Procs.runningFrom(progs);
        long mainSession = Procs.sessionId(tree.pid().getAsLong());
        assertTrue("some members left the daemon's session (setsid), so a group kill alone cannot reach them:\n"
                + Procs.describe(all), all.stream().anyMatch(p -> Procs.sessionId(p.pid()) != mainSession));
        List<ProcessHandle> helpers = new ArrayList<>(Procs.handles(List.of(tree.helperPid().getAsLong(),
                dfs.helperPid().getAsLong())));

        deleteDaemonCfg("cfg-del-tree");
        deleteDaemonCfg("cfg-del-dfs");
        awaitNoDaemon("cfg-del-tree", Await.SECONDS);
        awaitNoDaemon("cfg-del-dfs", Await.SECONDS);
        List<ProcessHandle> survivors = Procs.awaitGone(all, Await.SECONDS);
        assertTrue("every process of both daemons is gone after their .cfg files were deleted:\n"
                + Procs.describe(survivors) + karafLogExcerpt(), survivors.isEmpty());
        assertTrue("nothing runs the test programs any more:\n" + Procs.describe(Procs.runningFrom(progs)),
                Procs.runningFrom(progs).isEmpty());
        List<ProcessHandle> helpersLeft = Procs.awaitGone(helpers, Await.SECONDS);
        assertTrue("the daemons' helpers are gone:\n" + Procs.describe(helpersLeft), helpersLeft.isEmpty());
    }

    private Daemon currentDaemon(String name) {
        return awaitDaemon(name, "registered", ref -> true, Await.SECONDS);
    }

    private static Long toLong(Object o) {
        return o instanceof Number ? ((Number) o).longValue() : o == null ? null : Long.valueOf(o.toString());
    }
}
