package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.cgroup.CgroupManager;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Final cgroup statistics in the result of a one-shot run, against the host's cgroup2 mount (no limit
 * controllers here: cpu.stat and cgroup.events are what every cgroup has). Every run uses a base of this
 * class ({@code corral-svtest-<uuid>}); nothing may be left below it after a run, and it is removed at the end.
 */
@ExtendWith(NoLeftovers.class)
class CgroupStatsHostTest {

    static Corral corral;
    static CgroupManager m;
    static String base;
    static Path baseDir;

    @BeforeAll
    static void open() {
        m = CgroupManager.open();
        base = "corral-svtest-" + UUID.randomUUID().toString().substring(0, 8);
        baseDir = m.resolve(base);
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() throws IOException {
        try {
            corral.close();
            if (Files.isDirectory(baseDir)) {
                m.remove(List.of(baseDir));
            }
            assertFalse(Files.exists(baseDir), "the test base " + baseDir + " is gone");
        } finally {
            m.close();
        }
    }

    @AfterEach
    void nothingLeftBelowTheBase() throws IOException {
        assertEquals(List.of(), children(baseDir), "cgroups left below " + baseDir);
    }

    static List<String> children(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).collect(Collectors.toList());
        }
    }

    static void assertFinal(ProcessResult r) {
        assertTrue(r.cgroupStats().isPresent(), "the result carries cgroup statistics: " + r);
        CgroupStats st = r.cgroupStats().get();
        assertTrue(st.path().startsWith(base + "/" + CgroupManager.NAME_PREFIX), st.path());
        assertTrue(st.cpuUsageMicros().isPresent(), "cpu.stat usage_usec in " + st);
        assertEquals(java.util.Optional.of(false), st.populated(), "cgroup.events populated 0 in " + st);
        assertFalse(r.oomKilled());
        assertFalse(Files.exists(m.resolve(st.path())), st.path() + " was removed after reading it");
    }

    @Test
    void runWithACgroupBaseReturnsFinalStatistics() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder(prog("exit_with"), "3").cgroupBase(base).build());
        assertEquals(3, r.exitCode());
        assertFinal(r);
    }

    @Test
    void descendantsAreCountedAndGone() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder(prog("spawn_grandchildren"), "3").cgroupBase(base).build());
        assertFinal(r);
    }

    @Test
    void killedRunStillReportsStatistics() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder(prog("sleep_ms"), "60000").cgroupBase(base)
                .timeout(Duration.ofMillis(200)).grace(Duration.ZERO).build());
        assertTrue(r.timedOut());
        assertTrue(r.signal().isPresent(), "killed by a signal: " + r);
        assertFinal(r);
    }

    @Test
    void asyncRunWithAConsumerReportsStatistics() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        ProcessResult r = corral.runAsync(CommandSpec.builder("echo", "hi").cgroupBase(base)
                .consumer((kind, data) -> seen.add(kind.name())).build()).get(30, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode());
        assertEquals(List.of("STDOUT"), seen);
        assertFinal(r);
    }

    @Test
    void fixedPathRunHasNoStatisticsAndIsRemoved() throws Exception {
        String path = base + "/fixed-" + UUID.randomUUID().toString().substring(0, 8);
        ProcessResult r = corral.run(CommandSpec.builder("true").cgroupPath(path).build());
        assertEquals(0, r.exitCode());
        assertFalse(r.cgroupStats().isPresent(), "a fixed cgroup path reports no final statistics");
        assertFalse(Files.exists(m.resolve(path)));
    }

    @Test
    void runThatOptsOutOfTheDefaultCgroupHasNoStatistics() throws Exception {
        assertFalse(corral.run(CommandSpec.builder("true").defaultCgroup(false).build()).cgroupStats().isPresent());
    }
}
