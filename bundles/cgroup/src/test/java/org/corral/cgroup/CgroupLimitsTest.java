package org.corral.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.corral.api.CgroupLimits;
import org.corral.api.InvalidCommandException;
import org.junit.jupiter.api.Test;

/** The limit value formats of {@link CgroupLimits} (API), tested here where the cgroup code lives. */
class CgroupLimitsTest {

    @Test
    void humanSizes() {
        assertEquals("268435456", CgroupLimits.parseSize("memory.max", "256M", true));
        assertEquals("1073741824", CgroupLimits.parseSize("memory.max", "1G", true));
        assertEquals("1073741824", CgroupLimits.parseSize("memory.max", "1g", true));
        assertEquals("1610612736", CgroupLimits.parseSize("memory.max", "1.5G", true));
        assertEquals("65536", CgroupLimits.parseSize("memory.max", "64KiB", true));
        assertEquals("65536", CgroupLimits.parseSize("memory.max", "64KB", true));
        assertEquals("4096", CgroupLimits.parseSize("memory.max", "4096", true));
        assertEquals("4096", CgroupLimits.parseSize("memory.max", " 4096 ", true));
        assertEquals("1099511627776", CgroupLimits.parseSize("memory.max", "1T", true));
        assertEquals("max", CgroupLimits.parseSize("memory.max", "max", true));
        assertEquals("max", CgroupLimits.parseSize("memory.max", "MAX", true));
    }

    @Test
    void badSizesNameTheKeyAndTheText() {
        for (String bad : new String[] {"", "garbage", "-1", "256X", "M", "1.2.3G", "256 M B", "12iB", "0x10"}) {
            InvalidCommandException e = assertThrows(InvalidCommandException.class,
                    () -> CgroupLimits.parseSize("memory.high", bad, true), bad);
            assertTrue(e.getMessage().contains("memory.high") && e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        InvalidCommandException noMax = assertThrows(InvalidCommandException.class, () -> CgroupLimits.parseSize("x", "max", false));
        assertTrue(noMax.getMessage().contains("not a size"), noMax.getMessage());
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.parseSize("memory.max", "99999999P", true));
    }

    @Test
    void cpuMaxForms() {
        assertEquals("50000 100000", CgroupLimits.parseCpuMax("50%"));
        assertEquals("200000 100000", CgroupLimits.parseCpuMax("200%"));
        assertEquals("12500 100000", CgroupLimits.parseCpuMax("12.5 %"));
        assertEquals("20000 100000", CgroupLimits.parseCpuMax("20000 100000"));
        assertEquals("20000 50000", CgroupLimits.parseCpuMax(" 20000   50000 "));
        assertEquals("20000 100000", CgroupLimits.parseCpuMax("20000"));
        assertEquals("max 100000", CgroupLimits.parseCpuMax("max"));
        assertEquals("max 50000", CgroupLimits.parseCpuMax("max 50000"));
    }

    @Test
    void badCpuMax() {
        for (String bad : new String[] {"", "abc%", "0%", "-5%", "0.5%", "1 2 3", "500 100000", "20000 2000000",
                "20000 999", "fast", "max fast", "-20000 100000", "50 %%"}) {
            InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> CgroupLimits.parseCpuMax(bad), bad);
            assertTrue(e.getMessage().startsWith("cgroup limit cpu.max"), e.getMessage());
        }
    }

    @Test
    void typedSetters() {
        CgroupLimits l = CgroupLimits.builder()
                .cpuWeight(200).cpuMax(20000, 100000).cpuIdle(true)
                .memoryMin(1024).memoryLow("64M").memoryHigh("max").memoryMax("256M").memorySwapMax(0)
                .memoryOomGroup(true).pidsMax(64).ioWeight(300).cpusetCpus("0-1").cpusetMems("0")
                .raw("memory.swap.high", "max").build();
        assertEquals(List.of("cpu.weight", "cpu.max", "cpu.idle", "memory.min", "memory.low", "memory.high", "memory.max",
                "memory.swap.max", "memory.oom.group", "pids.max", "io.weight", "cpuset.cpus", "cpuset.mems",
                "memory.swap.high"), List.copyOf(l.files().keySet()), "in the order they are written");
        assertEquals("200", l.files().get("cpu.weight"));
        assertEquals("20000 100000", l.files().get("cpu.max"));
        assertEquals("1", l.files().get("cpu.idle"));
        assertEquals("67108864", l.files().get("memory.low"));
        assertEquals("max", l.files().get("memory.high"));
        assertEquals("268435456", l.files().get("memory.max"));
        assertEquals("0", l.files().get("memory.swap.max"));
        assertEquals("1", l.files().get("memory.oom.group"));
        assertEquals("64", l.files().get("pids.max"));
        assertEquals("default 300", l.files().get("io.weight"));
        assertEquals("0-1", l.files().get("cpuset.cpus"));
        assertEquals(List.of("cpu", "memory", "pids", "io", "cpuset"), CgroupManager.controllersFor(l));
        assertEquals("50000 100000", CgroupLimits.builder().cpuMaxPercent(50).build().files().get("cpu.max"));
        assertEquals("max 100000", CgroupLimits.builder().cpuMaxUnlimited().build().files().get("cpu.max"));
        assertEquals("max", CgroupLimits.builder().pidsMax("max").build().files().get("pids.max"));
        assertFalse(l.isEmpty());
        assertTrue(CgroupLimits.builder().build().isEmpty());
    }

    @Test
    void badTypedValues() {
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().cpuWeight(0));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().cpuWeight(10001));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().ioWeight(0));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().memoryMax(-1));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().pidsMax(-3));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().pidsMax("lots"));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().cpuMax(999, 100000));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().cpuMaxPercent(0));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().cpuMaxPercent(Double.NaN));
        InvalidCommandException rev = assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().cpusetCpus("3-1"));
        assertTrue(rev.getMessage().contains("reversed"), rev.getMessage());
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().cpusetCpus("a"));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().cpusetMems(""));
    }

    @Test
    void rawRefusesPathsManagedFilesAndNewlines() {
        for (String bad : new String[] {"", "memory", "../memory.max", "a/memory.max", ".memory", "memory.max/x"}) {
            assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().raw(bad, "1"), bad);
        }
        InvalidCommandException procs = assertThrows(InvalidCommandException.class,
                () -> CgroupLimits.builder().raw("cgroup.procs", "1"));
        assertTrue(procs.getMessage().contains("managed by Corral"), procs.getMessage());
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().raw("cgroup.kill", "1"));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().raw("memory.max", "1\n2"));
        // a limit from the core that is not managed is fine, and so are upper-case hugetlb names
        assertEquals("10", CgroupLimits.builder().raw("cgroup.max.descendants", "10").build().files().get("cgroup.max.descendants"));
        assertEquals("0", CgroupLimits.builder().raw("hugetlb.2MB.max", "0").build().files().get("hugetlb.2MB.max"));
    }

    @Test
    void setParsesTheTextFormOfEveryKey() {
        CgroupLimits l = CgroupLimits.builder()
                .set("cpu.weight", "50").set("cpu.max", "25%").set("cpu.idle", "false")
                .set("memory.min", "1M").set("memory.low", "2M").set("memory.high", "3M").set("memory.max", "256M")
                .set("memory.swap.max", "max").set("memory.oom.group", "true").set("pids.max", "100")
                .set("io.weight", "default 50").set("cpuset.cpus", "0").set("cpuset.mems", "0")
                .set("memory.swap.high", " 1000 ").build();
        assertEquals(Map.ofEntries(Map.entry("cpu.weight", "50"), Map.entry("cpu.max", "25000 100000"),
                Map.entry("cpu.idle", "0"), Map.entry("memory.min", "1048576"), Map.entry("memory.low", "2097152"),
                Map.entry("memory.high", "3145728"), Map.entry("memory.max", "268435456"), Map.entry("memory.swap.max", "max"),
                Map.entry("memory.oom.group", "1"), Map.entry("pids.max", "100"), Map.entry("io.weight", "default 50"),
                Map.entry("cpuset.cpus", "0"), Map.entry("cpuset.mems", "0"), Map.entry("memory.swap.high", "1000")), l.files());
        InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().set("memory.oom.group", "perhaps"));
        assertTrue(e.getMessage().contains("memory.oom.group") && e.getMessage().contains("'perhaps'"), e.getMessage());
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().set("cpu.weight", "heavy"));
        assertThrows(InvalidCommandException.class, () -> CgroupLimits.builder().set("memory.max", "lots"));
    }

    @Test
    void equalityByFiles() {
        assertEquals(CgroupLimits.builder().memoryMax("1M").build(), CgroupLimits.builder().memoryMax(1048576).build());
    }
}
