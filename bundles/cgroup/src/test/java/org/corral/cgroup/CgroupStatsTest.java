package org.corral.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.junit.jupiter.api.Test;

class CgroupStatsTest {

    private static CgroupValue p(String file, String content) {
        return CgroupFiles.parse(file, content);
    }

    @Test
    void typedGetters() {
        CgroupStats s = new CgroupStats("corral/x", Map.of(
                "memory.current", p("memory.current", "4096\n"),
                "memory.peak", p("memory.peak", "8192\n"),
                "memory.max", p("memory.max", "max\n"),
                "memory.events", p("memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\noom_group_kill 1\n"),
                "pids.current", p("pids.current", "3\n"),
                "pids.peak", p("pids.peak", "17\n"),
                "pids.events", p("pids.events", "max 5\n"),
                "cpu.stat", p("cpu.stat", "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 9\nnr_throttled 7\nthrottled_usec 321\n"),
                "cgroup.events", p("cgroup.events", "populated 0\nfrozen 0\n"),
                "cpu.pressure", p("cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=10\n")));
        assertEquals("corral/x", s.path());
        assertEquals(OptionalLong.of(4096), s.memoryCurrent());
        assertEquals(OptionalLong.of(8192), s.memoryPeak());
        assertEquals(OptionalLong.of(Long.MAX_VALUE), s.single("memory.max"));
        assertEquals(2, s.oomKills());
        assertEquals(1, s.oomGroupKills());
        assertEquals(OptionalLong.of(3), s.pidsCurrent());
        assertEquals(OptionalLong.of(17), s.pidsPeak());
        assertEquals(OptionalLong.of(5), s.pidsMaxEvents());
        assertEquals(OptionalLong.of(100), s.cpuUsageMicros());
        assertEquals(OptionalLong.of(60), s.cpuUserMicros());
        assertEquals(OptionalLong.of(40), s.cpuSystemMicros());
        assertEquals(OptionalLong.of(7), s.nrThrottled());
        assertEquals(OptionalLong.of(321), s.throttledMicros());
        assertEquals(Optional.of(false), s.populated());
        assertEquals(10, s.pressure("cpu.pressure").get().some().totalMicros());
    }

    @Test
    void absentFilesGiveEmptyGetters() {
        CgroupStats s = new CgroupStats("x", Map.of("cpu.stat", p("cpu.stat", "usage_usec 5\nuser_usec 3\nsystem_usec 2\n")));
        assertTrue(s.memoryCurrent().isEmpty());
        assertTrue(s.memoryPeak().isEmpty());
        assertTrue(s.pidsPeak().isEmpty());
        assertTrue(s.nrThrottled().isEmpty(), "no cpu controller: no nr_throttled");
        assertEquals(0, s.oomKills());
        assertTrue(s.populated().isEmpty());
        assertTrue(s.pressure("memory.pressure").isEmpty());
        assertTrue(s.single("cpu.stat").isEmpty(), "wrong shape gives empty, not an exception");
    }
}
