package org.corral.supervisor.vm;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.corral.api.CgroupLimits;
import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.api.ProcessService;
import org.corral.api.Signal;
import org.corral.cgroup.CgroupManager;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Limits and final statistics through {@link ProcessService#run}, on the guest's pure cgroup v2 kernel
 * (vm/run-in-vm; started by this module's vm-tests execution). Every run uses the base {@code corral-svvm};
 * nothing may be left below it after a run, and it is removed at the end.
 */
@Tag("vm")
@ExtendWith(NoLeftovers.class)
class RunLimitsVmTest {

    static final String BASE = "corral-svvm";
    static Corral corral;
    static ProcessService service;
    static CgroupManager m;
    static Path baseDir;

    @BeforeAll
    static void open() {
        m = CgroupManager.open();
        baseDir = m.resolve(BASE);
        corral = TestSupport.open();
        service = corral;
    }

    @AfterAll
    static void close() {
        try {
            corral.close();
            if (Files.isDirectory(baseDir)) {
                m.remove(List.of(baseDir));
            }
        } finally {
            m.close();
        }
    }

    @AfterEach
    void nothingLeftBelowTheBase() throws IOException {
        if (!Files.isDirectory(baseDir)) {
            return;
        }
        try (Stream<Path> s = Files.list(baseDir)) {
            assertEquals(List.of(), s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .collect(Collectors.toList()), "cgroups left below " + baseDir);
        }
    }

    static CgroupStats stats(ProcessResult r) {
        assertTrue(r.cgroupStats().isPresent(), "the result carries cgroup statistics: " + r);
        CgroupStats st = r.cgroupStats().get();
        assertEquals(java.util.Optional.of(false), st.populated(), "populated 0 in " + st);
        assertFalse(Files.exists(m.resolve(st.path())), st.path() + " was removed after reading it");
        return st;
    }

    @Test
    void memoryMaxOomKillsTheProgramAndTheResultSaysSo() throws Exception {
        ProcessResult r = service.run(CommandSpec.builder(prog("memory_hog"), "200").cgroupBase(BASE)
                .limits(CgroupLimits.builder().memoryMax("32M").build()).build());
        CgroupStats st = stats(r);
        assertTrue(r.oomKilled(), "oomKilled: " + r + " " + st);
        assertEquals(java.util.Optional.of(Signal.KILL), r.signal(), r.toString());
        assertFalse(r.stdoutText().contains("done"), "memory_hog did not get its 200 MiB: " + r.stdoutText());
        assertTrue(st.memoryPeak().isEmpty() || st.memoryPeak().getAsLong() <= 32L << 20, st.toString());
    }

    @Test
    void pidsMaxStopsAForkBombAndThePeakIsReported() throws Exception {
        AtomicBoolean ready = new AtomicBoolean();
        // fork_bomb sleeps after "ready": the timeout ends the run once it hit the limit
        ProcessResult r = service.run(CommandSpec.builder(prog("fork_bomb")).cgroupBase(BASE)
                .limits(CgroupLimits.builder().pidsMax(20).build())
                .timeout(Duration.ofSeconds(3)).build());
        CgroupStats st = stats(r);
        assertTrue(r.stdoutText().contains("fork failed"), "fork failed at the limit: " + r.stdoutText());
        assertTrue(r.stdoutText().contains("ready"), r.stdoutText());
        assertTrue(st.pidsPeak().isPresent(), "pids.peak in " + st);
        long peak = st.pidsPeak().getAsLong();
        assertTrue(peak > 1 && peak <= 20, "pids.peak " + peak);
        // the JVM is fine: it starts threads and programs
        Thread t = new Thread(() -> ready.set(true));
        t.start();
        t.join();
        assertTrue(ready.get());
        assertEquals(0, service.run("true").exitCode());
    }

    @Test
    void cpuMaxThrottlesABusyLoop() throws Exception {
        ProcessResult r = service.run(CommandSpec.builder("timeout", "1", "sh", "-c", "while :; do :; done")
                .cgroupBase(BASE).limits(CgroupLimits.builder().cpuMaxPercent(10).build()).build());
        assertEquals(124, r.exitCode(), r.toString());
        CgroupStats st = stats(r);
        assertTrue(st.nrThrottled().isPresent() && st.nrThrottled().getAsLong() > 0, "nr_throttled in " + st);
        assertTrue(st.cpuUsageMicros().getAsLong() > 0, st.toString());
    }

    @Test
    void aDaemonsCgroupIsTheOneWithItsLimits() throws Exception {
        org.corral.api.Daemon d = corral.start(org.corral.api.DaemonSpec.builder("limited",
                CommandSpec.builder(prog("sleep_ms"), "600000").cgroupBase(BASE).grace(Duration.ofMillis(300))
                        .limits(CgroupLimits.builder().memoryMax("32M").pidsMax(40).build()).build()).build());
        try {
            d.await(java.util.Set.of(org.corral.api.DaemonState.READY), Duration.ofSeconds(20));
            String path = d.cgroupPath().orElseThrow();
            assertEquals(Long.toString(32L << 20), d.cgget("memory.max").trim(), "cgget reads the limit in " + path);
            assertEquals("40", d.cgget("pids.max").trim());
            assertEquals(Long.toString(d.pid().getAsLong()), d.cgget("cgroup.procs").trim(),
                    "cgroup.procs lists the program (from its leaf)");
            d.cgset("memory.max", "48M");
            assertEquals(Long.toString(48L << 20), d.cgget("memory.max").trim(), "cgset changes the limit in force");
            assertTrue(d.stats().orElseThrow().memoryCurrent().getAsLong() > 0, d.stats().toString());
        } finally {
            d.stop();
        }
    }
}
