package org.corral.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.util.List;

import org.corral.api.CgroupException;
import org.junit.jupiter.api.Test;

class CgroupMountTest {

    /** As on these hosts: cgroup v1 controllers plus a cgroup2 hierarchy at /sys/fs/cgroup/unified. */
    static final String HYBRID = ""
            + "22 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=/a,upperdir=/b,workdir=/c\n"
            + "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
            + "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
            + "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
            + "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime shared:5 - cgroup cgroup rw,pids\n"
            + "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

    @Test
    void findsTheUnifiedHierarchyOfAHybridSystem() {
        List<CgroupMount> mounts = CgroupMount.parseMountinfo(HYBRID);
        assertEquals(4, mounts.size(), "only cgroup mounts are kept: " + mounts);
        CgroupMount m = CgroupMount.findCgroup2(mounts);
        assertEquals(Paths.get("/sys/fs/cgroup/unified"), m.mountPoint());
        assertEquals("/", m.root());
        assertEquals(List.of("rw"), m.superOptions());
    }

    @Test
    void pureV2WithOptionalFields() {
        String pure = "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 master:1 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
        CgroupMount m = CgroupMount.findCgroup2(CgroupMount.parseMountinfo(pure));
        assertEquals(Paths.get("/sys/fs/cgroup"), m.mountPoint());
        assertEquals(List.of("rw", "nsdelegate", "memory_recursiveprot"), m.superOptions());
    }

    @Test
    void escapedMountPoint() {
        String esc = "50 22 0:40 / /mnt/my\\040cgroups\\011tab\\134x rw - cgroup2 none rw\n";
        CgroupMount m = CgroupMount.findCgroup2(CgroupMount.parseMountinfo(esc));
        assertEquals(Paths.get("/mnt/my cgroups\ttab\\x"), m.mountPoint());
        assertEquals("a\\0b", CgroupMount.unescape("a\\0b"), "a backslash without three octal digits stays");
        assertEquals("a\nb", CgroupMount.unescape("a\\012b"));
    }

    @Test
    void prefersTheWholeHierarchyOverABindMountedSubtree() {
        String two = "60 22 0:40 /sub /mnt/sub rw - cgroup2 cgroup2 rw\n"
                + "61 22 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        assertEquals(Paths.get("/sys/fs/cgroup"), CgroupMount.findCgroup2(CgroupMount.parseMountinfo(two)).mountPoint());
        String onlySub = "60 22 0:40 /sub /mnt/sub rw - cgroup2 cgroup2 rw\n";
        CgroupMount sub = CgroupMount.findCgroup2(CgroupMount.parseMountinfo(onlySub));
        assertEquals("/sub", sub.root());
    }

    @Test
    void noCgroup2IsAClearError() {
        String v1only = "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";
        CgroupException e = assertThrows(CgroupException.class, () -> CgroupMount.findCgroup2(CgroupMount.parseMountinfo(v1only)));
        assertTrue(e.getMessage().contains("no cgroup2 file system is mounted"), e.getMessage());
        assertTrue(e.getMessage().contains("mount -t cgroup2"), e.getMessage());
    }

    @Test
    void malformedLineIsNamed() {
        CgroupException e = assertThrows(CgroupException.class,
                () -> CgroupMount.parseMountinfo("30 22 0:27 / /sys/fs/cgroup rw,relatime tmpfs tmpfs rw\n"));
        assertTrue(e.getMessage().contains("mountinfo line 1"), e.getMessage());
        assertThrows(CgroupException.class, () -> CgroupMount.parseMountinfo("1 2 3\n"));
    }

    @Test
    void v1MountsOfAController() {
        List<CgroupMount> memory = CgroupMount.v1MountsOf("memory", CgroupMount.parseMountinfo(HYBRID));
        assertEquals(1, memory.size());
        assertEquals(Paths.get("/sys/fs/cgroup/memory"), memory.get(0).mountPoint());
        assertTrue(CgroupMount.v1MountsOf("io", CgroupMount.parseMountinfo(HYBRID)).isEmpty());
    }

    @Test
    void thisHostHasACgroup2Mount() {
        CgroupMount m = CgroupMount.findCgroup2();
        assertEquals("cgroup2", m.fsType());
        assertTrue(m.mountPoint().resolve("cgroup.controllers").toFile().isFile(), m.toString());
    }
}
