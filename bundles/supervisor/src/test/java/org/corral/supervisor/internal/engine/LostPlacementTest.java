package org.corral.supervisor.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.cgroup.CgroupManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JVM's side of a lost helper with the helper-side teardown (SPAWN CGROUP_STATS): {@code killNow} kills at
 * once and removes nothing (a helper that is still alive may be reading the final statistics and removing the
 * cgroups itself); {@code releaseLost} reads the statistics and removes what is left, and a helper that got
 * through its teardown before it was lost (directories gone, its STATS frame arrived or not) is no error.
 */
class LostPlacementTest {

    static CgroupManager m;
    static ManagedCgroupPlacement placement;
    static String base;

    @BeforeAll
    static void open() {
        m = CgroupManager.open();
        placement = new ManagedCgroupPlacement(m);
        base = "corral-svtest-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterAll
    static void close() {
        try {
            Path dir = m.resolve(base);
            if (Files.isDirectory(dir)) {
                m.remove(List.of(dir));
            }
        } finally {
            m.close();
        }
    }

    static CgroupPlacement.Placement prepare() {
        CgroupPlacement.Placement p = placement.prepare(CommandSpec.builder("sleep").cgroupBase(base).build())
                .orElseThrow();
        assertNotNull(p.helperStats(), "a cgroup under a base has its statistics read by the helper");
        return p;
    }

    static List<Path> dirs(CgroupPlacement.Placement p) {
        return p.removeOnTeardown();
    }

    @Test
    void killNowKillsAtOnceAndRemovesNothingReleaseReadsTheStatisticsAndRemoves() throws Exception {
        CgroupPlacement.Placement p = prepare();
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        try {
            Files.writeString(p.directory().resolve("cgroup.procs"), Long.toString(sleeper.pid()));
            placement.killNow(p);
            assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS), "the program in the cgroup was killed");
            assertFalse(m.isPopulated(p.helperStats()), "the cgroup is empty after killNow");
            for (Path d : dirs(p)) {
                assertTrue(Files.isDirectory(d), d + " is left for the helper or releaseLost");
            }
            Optional<CgroupStats> stats = placement.releaseLost(p, null);
            assertTrue(stats.isPresent(), "the final statistics were read");
            assertTrue(stats.get().files().containsKey("cgroup.events"), stats.get().files().keySet().toString());
            for (Path d : dirs(p)) {
                assertFalse(Files.exists(d), d + " was removed");
            }
        } finally {
            sleeper.destroyForcibly();
        }
    }

    /** The helper had read the statistics, removed the cgroups and sent STATS, then died before EXIT. */
    @Test
    void aHelperThatRemovedTheCgroupsAndSentStatsBeforeItWasLost() throws IOException {
        CgroupPlacement.Placement p = prepare();
        for (Path d : dirs(p)) {
            Files.delete(d); // rmdir, deepest first, as the helper does
        }
        placement.killNow(p); // gone: no error
        Optional<CgroupStats> stats = placement.releaseLost(p, Map.of("cpu.stat", "usage_usec 7\nuser_usec 5\n"));
        assertTrue(stats.isPresent());
        assertEquals(java.util.OptionalLong.of(7), stats.get().flat("cpu.stat", "usage_usec"), stats.get().toString());
    }

    /** The helper removed the cgroups, but died before its STATS frame went out. */
    @Test
    void aHelperThatRemovedTheCgroupsWithoutStatsBeforeItWasLost() throws IOException {
        CgroupPlacement.Placement p = prepare();
        for (Path d : dirs(p)) {
            Files.delete(d);
        }
        placement.killNow(p);
        assertEquals(Optional.empty(), placement.releaseLost(p, null));
    }
}
