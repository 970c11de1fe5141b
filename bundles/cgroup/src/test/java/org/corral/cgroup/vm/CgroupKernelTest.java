package org.corral.cgroup.vm;

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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.corral.api.CgroupException;
import org.corral.api.CgroupLimits;
import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.CgroupRequest;
import org.corral.cgroup.PreparedCgroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Limits and statistics on a real, pure cgroup v2 kernel: run only inside the QEMU guest of
 * {@code vm/run-in-vm} (the build's {@code vm-tests} execution), where the root cgroup offers cpu, memory and
 * pids and nothing is enabled yet. One base per suite, {@code corral-vm-<uuid>}, removed at the end.
 */
@Tag("vm")
class CgroupKernelTest {

    static CgroupManager m;
    static String base;
    final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void pureCgroupV2() throws IOException {
        m = CgroupManager.open();
        List<String> offered = List.of(Files.readString(m.mount().resolve("cgroup.controllers")).trim().split(" "));
        assertTrue(offered.containsAll(List.of("cpu", "memory", "pids")),
                "this must run on a pure cgroup v2 kernel (vm/run-in-vm); root offers " + offered);
        base = "corral-vm-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void killStarted() {
        for (Process p : started) {
            p.destroyForcibly();
        }
    }

    @AfterAll
    static void removeBase() throws IOException {
        try {
            Path b = m.resolve(base);
            if (Files.isDirectory(b)) {
                for (long pid : m.pids(b)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
                try {
                    m.awaitEmpty(b, Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                m.remove(List.of(b));
            }
            assertFalse(Files.exists(b), "the suite's base is gone");
        } finally {
            m.close();
        }
    }

    static Path testprog(String name) {
        Path p = Paths.get(System.getProperty("corral.testprogs", "target/testprogs"), name);
        assertTrue(Files.isExecutable(p), "test program " + p + " is built");
        return p;
    }

    Process startIn(PreparedCgroup cg, String command) throws IOException {
        Process p = new ProcessBuilder("/bin/sh", "-c", "echo $$ > '" + cg.dir().resolve("cgroup.procs") + "' && exec " + command)
                .redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    static List<String> lines(Process p) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                lines.add(l);
            }
        }
        return lines;
    }

    static List<String> linesUntilReady(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        for (String l; (l = r.readLine()) != null; ) {
            if (l.equals("ready")) {
                return lines;
            }
            lines.add(l);
        }
        throw new AssertionError("ended before 'ready': " + lines);
    }

    static List<String> words(Path file) throws IOException {
        String t = Files.readString(file).trim();
        return t.isEmpty() ? List.of() : List.of(t.split("\\s+"));
    }

    @Test
    void controllersAreEnabledDownANestedBaseAndTheConfigurationReadsBack() throws IOException {
        CgroupLimits limits = CgroupLimits.builder().memoryMax("256M").cpuMax("50%").pidsMax(100).memoryOomGroup(true).build();
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base + "/nested/deeper", limits));
        assertEquals(List.of("memory", "cpu", "pids"), cg.controllers());
        for (String level : new String[] {"", base, base + "/nested", base + "/nested/deeper"}) {
            List<String> enabled = words(m.resolve(level).resolve("cgroup.subtree_control"));
            assertTrue(enabled.containsAll(List.of("cpu", "memory", "pids")), "'" + level + "' enables them: " + enabled);
        }
        assertTrue(words(cg.dir().resolve("cgroup.controllers")).containsAll(List.of("cpu", "memory", "pids")));
        assertEquals(Map.of("memory.max", "268435456", "cpu.max", "50000 100000", "pids.max", "100", "memory.oom.group", "1"),
                m.configuration(cg.dir(), limits));
        m.remove(cg);
        assertFalse(Files.exists(cg.dir()));
    }

    @Test
    void statisticsHoldTheFilesOfAllThreeControllers() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base,
                CgroupLimits.builder().memoryMax("128M").cpuWeight(50).pidsMax(50).build()));
        linesUntilReady(startIn(cg, "/bin/sh -c 'echo ready; exec sleep 1000'"));
        CgroupStats s = m.stats(cg.dir());
        for (String f : new String[] {"memory.current", "memory.max", "memory.events", "memory.stat", "memory.pressure",
                "cpu.stat", "cpu.max", "cpu.weight", "cpu.pressure", "pids.current", "pids.max", "pids.events",
                "io.pressure", "cgroup.events", "cgroup.procs"}) {
            assertTrue(s.files().containsKey(f), f + " is in the statistics: " + s.files().keySet());
        }
        assertInstanceOf(CgroupValue.FlatKeyed.class, s.files().get("memory.events"));
        assertInstanceOf(CgroupValue.FlatKeyed.class, s.files().get("memory.stat"));
        assertInstanceOf(CgroupValue.Pressure.class, s.files().get("memory.pressure"));
        assertInstanceOf(CgroupValue.Values.class, s.files().get("cpu.max"));
        assertEquals(134217728L, s.single("memory.max").getAsLong());
        assertEquals(50L, s.single("cpu.weight").getAsLong());
        assertTrue(s.memoryCurrent().getAsLong() > 0, "memory.current " + s.memoryCurrent());
        assertTrue(s.pidsCurrent().getAsLong() >= 1, "pids.current " + s.pidsCurrent());
        assertTrue(s.nrThrottled().isPresent(), "cpu.stat has nr_throttled with the cpu controller");
        CgroupStats last = m.close(cg, Duration.ofSeconds(5));
        assertEquals(java.util.Optional.of(false), last.populated());
        assertFalse(Files.exists(cg.dir()));
    }

    @Test
    void memoryMaxGetsAMemoryHogOomKilledAndThePeakIsReported() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base,
                CgroupLimits.builder().memoryMax("32M").memorySwapMax(0).build()));
        Process p = startIn(cg, testprog("memory_hog") + " 512");
        List<String> out = lines(p);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(128 + 9, p.exitValue(), "SIGKILLed by the OOM killer; output tail: "
                + out.subList(Math.max(0, out.size() - 3), out.size()));
        assertFalse(out.contains("done"), "it never got its 512 MiB");
        assertTrue(m.awaitEmpty(cg.dir(), Duration.ofSeconds(60)));
        CgroupStats s = m.stats(cg.dir());
        assertTrue(s.oomKills() >= 1, "memory.events: " + s.files().get("memory.events").raw());
        long peak = s.memoryPeak().orElseThrow(() -> new AssertionError("memory.peak is reported"));
        assertTrue(peak > 16L << 20 && peak <= 32L << 20, "memory.peak " + peak + " lies below the 32 MiB limit");
        m.close(cg, Duration.ZERO);
    }

    @Test
    void oomKillAndPeakAreReadAfterTheProgramsCgroupIsGone() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.builder().base(base).statsAfterExit(true)
                .limits(CgroupLimits.builder().memoryMax("24M").memorySwapMax(0).pidsMax(10).build()).build());
        Process p = startIn(cg, testprog("memory_hog") + " 512");
        lines(p);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(128 + 9, p.exitValue());
        // what the helper does at teardown: kill what is left in the program's cgroup and remove it
        m.kill(cg.dir(), Duration.ZERO);
        m.remove(cg.createdDirs());
        CgroupStats last = m.finish(cg);
        assertTrue(last.oomKills() >= 1, "memory.events of the limited cgroup: " + last.files().get("memory.events").raw());
        assertTrue(last.memoryPeak().orElse(0) > 12L << 20, "memory.peak " + last.memoryPeak());
        assertTrue(last.pidsPeak().orElse(0) >= 1, "pids.peak " + last.pidsPeak());
        assertFalse(Files.exists(cg.statsDir()));
    }

    @Test
    void memoryOomGroupKillsTheWholeGroup() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base,
                CgroupLimits.builder().memoryMax("48M").memorySwapMax(0).memoryOomGroup(true).build()));
        Process p = startIn(cg, "/bin/sh -c 'sleep 1000 & setsid sleep 1000 & sleep 1000 & echo ready; "
                + testprog("memory_hog") + " 512; echo survived; wait'");
        linesUntilReady(p);
        List<Long> before = m.pids(cg.dir());
        assertTrue(before.size() >= 4, "sh, three sleeps (and the hog): " + before);
        // no kill from here: the OOM killer alone must empty the group
        assertTrue(m.awaitEmpty(cg.dir(), Duration.ofSeconds(120)), "the group was killed as a whole");
        List<String> rest = lines(p);
        assertFalse(rest.contains("survived"), "the shell was killed with the hog: " + rest);
        CgroupStats s = m.stats(cg.dir());
        assertTrue(s.oomKills() >= 1, s.files().get("memory.events").raw());
        assertTrue(s.oomGroupKills() >= 1, "memory.events oom_group_kill: " + s.files().get("memory.events").raw());
        for (long pid : before) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && isInCgroup(pid, cg), "pid " + pid + " survived");
        }
        m.remove(cg);
    }

    private static boolean isInCgroup(long pid, PreparedCgroup cg) {
        try {
            return Files.readString(Paths.get("/proc", Long.toString(pid), "cgroup")).contains(cg.relativePath());
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void theKernelReportsPopulatedChangesThroughInotify() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base, null));
        Process p = startIn(cg, "/bin/sh -c 'echo ready; exec sleep 1000'");
        linesUntilReady(p);
        // kernfs notifies only files whose inode is cached: keep cgroup.events open, as PopulatedWatcher does
        try (WatchService ws = FileSystems.getDefault().newWatchService();
                var events = java.nio.channels.FileChannel.open(cg.dir().resolve("cgroup.events"))) {
            cg.dir().register(ws, StandardWatchEventKinds.ENTRY_MODIFY);
            p.destroyForcibly();
            WatchKey key = ws.poll(60, TimeUnit.SECONDS);
            assertNotNull(key, "an inotify event came for the cgroup directory (kernel " + System.getProperty("os.version") + ")");
            assertTrue(key.pollEvents().stream().anyMatch(e -> e.context().toString().equals("cgroup.events")));
        }
        assertTrue(m.awaitEmpty(cg.dir(), Duration.ofSeconds(60)));
        m.remove(cg);
    }

    @Test
    void cpuMaxThrottles() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base, CgroupLimits.builder().cpuMax(10_000, 100_000).build()));
        // a fixed amount of cpu work (well above the 10 ms a period allows), then exit
        Process p = startIn(cg, "/bin/sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo finished'");
        assertEquals(List.of("finished"), lines(p));
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertTrue(m.awaitEmpty(cg.dir(), Duration.ofSeconds(30)));
        CgroupStats s = m.stats(cg.dir());
        assertTrue(s.nrThrottled().getAsLong() > 0, "cpu.stat: " + s.files().get("cpu.stat").raw());
        assertTrue(s.throttledMicros().getAsLong() > 0, "cpu.stat: " + s.files().get("cpu.stat").raw());
        m.close(cg, Duration.ZERO);
    }

    @Test
    void pidsMaxStopsAForkBombWhileTheJvmStaysHealthy() throws Exception {
        PreparedCgroup cg = m.prepare(CgroupRequest.under(base, CgroupLimits.builder().pidsMax(20).build()));
        Process p = startIn(cg, testprog("fork_bomb").toString());
        List<String> out = linesUntilReady(p);
        assertTrue(out.stream().anyMatch(l -> l.startsWith("fork failed")), "fork was refused: " + out);
        long forked = Long.parseLong(out.get(0).replace("forked ", ""));
        assertTrue(forked < 20, "at most pids.max - 1 children: " + out);
        CgroupStats s = m.stats(cg.dir());
        assertEquals(20L, s.pidsPeak().orElseThrow(() -> new AssertionError("pids.peak is reported")));
        assertTrue(s.pidsMaxEvents().getAsLong() >= 1, "pids.events: " + s.files().get("pids.events").raw());
        // the JVM, outside the cgroup, still starts threads and processes
        assertEquals("jvm fine", CompletableFuture.supplyAsync(() -> "jvm fine").get(30, TimeUnit.SECONDS));
        Process t = new ProcessBuilder("/bin/true").start();
        assertTrue(t.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, t.exitValue());
        m.close(cg, Duration.ofMillis(100));
        assertFalse(Files.exists(cg.dir()));
    }

    @Test
    void aControllerTheBaseDoesNotOfferIsAClearError() throws Exception {
        // a base whose parent passes down cpu only
        Path parent = m.resolve(base + "/cpu-only");
        Files.createDirectories(parent);
        for (Path p = parent; p.startsWith(m.mount()); p = p.getParent()) {
            Files.writeString(p.resolve("cgroup.subtree_control"), "+cpu"); // cpu down to cpu-only's children
            if (p.equals(m.mount())) {
                break;
            }
        }
        Files.createDirectories(parent.resolve("b"));
        CgroupException e = assertThrows(CgroupException.class,
                () -> m.prepare(CgroupRequest.under(base + "/cpu-only/b", CgroupLimits.builder().memoryMax("64M").build())));
        assertTrue(e.getMessage().contains("'memory'") && e.getMessage().contains("echo +memory > "
                + parent.resolve("cgroup.subtree_control")), e.getMessage());
        try (var kids = Files.list(parent.resolve("b"))) {
            assertTrue(kids.noneMatch(Files::isDirectory), "the refused cgroup was removed");
        }
        m.remove(List.of(parent));
    }
}
