package org.corral.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.corral.api.CgroupException;
import org.corral.api.CgroupLimits;
import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Against the host's real cgroup2 mount, which has no cpu/memory/pids controllers here: containment
 * (kill, populated, removal, sweep) and the missing-controller error. Every cgroup is created under a
 * base of this test class ({@code corral-test-<uuid>}) and removed afterwards.
 */
class CgroupHostTest {

    static CgroupManager m;
    static String base;
    static Path baseDir;
    final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void open() throws IOException {
        m = CgroupManager.open();
        base = "corral-test-" + UUID.randomUUID().toString().substring(0, 8);
        baseDir = m.resolve(base);
        Files.createDirectory(baseDir);
    }

    @AfterEach
    void killStarted() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @AfterAll
    static void removeEverything() throws Exception {
        try {
            for (Path child : childDirs(baseDir)) {
                m.kill(child, Duration.ZERO);
            }
            m.remove(List.of(baseDir));
            assertFalse(Files.exists(baseDir), "the test base " + baseDir + " is gone");
        } finally {
            m.close();
        }
    }

    static List<Path> childDirs(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).toList();
        }
    }

    static Path testprog(String name) {
        Path p = Paths.get(System.getProperty("corral.testprogs", "target/testprogs"), name);
        assertTrue(Files.isExecutable(p), "test program " + p + " is built (mvn generate-test-resources)");
        return p;
    }

    /** Starts {@code command} through sh after it moved itself into {@code dir}. */
    Process startIn(Path dir, String command) throws IOException {
        Process p = new ProcessBuilder("/bin/sh", "-c", "echo $$ > '" + dir.resolve("cgroup.procs") + "' && exec " + command)
                .redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    static List<String> readUntilReady(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        for (String line; (line = r.readLine()) != null; ) {
            if (line.equals("ready")) {
                return lines;
            }
            lines.add(line);
        }
        throw new AssertionError("the program ended before 'ready': " + lines);
    }

    /** Whether {@code pid} still runs (a zombie waiting for its reaper does not count). */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void findsTheCgroup2MountFromMountinfo() {
        assertEquals(CgroupMount.findCgroup2().mountPoint(), m.mount());
        CgroupInfo info = m.inspect(base);
        assertTrue(info.writable(), "tests run as root: " + info);
        assertTrue(info.delegated(), info.toString());
        assertFalse(info.offers("memory"), "the host's cgroup2 hierarchy has no memory controller: " + info);
    }

    @Test
    void aForkTreeWithSetsidMembersIsKilledCompletelyAndRemoved() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base, null));
        Process p = startIn(cg.dir(), testprog("fork_tree") + " 30");
        List<String> lines = readUntilReady(p);
        Set<Long> tree = new HashSet<>();
        lines.forEach(l -> tree.add(Long.parseLong(l.trim())));
        assertEquals(30, tree.size(), "fork_tree printed 30 pids: " + lines);
        assertEquals(tree, new HashSet<>(m.pids(cg.dir())), "the whole tree is in the cgroup");
        Set<Long> sessions = new HashSet<>();
        for (long pid : tree) {
            String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"));
            sessions.add(Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]));
        }
        assertTrue(sessions.size() > 1, "some members are in sessions of their own: " + sessions);

        KillReport report = m.kill(cg.dir(), Duration.ofSeconds(5));
        assertEquals(tree, new HashSet<>(report.signalled()), "SIGTERM went to every member");
        assertFalse(m.isPopulated(cg.dir()));
        assertTrue(m.pids(cg.dir()).isEmpty());
        for (long pid : tree) {
            assertFalse(running(pid), "pid " + pid + " of the tree survived");
        }
        CgroupStats last = m.stats(cg.dir());
        assertEquals(java.util.Optional.of(false), last.populated());
        m.remove(cg);
        assertFalse(Files.exists(cg.dir()));
    }

    @Test
    void processesIgnoringSigtermAreKilledThroughCgroupKill() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base, null));
        Process p = startIn(cg.dir(), "/bin/sh -c 'trap \"\" TERM; " + testprog("ignore_sigterm") + " & setsid "
                + testprog("ignore_sigterm") + " & sleep 1000 & echo ready; wait'");
        readUntilReady(p);
        List<Long> pids = m.pids(cg.dir());
        assertTrue(pids.size() >= 3, "sh, two ignore_sigterm, sleep: " + pids);
        KillReport report = m.kill(cg.dir(), Duration.ofMillis(200));
        assertTrue(report.forced());
        assertEquals("cgroup.kill", report.method());
        assertFalse(m.isPopulated(cg.dir()));
        pids.forEach(pid -> assertFalse(running(pid), "pid " + pid + " survived"));
        m.remove(cg);
        assertFalse(Files.exists(cg.dir()));
    }

    @Test
    void theFallbackForOldKernelsFreezesAndKillsEachPid() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base, null));
        Process p = startIn(cg.dir(), "/bin/sh -c 'trap \"\" TERM; " + testprog("fork_tree") + " 7 & "
                + testprog("ignore_sigterm") + "'");
        readUntilReady(p);
        m.forceFreezeKill(true);
        try {
            KillReport report = m.kill(cg.dir(), Duration.ZERO);
            assertEquals("freeze+SIGKILL", report.method());
            assertTrue(report.forced());
        } finally {
            m.forceFreezeKill(false);
        }
        assertFalse(m.isPopulated(cg.dir()));
        m.remove(cg);
        assertFalse(Files.exists(cg.dir()));
    }

    @Test
    void awaitEmptyReturnsWhenTheLastProcessLeaves() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base, null));
        Process p = startIn(cg.dir(), testprog("sleep_ms") + " 300");
        assertTrue(m.awaitEmpty(cg.dir(), Duration.ofSeconds(60)), "populated 0 was seen");
        assertFalse(m.isPopulated(cg.dir()));
        p.waitFor();
        m.remove(cg);
    }

    @Test
    void theKernelReportsPopulatedChangesThroughInotify() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base, null));
        Process p = startIn(cg.dir(), "/bin/sh -c 'echo ready; exec " + testprog("sleep_ms") + " 100000'");
        readUntilReady(p);
        // kernfs notifies only files whose inode is cached: keep cgroup.events open, as PopulatedWatcher does
        try (WatchService ws = FileSystems.getDefault().newWatchService();
                var events = java.nio.channels.FileChannel.open(cg.dir().resolve("cgroup.events"))) {
            cg.dir().register(ws, StandardWatchEventKinds.ENTRY_MODIFY);
            p.destroyForcibly();
            WatchKey key = ws.poll(60, TimeUnit.SECONDS);
            assertNotNull(key, "an inotify event came for the cgroup directory");
            assertTrue(key.pollEvents().stream().anyMatch(e -> e.context().toString().equals("cgroup.events")));
        }
        assertTrue(m.awaitEmpty(cg.dir(), Duration.ofSeconds(60)));
        m.remove(cg);
    }

    @Test
    void aMemoryLimitFailsWithTheMissingControllerError() throws IOException {
        CgroupException e = assertThrows(CgroupException.class,
                () -> m.prepare(CgroupRequest.under(base, CgroupLimits.builder().memoryMax("64M").build())));
        String msg = e.getMessage();
        assertTrue(msg.contains("cgroup controller 'memory'"), msg);
        assertTrue(msg.contains("memory.max"), msg);
        assertTrue(msg.contains("echo +memory > "), msg);
        assertTrue(msg.contains("cgroup.subtree_control"), msg);
        assertTrue(msg.contains("Delegate=yes"), msg);
        assertTrue(msg.contains("cgroup_enable=memory"), msg);
        if (!CgroupMount.v1MountsOf("memory").isEmpty()) {
            assertTrue(msg.contains("cgroup v1 hierarchy mounted at"), "says where the controller went: " + msg);
        }
        assertTrue(childDirs(baseDir).isEmpty(), "nothing was left: " + childDirs(baseDir));
        // a base that did not exist is not left behind by a refused request either
        assertThrows(CgroupException.class, () -> m.prepare(CgroupRequest.under(base + "/new/base",
                CgroupLimits.builder().pidsMax(10).build())));
        assertFalse(Files.exists(baseDir.resolve("new")), "the base directories made for it were removed");
    }

    @Test
    void statisticsOfTheHostHierarchy() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base, null));
        Process p = startIn(cg.dir(), "/bin/sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo ready; exec sleep 1000'");
        readUntilReady(p);
        CgroupStats s = m.stats(cg.dir());
        assertEquals(cg.relativePath(), s.path());
        assertInstanceOf(CgroupValue.FlatKeyed.class, s.files().get("cgroup.events"));
        assertEquals(java.util.Optional.of(true), s.populated());
        assertTrue(s.cpuUsageMicros().orElse(0) > 0, "cpu.stat usage_usec counts the busy loop: " + s.files().get("cpu.stat"));
        assertInstanceOf(CgroupValue.Values.class, s.files().get("cgroup.procs"));
        if (Files.exists(cg.dir().resolve("cpu.pressure"))) {
            assertInstanceOf(CgroupValue.Pressure.class, s.files().get("cpu.pressure"));
        }
        assertFalse(s.files().containsKey("cgroup.kill"), "write-only files are not read");
        assertEquals("0", m.get(cg.dir(), "cgroup.freeze"));
        m.set(cg.dir(), "cgroup.freeze", "1");
        assertEquals("1", m.get(cg.dir(), "cgroup.freeze"));
        m.set(cg.dir(), "cgroup.freeze", "0");
        CgroupException bad = assertThrows(CgroupException.class, () -> m.set(cg.dir(), "cgroup.freeze", "7"));
        assertTrue(bad.getMessage().contains("cgroup.freeze = '7'"), bad.getMessage());
        assertThrows(CgroupException.class, () -> m.get(cg.dir(), "../cgroup.procs"));
        CgroupException none = assertThrows(CgroupException.class, () -> m.get(cg.dir(), "memory.max"));
        assertTrue(none.getMessage().contains("memory controller"), none.getMessage());
        CgroupStats last = m.close(cg, Duration.ofSeconds(5));
        assertEquals(java.util.Optional.of(false), last.populated());
        assertFalse(Files.exists(cg.dir()));
    }

    @Test
    void statisticsAfterExitOutliveTheProgramsLeaf() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.builder().base(base).statsAfterExit(true).build());
        assertEquals(cg.statsDir().resolve("program"), cg.dir());
        assertEquals(List.of(cg.dir()), cg.createdDirs(), "the helper removes the leaf only");
        assertEquals(List.of(cg.statsDir()), cg.removeAfterStats());
        Process p = startIn(cg.dir(), "/bin/sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; setsid "
                + testprog("sleep_ms") + " 100000 & echo ready'");
        readUntilReady(p);
        // what the helper does at teardown: kill the leaf, remove it
        m.kill(cg.dir(), Duration.ofSeconds(5));
        m.remove(cg.createdDirs());
        assertFalse(Files.exists(cg.dir()));
        CgroupStats last = m.finish(cg);
        assertEquals(m.relativize(cg.statsDir()), last.path());
        assertTrue(last.cpuUsageMicros().orElse(0) > 0, "the leaf's cpu time is counted in its parent: " + last.files().get("cpu.stat"));
        assertFalse(Files.exists(cg.statsDir()));
    }

    @Test
    void aFixedPathIsRefusedWhenPopulatedUnlessAllowed() throws Exception {
        String path = base + "/fixed";
        PreparedCgroup first = m.prepare(CgroupRequest.at(path, null));
        assertEquals(List.of(m.resolve(path)), first.createdDirs(), "created, so it is removed at teardown");
        readUntilReady(startIn(first.dir(), "/bin/sh -c 'echo ready; exec " + testprog("sleep_ms") + " 100000'"));
        assertTrue(m.isPopulated(first.dir()));
        CgroupException e = assertThrows(CgroupException.class, () -> m.prepare(CgroupRequest.at(path, null)));
        assertTrue(e.getMessage().contains("already holds processes"), e.getMessage());
        PreparedCgroup again = m.prepare(CgroupRequest.builder().path(path).allowPopulated(true).build());
        assertTrue(again.createdDirs().isEmpty(), "not created by this call, so not removed by it");
        m.close(first, Duration.ofSeconds(5));
        assertFalse(Files.exists(first.dir()));
    }

    @Test
    void escapingPathsAreRefusedOnTheRealMount() {
        assertThrows(CgroupException.class, () -> m.prepare(CgroupRequest.under(base + "/../..", null)));
        assertThrows(CgroupException.class, () -> m.prepare(CgroupRequest.at("/" + base + "/x", null)));
        assertThrows(CgroupException.class, () -> m.prepare(CgroupRequest.at(base + "/../" + base + "-other", null)));
        assertFalse(Files.exists(m.mount().resolve(base + "-other")));
    }

    @Test
    void sweepRemovesCgroupsOfDeadOwnersOnly() throws Exception {
        String sweepBase = base + "/sweep";
        Path sweepDir = m.resolve(sweepBase);
        Files.createDirectories(sweepDir);
        long me = ProcessHandle.current().pid();
        // left by "this pid with another start time" (a JVM that died; its pid was reused) and by a pid that is gone
        Path stale1 = Files.createDirectory(sweepDir.resolve("corral-" + me + "-1-1"));
        Path stale2 = Files.createDirectory(sweepDir.resolve("corral-" + Integer.MAX_VALUE + "-5-2-mqtt"));
        Files.createDirectory(stale2.resolve("child"));
        Process p = startIn(stale2.resolve("child"), "/bin/sh -c 'trap \"\" TERM; setsid " + testprog("sleep_ms")
                + " 100000 & echo ready; exec " + testprog("ignore_sigterm") + "'");
        readUntilReady(p);
        List<Long> strays = m.pids(stale2);
        assertTrue(strays.size() >= 2, "strays: " + strays);
        // a live owner's cgroup (this JVM's) and a cgroup not named by Corral
        PreparedCgroup mine = m.prepare(CgroupRequest.under(sweepBase, null));
        Path foreign = Files.createDirectory(sweepDir.resolve("not-corral"));

        List<SweptCgroup> swept = m.sweep(sweepBase, Duration.ofMillis(100));

        assertEquals(Set.of(m.relativize(stale1), m.relativize(stale2)),
                Set.copyOf(swept.stream().map(SweptCgroup::relativePath).toList()));
        SweptCgroup s2 = swept.stream().filter(s -> s.relativePath().endsWith("-mqtt")).findFirst().orElseThrow();
        assertEquals(Integer.MAX_VALUE, s2.ownerPid());
        assertEquals(Set.copyOf(strays), Set.copyOf(s2.killed()));
        assertTrue(s2.removed());
        strays.forEach(pid -> assertFalse(running(pid), "stray " + pid + " survived the sweep"));
        assertFalse(Files.exists(stale1));
        assertFalse(Files.exists(stale2));
        assertTrue(Files.isDirectory(mine.dir()), "a live owner's cgroup is kept");
        assertTrue(Files.isDirectory(foreign), "a cgroup Corral did not name is kept");
        m.remove(List.of(mine.dir(), foreign, sweepDir));
    }
}
