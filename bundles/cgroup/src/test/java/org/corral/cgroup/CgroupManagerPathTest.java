package org.corral.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.corral.api.CgroupException;
import org.corral.api.CgroupLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Path validation and controller bookkeeping against a fake hierarchy in a temporary directory (plain files
 * standing in for the interface files), so every branch can be set up exactly.
 */
class CgroupManagerPathTest {

    @TempDir
    Path tmp;
    Path root;
    CgroupManager m;

    @BeforeEach
    void fakeHierarchy() throws IOException {
        root = tmp.resolve("cg");
        Files.createDirectories(root);
        fakeCgroup(root, "cpu memory pids", "");
        m = CgroupManager.at(root);
    }

    @AfterEach
    void close() {
        m.close();
    }

    static void fakeCgroup(Path dir, String controllers, String subtree) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cgroup.controllers"), controllers + "\n");
        Files.writeString(dir.resolve("cgroup.subtree_control"), subtree + "\n");
        Files.writeString(dir.resolve("cgroup.procs"), "");
        Files.writeString(dir.resolve("cgroup.events"), "populated 0\nfrozen 0\n");
    }

    @Test
    void relativePathsResolveBelowTheMount() {
        assertEquals(root.resolve("a/b"), m.resolve("a/b"));
        assertEquals(root.resolve("a"), m.resolve("a/"));
        assertEquals(root, m.resolve(""));
        assertEquals("a/b", m.relativize(root.resolve("a/b")));
    }

    @Test
    void escapingPathsAreRefused() {
        for (String bad : new String[] {"..", "../x", "a/../../x", "a/..", "./a", "a//b", "a/./b"}) {
            CgroupException e = assertThrows(CgroupException.class, () -> m.resolve(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        CgroupException abs = assertThrows(CgroupException.class, () -> m.resolve("/sys/fs/cgroup/x"));
        assertTrue(abs.getMessage().contains("absolute"), abs.getMessage());
        assertThrows(CgroupException.class, () -> m.resolve(null));
        assertThrows(CgroupException.class, () -> m.stats(tmp.resolve("elsewhere")));
    }

    @Test
    void symlinksOutOfTheMountAreRefused() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("link"), outside);
        CgroupException e = assertThrows(CgroupException.class, () -> m.resolve("link/x"));
        assertTrue(e.getMessage().contains("symbolic links"), e.getMessage());
        assertThrows(CgroupException.class, () -> m.prepare(CgroupRequest.under("link", null)));
        assertFalse(Files.exists(outside.resolve("x")));
    }

    @Test
    void missingControllerNamesTheCommandThatEnablesIt() throws IOException {
        fakeCgroup(root.resolve("base"), "cpu", "");
        CgroupException e = assertThrows(CgroupException.class,
                () -> m.prepare(CgroupRequest.under("base", CgroupLimits.builder().memoryMax("64M").build())));
        String msg = e.getMessage();
        assertTrue(msg.contains("'memory'") && msg.contains("memory.max"), msg);
        assertTrue(msg.contains("echo +memory > " + root.resolve("cgroup.subtree_control")), msg);
        assertTrue(msg.contains("Delegate=yes") && msg.contains("cgroup_enable=memory"), msg);
        try (var s = Files.list(root.resolve("base"))) {
            assertTrue(s.noneMatch(Files::isDirectory), "the new cgroup was removed again");
        }
    }

    @Test
    void missingControllerSeveralLevelsUp() throws IOException {
        fakeCgroup(root.resolve("a"), "", "");
        fakeCgroup(root.resolve("a/b"), "", "");
        CgroupException e = assertThrows(CgroupException.class,
                () -> m.prepare(CgroupRequest.under("a/b", CgroupLimits.builder().pidsMax(5).build())));
        assertTrue(e.getMessage().contains("echo +pids > " + root.resolve("cgroup.subtree_control") + " && echo +pids > "
                + root.resolve("a/cgroup.subtree_control")), e.getMessage());
    }

    @Test
    void controllerTheKernelDoesNotOffer() {
        CgroupException e = assertThrows(CgroupException.class,
                () -> m.prepare(CgroupRequest.under("", CgroupLimits.builder().ioWeight(10).build())));
        assertTrue(e.getMessage().contains("'io'") && (e.getMessage().contains("does not offer it to cgroup v2")
                || e.getMessage().contains("cgroup v1 hierarchy")), e.getMessage());
        assertTrue(e.getMessage().contains("echo +io > " + root.resolve("cgroup.subtree_control")), e.getMessage());
    }

    @Test
    void processesInTheBaseBlockEnabling() throws IOException {
        fakeCgroup(root.resolve("svc"), "cpu memory pids", "");
        Files.writeString(root.resolve("svc/cgroup.procs"), "4242\n");
        CgroupException e = assertThrows(CgroupException.class,
                () -> m.prepare(CgroupRequest.under("svc", CgroupLimits.builder().pidsMax(5).build())));
        assertTrue(e.getMessage().contains("[4242]") && e.getMessage().contains("without processes of their own"), e.getMessage());
    }

    @Test
    void uniqueNamesRecordTheOwnerJvm() {
        PreparedCgroup p = m.prepare(CgroupRequest.builder().base("b").label("my daemon!").build());
        String name = p.dir().getFileName().toString();
        assertTrue(CgroupManager.OWNED_NAME.matcher(name).matches(), name);
        assertTrue(name.startsWith("corral-" + ProcessHandle.current().pid() + "-"), name);
        assertTrue(name.endsWith("-my_daemon_"), name);
        assertEquals(List.of(p.dir()), p.createdDirs());
        assertEquals("b/" + name, p.relativePath());
        PreparedCgroup q = m.prepare(CgroupRequest.under("b", null));
        assertFalse(p.dir().equals(q.dir()));
    }

    @Test
    void requestNeedsExactlyOneOfBaseAndPath() {
        assertThrows(RuntimeException.class, () -> CgroupRequest.builder().build());
        assertThrows(RuntimeException.class, () -> CgroupRequest.builder().base("a").path("b").build());
        assertThrows(RuntimeException.class, () -> CgroupRequest.builder().base("a").allowPopulated(true).build());
        assertThrows(CgroupException.class, () -> m.prepare(CgroupRequest.at("", null)));
    }

    @Test
    void startTimeParsing() {
        String stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50";
        assertEquals(987654, CgroupManager.parseStartTime(stat));
        long me = ProcessHandle.current().pid();
        assertTrue(CgroupManager.ownerAlive(me, CgroupManager.startTime(me).orElseThrow()));
        assertFalse(CgroupManager.ownerAlive(me, 1));
        assertFalse(CgroupManager.ownerAlive(Integer.MAX_VALUE, 1));
    }
}
