package org.corral.supervisor.internal.daemon;

import static org.corral.supervisor.support.TestSupport.alive;
import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.corral.api.CommandSpec;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.HandOff;
import org.corral.supervisor.internal.engine.HelperEngine;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Daemons handed over from one engine to another in the same JVM, as the supervisor bundle does at an update
 * (old version: detach + hand-over file; new version: read, claim, re-attach), with real helpers and programs.
 */
@ExtendWith(NoLeftovers.class)
class HandOverProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    private static DaemonSpec seq(String name, String intervalMs) {
        return DaemonSpec.builder(name, CommandSpec.builder(prog("print_seq"), intervalMs).grace(Duration.ofMillis(300))
                .build()).recentLines(10_000).build(); // every line of the test, within the default output budget
    }

    /** The old version: a daemon running on engine {@code a}, handed over with {@code lease}. */
    private DaemonHandOver runAndHandOver(Corral a, DaemonSpec spec, Duration lease, long runMs) throws Exception {
        DaemonSupervisor sa = new DaemonSupervisor(a.engine(), "old version");
        SupervisedDaemon d = sa.create(spec, "old version", DependencyGate.NONE);
        d.start();
        d.await(Set.of(DaemonState.READY), WAIT);
        Thread.sleep(runMs);
        DaemonHandOver h = sa.handOver(d, lease).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        sa.close(); // stops nothing: the daemon is not its own any more
        return h;
    }

    /** {@link #runAndHandOver} on an engine of its own, closed afterwards (the detached program must survive it). */
    private DaemonHandOver handedOver(DaemonSpec spec, Duration lease, long runMs) throws Exception {
        Corral a = TestSupport.open();
        try {
            return runAndHandOver(a, spec, lease, runMs);
        } finally {
            a.close();
        }
    }

    private static List<Long> numbers(List<String> lines) {
        List<Long> out = new ArrayList<>();
        for (String l : lines) {
            out.add(Long.parseLong(l.trim()));
        }
        return out;
    }

    private static void assertContiguousFromOne(List<Long> seq) {
        assertFalse(seq.isEmpty());
        for (int i = 0; i < seq.size(); i++) {
            if (seq.get(i) != i + 1) {
                throw new AssertionError("sequence breaks at index " + i + ": expected " + (i + 1) + ", got "
                        + seq.get(i) + " (around: " + seq.subList(Math.max(0, i - 3), Math.min(seq.size(), i + 3)) + ")");
            }
        }
    }

    @Test
    void runningDaemonKeepsPidCountersAndEveryLineAcrossAHandOver() throws Exception {
        DaemonHandOver h = handedOver(seq("carried", "2"), Duration.ofSeconds(15), 300);
        HandOff off = h.program();
        assertNotNull(off, "a running daemon hands its program over");
        assertEquals(DaemonState.READY, h.state());
        assertTrue(alive(off.pid()), "the program survives the old engine's close");
        assertTrue(alive(off.helperPid()), "the helper survives the old engine's close");
        Thread.sleep(200); // lines written now wait in the pipe

        Path file = tmp.resolve(HandOverFile.NAME);
        HandOverFile.write(file, HandOverStore.thisJvm(), List.of(h));
        assertEquals(Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(file));

        Corral b = TestSupport.open();
        try {
            HandOverStore store = new HandOverStore(b.engine(), file, Duration.ofSeconds(15));
            store.loadIncoming(HandOverStore.thisJvm(), Duration.ofSeconds(2));
            assertFalse(Files.exists(file), "the new version deletes the hand-over file once read");
            DaemonHandOver got = store.claim("carried").orElseThrow();
            DaemonSupervisor sb = new DaemonSupervisor(b.engine(), "new version");
            SupervisedDaemon d2 = sb.adopt(seq("carried", "2"), "new version", DependencyGate.NONE, got);
            d2.adopt(got);
            assertEquals(DaemonState.READY, d2.await(Set.of(DaemonState.READY), WAIT));
            assertEquals(off.pid(), d2.pid().getAsLong(), "same program");
            assertEquals(off.helperPid(), d2.helperPid().getAsLong(), "same helper");
            assertEquals(0, d2.restarts());
            Thread.sleep(300);
            long bytes = d2.stdoutBytes();
            assertTrue(bytes > off.stdoutBytes(), "byte counters continue: " + bytes + " after " + off.stdoutBytes());
            d2.stop();
            List<Long> seq = numbers(d2.recentLines(10_000));
            assertContiguousFromOne(seq);
            assertTrue(seq.size() > h.recent().size(), "lines after the re-attach arrived: " + seq.size());
            // every byte is in the lines: each line is the number plus '\n'
            long expected = seq.stream().mapToLong(n -> Long.toString(n).length() + 1).sum();
            assertEquals(expected, d2.stdoutBytes(), "stdout byte count matches the lines seen");
            sb.close();
            store.close();
        } finally {
            b.close();
        }
        assertFalse(alive(off.pid()));
    }

    @Test
    void aNotifyDaemonKeepsItsSocketAndWatchdogAcrossAHandOver() throws Exception {
        // READY=1, then STATUS= and WATCHDOG=1 every 100 ms for 6 s: some of them while detached
        DaemonSpec spec = DaemonSpec.builder("notified", CommandSpec.builder(prog("notify_send"), "env",
                "send=READY=1\\nSTATUS=first", "sleep=800", "send=STATUS=second", "watchdog=60", "sleep=60000")
                .grace(Duration.ofMillis(300)).build()).readiness(org.corral.api.Readiness.notifySocket())
                .watchdog(Duration.ofMillis(400)).build();
        DaemonHandOver h = handedOver(spec, Duration.ofSeconds(15), 100);
        HandOff off = h.program();
        assertNotNull(off);
        assertEquals(DaemonState.READY, h.state());
        Path file = tmp.resolve(HandOverFile.NAME);
        HandOverFile.write(file, HandOverStore.thisJvm(), List.of(h));
        Thread.sleep(1200); // STATUS=second is sent while nobody is attached
        Corral b = TestSupport.open();
        try {
            HandOverStore store = new HandOverStore(b.engine(), file, Duration.ofSeconds(15));
            store.loadIncoming(HandOverStore.thisJvm(), Duration.ofSeconds(2));
            DaemonHandOver got = store.claim("notified").orElseThrow();
            DaemonSupervisor sb = new DaemonSupervisor(b.engine(), "new version");
            SupervisedDaemon d2 = sb.adopt(spec, "new version", DependencyGate.NONE, got);
            d2.adopt(got);
            assertEquals(DaemonState.READY, d2.await(Set.of(DaemonState.READY), WAIT));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (d2.statusText().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(java.util.Optional.of("second"), d2.statusText(), "the datagram that waited in the socket");
            Thread.sleep(2000); // the program keeps petting: the adopted daemon's watchdog runs and is satisfied
            assertEquals(DaemonState.READY, d2.state());
            assertEquals(off.pid(), d2.pid().getAsLong(), "same program");
            assertEquals(0, d2.restarts());
            d2.stop();
            sb.close();
            store.close();
        } finally {
            b.close();
        }
    }

    @Test
    void leaseExpiryWithoutSuccessorTearsTheProgramDown() throws Exception {
        DaemonHandOver h = handedOver(seq("orphan", "5"), Duration.ofMillis(700), 50);
        HandOff off = h.program();
        assertNotNull(off);
        long t0 = System.nanoTime();
        List<Long> left = TestSupport.awaitGone(List.of(off.pid(), off.helperPid()), 15_000);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("HandOverProcessTest: lease 700 ms, program and helper gone " + ms + " ms after the old engine closed");
        assertTrue(left.isEmpty(), "still alive after the lease: " + left);
        HelperEngine.deleteHandOverDir(off.socket().getParent());
        String stats = off.cgroup().get("stats.dir");
        if (stats != null) { // the program ran in its default cgroup
            Path cgroup = Path.of(stats);
            assertFalse(Files.exists(cgroup.resolve("program")), "the helper removed the program's leaf");
            // no JVM is left to read the statistics: the cgroup itself stays, empty, for the start-up sweep of the
            // next JVM (docs/cgroups.md); this JVM lives on, so the test removes it
            Files.deleteIfExists(cgroup);
        }
    }

    @Test
    void unclaimedDaemonIsStoppedWhenTheClaimWindowEnds() throws Exception {
        DaemonHandOver h = handedOver(seq("deleted-meanwhile", "5"), Duration.ofSeconds(30), 50);
        Path file = tmp.resolve(HandOverFile.NAME);
        HandOverFile.write(file, HandOverStore.thisJvm(), List.of(h));
        Corral b = TestSupport.open();
        try {
            HandOverStore store = new HandOverStore(b.engine(), file, Duration.ofSeconds(30));
            store.loadIncoming(HandOverStore.thisJvm(), Duration.ofMillis(300));
            List<Long> left = TestSupport.awaitGone(List.of(h.program().pid(), h.program().helperPid()), 15_000);
            assertTrue(left.isEmpty(), "an unclaimed daemon is stopped long before its 30 s lease: " + left);
            assertTrue(store.claim("deleted-meanwhile").isEmpty());
            assertFalse(Files.exists(h.program().socket().getParent()), "the socket directory is removed");
            store.close();
        } finally {
            b.close();
        }
    }

    @Test
    void fileOfAnotherJvmIsNotAdoptedButStoppedAtOnce() throws Exception {
        DaemonHandOver h = handedOver(seq("foreign", "5"), Duration.ofSeconds(30), 50);
        Path file = tmp.resolve(HandOverFile.NAME);
        HandOverFile.write(file, "1 12345", List.of(h));
        Corral b = TestSupport.open();
        try {
            HandOverStore store = new HandOverStore(b.engine(), file, Duration.ofSeconds(30));
            store.loadIncoming(HandOverStore.thisJvm(), Duration.ofSeconds(5));
            assertTrue(store.claim("foreign").isEmpty(), "not offered for adoption");
            List<Long> left = TestSupport.awaitGone(List.of(h.program().pid(), h.program().helperPid()), 15_000);
            assertTrue(left.isEmpty(), "stopped at once, not at the end of the lease: " + left);
            store.close();
        } finally {
            b.close();
        }
    }

    @Test
    void programChangedWhileDetachedIsRestartedAfterReattach() throws Exception {
        DaemonHandOver h = handedOver(seq("edited", "5"), Duration.ofSeconds(15), 50);
        Corral b = TestSupport.open();
        try {
            DaemonSupervisor sb = new DaemonSupervisor(b.engine(), "new version");
            DaemonSpec edited = seq("edited", "7");
            SupervisedDaemon d2 = sb.adopt(edited, "new version", DependencyGate.NONE, h);
            d2.adopt(h);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (d2.restarts() < 1 && System.nanoTime() < deadline) {
                d2.await(Set.of(DaemonState.READY), WAIT);
                Thread.sleep(20);
            }
            assertEquals(DaemonState.READY, d2.await(Set.of(DaemonState.READY), WAIT));
            assertEquals(1, d2.restarts(), "the changed program is restarted once");
            assertNotEquals(h.program().pid(), d2.pid().getAsLong());
            assertFalse(alive(h.program().pid()), "the old program was stopped");
            sb.close();
            HelperEngine.deleteHandOverDir(h.program().socket().getParent());
        } finally {
            b.close();
        }
    }

    @Test
    void stoppedDaemonStaysStoppedAndKeepsItsCounters() throws Exception {
        Corral a = TestSupport.open();
        DaemonHandOver h;
        try {
            DaemonSupervisor sa = new DaemonSupervisor(a.engine(), "old version");
            SupervisedDaemon d = sa.create(seq("parked", "5"), "old version", DependencyGate.NONE);
            d.start();
            d.await(Set.of(DaemonState.READY), WAIT);
            d.restart();
            d.await(Set.of(DaemonState.READY), WAIT);
            while (d.recentLines(10).isEmpty()) { // its first line, so that the byte counter has something to keep
                Thread.sleep(5);
            }
            d.stop();
            h = sa.handOver(d, Duration.ofSeconds(5)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            sa.close();
        } finally {
            a.close();
        }
        assertNull(h.program());
        assertEquals(DaemonState.STOPPED, h.state());
        Path file = tmp.resolve(HandOverFile.NAME);
        HandOverFile.write(file, HandOverStore.thisJvm(), List.of(h));
        DaemonHandOver read = HandOverFile.read(file).orElseThrow().daemons().get(0);
        Corral b = TestSupport.open();
        try {
            DaemonSupervisor sb = new DaemonSupervisor(b.engine(), "new version");
            SupervisedDaemon d2 = sb.adopt(seq("parked", "5"), "new version", DependencyGate.NONE, read);
            d2.adopt(read);
            assertEquals(DaemonState.STOPPED, d2.state());
            assertEquals(1, d2.restarts());
            assertTrue(d2.lastExit().isPresent() && d2.lastExit().get().requested());
            assertTrue(d2.stdoutBytes() > 0);
            sb.close();
        } finally {
            b.close();
        }
    }

    @Test
    void daemonInACgroupKeepsItAndItsFinalStatisticsAcrossAHandOver() throws Exception {
        org.corral.cgroup.CgroupManager m = org.corral.cgroup.CgroupManager.open();
        String base = "corral-svtest-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Path baseDir = m.resolve(base);
        try {
            DaemonSpec spec = DaemonSpec.builder("caged", CommandSpec.builder(prog("print_seq"), "5")
                    .grace(Duration.ofMillis(300)).cgroupBase(base).build()).build();
            Corral a = TestSupport.open();
            DaemonHandOver h;
            String cgroup;
            try {
                DaemonSupervisor sa = new DaemonSupervisor(a.engine(), "old version");
                SupervisedDaemon d = sa.create(spec, "old version", DependencyGate.NONE);
                d.start();
                d.await(Set.of(DaemonState.READY), WAIT);
                cgroup = d.cgroupPath().orElseThrow();
                h = sa.handOver(d, Duration.ofSeconds(15)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                sa.close();
            } finally {
                a.close();
            }
            assertFalse(h.program().cgroup().isEmpty(), "the cgroup placement travels with the program");
            Path file = tmp.resolve(HandOverFile.NAME);
            HandOverFile.write(file, HandOverStore.thisJvm(), List.of(h));
            DaemonHandOver read = HandOverFile.read(file).orElseThrow().daemons().get(0);
            assertEquals(h.program().cgroup(), read.program().cgroup());
            Corral b = TestSupport.open();
            try {
                DaemonSupervisor sb = new DaemonSupervisor(b.engine(), "new version");
                SupervisedDaemon d2 = sb.adopt(spec, "new version", DependencyGate.NONE, read);
                d2.adopt(read);
                d2.await(Set.of(DaemonState.READY), WAIT);
                assertEquals(cgroup, d2.cgroupPath().orElseThrow(), "same cgroup");
                assertTrue(d2.stats().isPresent(), "statistics of the cgroup are read by the new version");
                assertEquals(Long.toString(h.program().pid()), d2.cgget("cgroup.procs").trim(),
                        "the program is still in its cgroup");
                sb.close();
                assertEquals(List.of(), listChildren(baseDir), "the daemon's cgroups are removed when it stops");
                HelperEngine.deleteHandOverDir(h.program().socket().getParent());
            } finally {
                b.close();
            }
        } finally {
            if (Files.isDirectory(baseDir)) {
                m.remove(List.of(baseDir));
            }
            m.close();
        }
    }

    private static List<String> listChildren(Path dir) throws java.io.IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(x -> x.getFileName().toString()).sorted()
                    .collect(java.util.stream.Collectors.toList());
        }
    }

    @Test
    void brokenHandOverFileNamesTheBadEntry() throws Exception {
        Path file = tmp.resolve(HandOverFile.NAME);
        Files.writeString(file, "format=1\njvm=1 2\nwritten=2026-01-01T00:00:00Z\ndaemon.count=1\ndaemon.0.name=x\n"
                + "daemon.0.state=RUNNING\ndaemon.0.restarts=zero\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        HandOverFile.Contents c = HandOverFile.read(file).orElseThrow();
        assertTrue(c.daemons().isEmpty());
        assertEquals(1, c.errors().size());
        assertTrue(c.errors().get(0).contains("daemon.0.restarts = 'zero' is not a number"), c.errors().get(0));
    }
}
