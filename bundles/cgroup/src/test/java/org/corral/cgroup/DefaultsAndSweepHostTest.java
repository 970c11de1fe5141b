package org.corral.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.corral.api.CgroupException;
import org.corral.api.CgroupLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On the host's real cgroup2 mount (hybrid here: no cpu/memory/pids controllers): the default base as this JVM
 * sees it, the delegation mark, the sweep's owner and mode checks, the removal of empty bases at close (also
 * while another manager creates cgroups in them), and that the JVM's cgroup is left alone when a limit cannot be
 * had anyway. Everything lives under a base of this class, {@code corral-dtest-<uuid>}, removed at the end.
 */
class DefaultsAndSweepHostTest {

    static CgroupManager m;
    static String base;
    static Path baseDir;
    final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void open() throws IOException {
        m = CgroupManager.open();
        base = "corral-dtest-" + UUID.randomUUID().toString().substring(0, 8);
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
            if (Files.isDirectory(baseDir)) {
                for (long pid : m.pids(baseDir)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
                m.awaitEmpty(baseDir, Duration.ofSeconds(10));
                m.remove(List.of(baseDir));
            }
            assertFalse(Files.exists(baseDir), "the test base " + baseDir + " is gone");
        } finally {
            m.close();
        }
    }

    Process startIn(Path dir, String command) throws IOException {
        Process p = new ProcessBuilder("/bin/sh", "-c", "echo $$ > '" + dir.resolve("cgroup.procs") + "' && exec " + command)
                .redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    static void readUntilReady(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
            if (line.equals("ready")) {
                return;
            }
        }
        throw new AssertionError("the program ended before 'ready'");
    }

    static Path testprog(String name) {
        Path p = Paths.get(System.getProperty("corral.testprogs", "target/testprogs"), name);
        assertTrue(Files.isExecutable(p), "test program " + p + " is built");
        return p;
    }

    static boolean running(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return false;
        }
    }

    static void mark(Path dir) throws IOException {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class);
        v.write(DefaultBase.DELEGATE_XATTR, ByteBuffer.wrap("1".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void thisJvmsDefaultBaseFollowsItsCgroup() {
        Optional<String> own = m.ownCgroup();
        DefaultBase d = m.chooseDefaultBase(null);
        assertTrue(own.isPresent(), "this JVM has a cgroup v2 line in /proc/self/cgroup");
        if (own.get().isEmpty()) {
            // these build hosts: root, in the root cgroup of the hybrid hierarchy
            assertEquals(Optional.of("corral"), d.base());
            assertEquals(DefaultBase.Source.ROOT_CGROUP, d.source());
            assertEquals(Optional.of(""), d.delegated());
        } else {
            assertEquals(Optional.of(d.delegated().orElseThrow() + "/corral"), d.base(), d.toString());
        }
        assertEquals(Optional.empty(), m.chooseDefaultBase("none").base());
        assertEquals(Optional.of(base + "/x"), m.chooseDefaultBase(base + "/x").base());
    }

    @Test
    void systemdsDelegationMarkIsRead() throws IOException {
        Path dir = Files.createDirectory(baseDir.resolve("marked"));
        assertFalse(CgroupManager.delegateMark(dir));
        mark(dir);
        assertTrue(CgroupManager.delegateMark(dir));
        Files.delete(dir);
    }

    @Test
    void theSweepLeavesAloneWhatItsUidDidNotCreateOrOthersMayWrite() throws Exception {
        String sweepBase = base + "/sweep";
        Path sweepDir = Files.createDirectory(m.resolve(sweepBase));
        long gone = Integer.MAX_VALUE;
        // all four are named as if a JVM that is gone made them
        Path stale = Files.createDirectory(sweepDir.resolve("corral-" + gone + "-7-1"));
        Files.createDirectory(stale.resolve("program"));
        Process p = startIn(stale.resolve("program"), "/bin/sh -c 'setsid " + testprog("sleep_ms")
                + " 100000 & echo ready; exec " + testprog("ignore_sigterm") + "'");
        readUntilReady(p);
        List<Long> strays = m.pids(stale);
        Path foreignOwner = Files.createDirectory(sweepDir.resolve("corral-" + gone + "-7-2"));
        Files.setAttribute(foreignOwner, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
        Path groupWritable = Files.createDirectory(sweepDir.resolve("corral-" + gone + "-7-3"));
        Files.setPosixFilePermissions(groupWritable, PosixFilePermissions.fromString("rwxrwxr-x"));
        Path othersWritable = Files.createDirectory(sweepDir.resolve("corral-" + gone + "-7-4-label"));
        Files.setPosixFilePermissions(othersWritable, PosixFilePermissions.fromString("rwxr-xrwx"));
        // this JVM's own (live owner)
        PreparedCgroup mine = m.prepare(CgroupRequest.under(sweepBase, null));

        SweepReport r = m.sweep(List.of(sweepBase, base + "/does-not-exist"), Duration.ofMillis(200));

        assertEquals(List.of(m.relativize(stale)), r.swept().stream().map(SweptCgroup::relativePath).toList());
        assertTrue(r.swept().get(0).removed());
        assertEquals(Set.copyOf(strays), Set.copyOf(r.swept().get(0).killed()));
        strays.forEach(pid -> assertFalse(running(pid), "stray " + pid + " survived the sweep"));
        assertFalse(Files.exists(stale));
        assertEquals(3, r.skipped().size(), r.skipped().toString());
        assertTrue(r.skipped().stream().anyMatch(s -> s.contains("-7-2") && s.contains("owned by")), r.skipped().toString());
        assertTrue(r.skipped().stream().anyMatch(s -> s.contains("-7-3") && s.contains("writable")), r.skipped().toString());
        assertTrue(r.skipped().stream().anyMatch(s -> s.contains("-7-4") && s.contains("writable")), r.skipped().toString());
        for (Path kept : List.of(foreignOwner, groupWritable, othersWritable, mine.dir())) {
            assertTrue(Files.isDirectory(kept), kept + " is kept");
        }
        assertEquals(1, r.removed());
        assertEquals(1, r.owners());
        assertTrue(r.summary().contains("removed 1 stale cgroup(s) left by 1 JVM(s)"), r.summary());
        assertTrue(r.summary().contains("3 left alone"), r.summary());
        m.remove(List.of(mine.dir(), foreignOwner, groupWritable, othersWritable, sweepDir));
    }

    @Test
    void emptyBasesThatCorralCreatedAreRemovedAndUsedOnesKept() throws Exception {
        try (CgroupManager other = CgroupManager.open()) {
            String created = base + "/made/by/corral";
            PreparedCgroup a = other.prepare(CgroupRequest.under(created, null));
            PreparedCgroup b = m.prepare(CgroupRequest.under(created, null)); // another manager uses the same base
            other.remove(a);
            assertEquals(List.of(), other.removeBasesIfEmpty(List.of()), "b's cgroup keeps the base");
            assertTrue(Files.isDirectory(m.resolve(created)));
            m.remove(b);
            // the manager that created nothing removes only what it is told to try
            assertEquals(List.of(m.resolve(created)), m.removeBasesIfEmpty(List.of(created)));
            assertTrue(Files.isDirectory(m.resolve(base + "/made/by")), "only the base itself: m did not create its parents");
            PreparedCgroup c = other.prepare(CgroupRequest.under(created, null));
            other.remove(c);
            assertEquals(List.of(m.resolve(created)), other.removeBasesIfEmpty(List.of()), "other created it (again) this time");
            m.remove(List.of(m.resolve(base + "/made")));
        }
    }

    @Test
    void aBaseRemovedByAnotherJvmMeanwhileIsCreatedAgain() throws Exception {
        // one manager keeps creating and removing cgroups under a base while another removes the base whenever it is
        // empty, as JVMs sharing the default base do at their close
        String shared = base + "/shared";
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try (CgroupManager other = CgroupManager.open()) {
            Future<Integer> remover = ex.submit(() -> {
                int n = 0;
                while (!stop.get()) {
                    n += other.removeBasesIfEmpty(List.of(shared)).size();
                }
                return n;
            });
            for (int i = 0; i < 300; i++) {
                PreparedCgroup p = m.prepare(CgroupRequest.under(shared, null));
                assertTrue(Files.isDirectory(p.dir()));
                m.remove(p);
            }
            stop.set(true);
            int removals = remover.get(30, TimeUnit.SECONDS);
            assertTrue(removals > 0, "the base was removed in between");
        } finally {
            ex.shutdownNow();
        }
        m.removeBasesIfEmpty(List.of(shared));
    }

    @Test
    void aLimitThatCannotBeHadMovesNothing() throws Exception {
        // a cgroup standing for the JVM's delegated one, holding a process; the host's v2 hierarchy offers no memory
        Path svc = Files.createDirectory(baseDir.resolve("svc"));
        mark(svc);
        Process p = startIn(svc, "/bin/sh -c 'echo ready; exec " + testprog("sleep_ms") + " 100000'");
        readUntilReady(p);
        try (CgroupManager d = CgroupManager.open()) {
            d.delegate(Optional.of(base + "/svc"));
            CgroupException e = assertThrows(CgroupException.class, () -> d.prepare(CgroupRequest.under(base + "/svc/corral",
                    CgroupLimits.builder().memoryMax(64L << 20).build())));
            assertTrue(e.getMessage().contains("'memory'"), e.getMessage());
            assertEquals(List.of(p.pid()), d.pids(svc), "the process stays where it was");
            assertFalse(Files.exists(svc.resolve(DefaultBase.SUPERVISOR_LEAF)), "no leaf was made");
            // without limits nothing needs to move either
            PreparedCgroup plain = d.prepare(CgroupRequest.under(base + "/svc/corral", null));
            assertEquals(List.of(p.pid()), d.pids(svc), "the process stays where it was");
            assertFalse(Files.exists(svc.resolve(DefaultBase.SUPERVISOR_LEAF)));
            d.remove(plain);
            assertEquals(List.of(m.resolve(base + "/svc/corral")), d.removeBasesIfEmpty(List.of()));
        }
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        m.awaitEmpty(svc, Duration.ofSeconds(10));
        try (Stream<Path> s = Files.list(svc)) {
            assertEquals(List.of(), s.filter(Files::isDirectory).toList());
        }
        Files.delete(svc);
    }
}
