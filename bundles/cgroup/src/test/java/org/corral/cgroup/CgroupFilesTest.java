package org.corral.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import org.corral.api.CgroupException;
import org.corral.api.CgroupValue;
import org.junit.jupiter.api.Test;

class CgroupFilesTest {

    @Test
    void singleNumberAndWord() {
        CgroupValue.Single n = assertInstanceOf(CgroupValue.Single.class, CgroupFiles.parse("memory.current", "1654784\n"));
        assertEquals(OptionalLong.of(1654784), n.number());
        assertEquals("1654784", n.raw());
        CgroupValue.Single max = assertInstanceOf(CgroupValue.Single.class, CgroupFiles.parse("memory.max", "max\n"));
        assertTrue(max.number().isEmpty());
        assertEquals(OptionalLong.of(Long.MAX_VALUE), max.numberOrMax());
        CgroupValue.Single type = assertInstanceOf(CgroupValue.Single.class, CgroupFiles.parse("cgroup.type", "domain\n"));
        assertTrue(type.numberOrMax().isEmpty());
        CgroupValue.Single cpus = assertInstanceOf(CgroupValue.Single.class, CgroupFiles.parse("cpuset.cpus", "0-3\n"));
        assertTrue(cpus.number().isEmpty());
        assertEquals("0-3", cpus.raw());
        // cgroup.pressure is a toggle, not a PSI file
        assertEquals(OptionalLong.of(1), assertInstanceOf(CgroupValue.Single.class, CgroupFiles.parse("cgroup.pressure", "1\n")).number());
    }

    @Test
    void emptyFileIsAnEmptySingle() {
        CgroupValue.Single e = assertInstanceOf(CgroupValue.Single.class, CgroupFiles.parse("cpuset.cpus", "\n"));
        assertEquals("", e.raw());
        assertTrue(e.number().isEmpty());
    }

    @Test
    void numberBeyondALongStaysAWord() {
        CgroupValue.Single s = assertInstanceOf(CgroupValue.Single.class, CgroupFiles.parse("x.y", "18446744073709551615\n"));
        assertTrue(s.number().isEmpty());
        assertEquals("18446744073709551615", s.raw());
    }

    @Test
    void strictSingleRefusesSeveralValues() {
        CgroupException e = assertThrows(CgroupException.class, () -> CgroupFiles.parseSingle("memory.max", "1 2\n"));
        assertTrue(e.getMessage().contains("memory.max"), e.getMessage());
        assertTrue(e.getMessage().contains("'1 2'"), e.getMessage());
    }

    @Test
    void valueLists() {
        CgroupValue.Values procs = assertInstanceOf(CgroupValue.Values.class, CgroupFiles.parse("cgroup.procs", "12\n345\n6\n"));
        assertEquals(List.of("12", "345", "6"), procs.values());
        CgroupValue.Values none = assertInstanceOf(CgroupValue.Values.class, CgroupFiles.parse("cgroup.procs", ""));
        assertEquals(List.of(), none.values());
        CgroupValue.Values ctl = assertInstanceOf(CgroupValue.Values.class, CgroupFiles.parse("cgroup.controllers", "cpuset cpu io memory pids\n"));
        assertEquals(List.of("cpuset", "cpu", "io", "memory", "pids"), ctl.values());
        // cpu.max looks like 'key value' but is quota and period
        CgroupValue.Values cpuMax = assertInstanceOf(CgroupValue.Values.class, CgroupFiles.parse("cpu.max", "max 100000\n"));
        assertEquals(List.of("max", "100000"), cpuMax.values());
        // an unknown file with one line of several words
        assertEquals(List.of("a", "b", "c"), assertInstanceOf(CgroupValue.Values.class, CgroupFiles.parse("x.y", "a b c")).values());
    }

    @Test
    void flatKeyed() {
        String events = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
        CgroupValue.FlatKeyed f = assertInstanceOf(CgroupValue.FlatKeyed.class, CgroupFiles.parse("memory.events", events));
        assertEquals(Map.of("low", 0L, "high", 0L, "max", 12L, "oom", 3L, "oom_kill", 2L, "oom_group_kill", 0L), f.values());
        assertEquals(OptionalLong.of(2), f.get("oom_kill"));
        assertTrue(f.get("nope").isEmpty());
        assertEquals("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0", f.raw());
        CgroupValue.FlatKeyed cpu = assertInstanceOf(CgroupValue.FlatKeyed.class, CgroupFiles.parse("cpu.stat",
                "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nnr_periods 10\nnr_throttled 4\nthrottled_usec 99\n"));
        assertEquals(4L, cpu.values().get("nr_throttled"));
        CgroupValue.FlatKeyed weight = assertInstanceOf(CgroupValue.FlatKeyed.class, CgroupFiles.parse("io.weight", "default 100\n8:0 200\n"));
        assertEquals(Map.of("default", 100L, "8:0", 200L), weight.values());
    }

    @Test
    void flatKeyedMalformed() {
        CgroupException e = assertThrows(CgroupException.class, () -> CgroupFiles.parseFlatKeyed("memory.events", "low 0\nhigh\n"));
        assertTrue(e.getMessage().contains("memory.events line 2"), e.getMessage());
        CgroupException nan = assertThrows(CgroupException.class, () -> CgroupFiles.parseFlatKeyed("cpu.stat", "usage_usec lots\n"));
        assertTrue(nan.getMessage().contains("'lots'"), nan.getMessage());
        assertThrows(CgroupException.class, () -> CgroupFiles.parseFlatKeyed("cpu.stat", "a 1 2\n"));
        // the lenient parser keeps mixed content as text
        assertInstanceOf(CgroupValue.Text.class, CgroupFiles.parse("x.stat", "a 1\nb c d\n"));
    }

    @Test
    void nestedKeyed() {
        String ioStat = "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
                + "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n";
        CgroupValue.NestedKeyed n = assertInstanceOf(CgroupValue.NestedKeyed.class, CgroupFiles.parse("io.stat", ioStat));
        assertEquals("314773504", n.values().get("8:16").get("wbytes"));
        assertEquals("3021", n.values().get("8:0").get("dios"));
        CgroupValue.NestedKeyed max = assertInstanceOf(CgroupValue.NestedKeyed.class,
                CgroupFiles.parse("io.max", "8:16 rbps=2097152 wbps=max riops=max wiops=120\n"));
        assertEquals("max", max.values().get("8:16").get("wbps"));
        CgroupValue.NestedKeyed numa = assertInstanceOf(CgroupValue.NestedKeyed.class,
                CgroupFiles.parse("memory.numa_stat", "anon N0=1024\nfile N0=2048\n"));
        assertEquals("2048", numa.values().get("file").get("N0"));
    }

    @Test
    void nestedKeyedMalformed() {
        CgroupException e = assertThrows(CgroupException.class, () -> CgroupFiles.parseNestedKeyed("io.stat", "8:0 rbytes=1 wbytes\n"));
        assertTrue(e.getMessage().contains("io.stat line 1") && e.getMessage().contains("'wbytes'"), e.getMessage());
        CgroupException noKey = assertThrows(CgroupException.class, () -> CgroupFiles.parseNestedKeyed("io.stat", "a=1 b=2\n"));
        assertTrue(noKey.getMessage().contains("key is missing"), noKey.getMessage());
        assertThrows(CgroupException.class, () -> CgroupFiles.parseNestedKeyed("io.stat", "8:0 =5\n"));
    }

    @Test
    void pressureSomeAndFull() {
        String psi = "some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\nfull avg10=0.00 avg60=0.10 avg300=0.01 total=789\n";
        CgroupValue.Pressure p = assertInstanceOf(CgroupValue.Pressure.class, CgroupFiles.parse("memory.pressure", psi));
        assertEquals(new CgroupValue.Psi(1.5, 0.25, 0.0, 123456), p.some());
        assertEquals(new CgroupValue.Psi(0.0, 0.1, 0.01, 789), p.full());
    }

    @Test
    void pressureWithOneLine() {
        CgroupValue.Pressure some = CgroupFiles.parsePressure("cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n");
        assertNull(some.full());
        assertTrue(some.fullLine().isEmpty());
        assertEquals(5, some.some().totalMicros());
        CgroupValue.Pressure full = assertInstanceOf(CgroupValue.Pressure.class,
                CgroupFiles.parse("irq.pressure", "full avg10=0.00 avg60=0.00 avg300=0.00 total=7\n"));
        assertNull(full.some());
        assertEquals(7, full.full().totalMicros());
    }

    @Test
    void pressureMalformed() {
        CgroupException missing = assertThrows(CgroupException.class,
                () -> CgroupFiles.parsePressure("io.pressure", "some avg10=0.00 avg60=0.00 total=5\n"));
        assertTrue(missing.getMessage().contains("io.pressure line 1") && missing.getMessage().contains("avg300"), missing.getMessage());
        CgroupException bad = assertThrows(CgroupException.class,
                () -> CgroupFiles.parsePressure("io.pressure", "some avg10=x avg60=0.00 avg300=0.00 total=5\n"));
        assertTrue(bad.getMessage().contains("'x'"), bad.getMessage());
        assertThrows(CgroupException.class, () -> CgroupFiles.parsePressure("io.pressure", "some avg10=0 avg60=0 avg300=0 total=-1\n"));
        assertThrows(CgroupException.class, () -> CgroupFiles.parsePressure("io.pressure", "half avg10=0 avg60=0 avg300=0 total=1\n"));
        assertThrows(CgroupException.class, () -> CgroupFiles.parsePressure("io.pressure", "some avg10 avg60=0 avg300=0 total=1\n"));
        assertThrows(CgroupException.class, () -> CgroupFiles.parsePressure("io.pressure", "\n"));
        // the lenient parser keeps a malformed pressure file as text
        assertInstanceOf(CgroupValue.Text.class, CgroupFiles.parse("io.pressure", "some avg10=0.00 avg60=zz avg300=0.00 total=5\n"));
    }

    @Test
    void unrecognisedContentIsText() {
        CgroupValue v = CgroupFiles.parse("x.y", "a\nb c\n");
        assertEquals("a\nb c", assertInstanceOf(CgroupValue.Text.class, v).raw());
    }
}
