package org.corral.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import org.corral.itests.support.Await;
import org.corral.itests.support.Cgroups;
import org.corral.itests.support.DaemonLines;
import org.corral.itests.support.HandOverTestBase;
import org.corral.itests.support.ItestPaths;
import org.corral.itests.support.KarafClient;
import org.corral.itests.support.KarafProcess;
import org.corral.itests.support.Procs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hand-over and the end of Karaf, outside Pax Exam on the unpacked distribution ({@code bin/karaf server},
 * commands through {@code bin/client}):
 * <ul>
 * <li>{@code kill -9} of the Karaf JVM while its daemons are detached (the supervisor bundle stopped): the
 * programs and their helpers outlive the JVM, and are gone once the lease is over;</li>
 * <li>Karaf stopped with {@code bin/stop} after a hand-over: the daemons are stopped gracefully (SIGTERM
 * reaches the program), not handed over to nobody: with a lease of 120 s, a detached helper would keep its
 * program alive long after the JVM exited.</li>
 * </ul>
 * {@code kill -9} while attached (nothing survives at once) is {@link KarafStopAndKillIT}.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class HandOverKillIT {

    private static final Duration BOOT = Duration.ofMinutes(3);
    private static final Duration COMMAND = Duration.ofMinutes(2);
    private static final String SUPERVISOR = "org.corral.supervisor";

    private final List<KarafProcess> karafs = new ArrayList<>();
    private final List<Path> progDirs = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        karafs.forEach(KarafProcess::close);
        for (Path dir : progDirs) {
            Procs.killSurvivors(Procs.runningFrom(dir));
        }
        for (KarafProcess k : karafs) {
            Procs.killSurvivors(Procs.runningFrom(k.home()));
        }
    }

    private Path progs(String label) {
        Path dir = ItestPaths.privateTestprogs(label);
        progDirs.add(dir);
        return dir;
    }

    private static Map<String, String> cfg(String name, Path program, String args, String... more) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("command", program.toString());
        if (args != null) {
            p.put("args", args);
        }
        for (int i = 0; i + 1 < more.length; i += 2) {
            p.put(more[i], more[i + 1]);
        }
        return p;
    }

    /** An unpacked distribution with the lease, the daemon log file, a console user and the daemons. */
    private KarafProcess karaf(String label, long leaseMs, List<Map<String, String>> daemons) {
        KarafProcess k = KarafProcess.unpack(label);
        karafs.add(k);
        k.setProperty("etc/system.properties", HandOverTestBase.LEASE_PROPERTY, Long.toString(leaseMs));
        DaemonLines.LOGGING_CONFIG.forEach((key, value) -> k.setProperty("etc/org.ops4j.pax.logging.cfg", key, value));
        KarafClient.addUser(k);
        for (Map<String, String> d : daemons) {
            k.daemonCfg(d.get("name"), d);
        }
        return k;
    }

    private static Map<String, Long> countByProgram(Path progs) {
        return Procs.runningFrom(progs).stream().collect(Collectors.groupingBy(
                p -> Procs.exe(p.pid()).map(e -> e.getFileName().toString()).orElse("?"), Collectors.counting()));
    }

    private static void awaitUp(KarafProcess k, Path progs, Map<String, Long> expected) {
        Await.until("Karaf to boot and the daemons to run " + expected, BOOT,
                () -> k.process().isAlive() && countByProgram(progs).equals(expected),
                () -> (k.process().isAlive() ? "" : "Karaf exited with " + k.process().exitValue() + "\n")
                        + "running: " + countByProgram(progs) + "\n" + Procs.describe(Procs.runningFrom(progs))
                        + k.logExcerpt());
    }

    /** The test programs and descendants, everything run from the Karaf home (helpers), the JVM's descendants. */
    private static List<ProcessHandle> everything(KarafProcess k, Path progs) {
        Set<ProcessHandle> all = new LinkedHashSet<>(Procs.runningFrom(progs));
        all.addAll(Procs.runningFrom(k.home()));
        if (k.process().isAlive()) {
            k.process().descendants().filter(ProcessHandle::isAlive).forEach(all::add);
        }
        return new ArrayList<>(all);
    }

    private static Properties load(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return p;
    }

    private static long ms(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1_000_000;
    }

    @Test
    void karafKilledWhileItsDaemonsAreDetachedLeavesThemUntilTheLeaseIsOver() {
        long lease = 8_000;
        long grace = 1_000;
        Path progs = progs("HandOverKillIT-kill9");
        KarafProcess k = karaf("handover-kill9", lease, List.of(
                cfg("seq", progs.resolve("print_seq"), "20"),
                cfg("tree", progs.resolve("fork_tree"), "7"),
                cfg("stubborn", progs.resolve("ignore_sigterm"), null, "kill.grace", grace + "ms")));
        k.start();
        awaitUp(k, progs, Map.of("print_seq", 1L, "fork_tree", 7L, "ignore_sigterm", 1L));
        List<ProcessHandle> programs = Procs.runningFrom(progs);
        long supervisor = KarafClient.bundleId(k, SUPERVISOR);
        List<ProcessHandle> before = everything(k, progs);

        // detach: the supervisor bundle stops while the framework runs
        KarafClient.execute(k, "bundle:stop " + supervisor, COMMAND);
        long detached = System.nanoTime();
        Path handOverFile = KarafClient.dataArea(k, supervisor).resolve(HandOverTestBase.HANDOVER_FILE);
        Await.until(handOverFile + " written by the stopped supervisor", Await.SECONDS,
                () -> Files.exists(handOverFile), k::logExcerpt);
        Properties handOver = load(handOverFile);
        assertTrue(HandOverTestBase.handOverNames(handOver).containsAll(List.of("seq", "tree", "stubborn")),
                "the three daemons in " + handOverFile + ": " + handOver);
        List<Long> helperPids = HandOverTestBase.handOverNames(handOver).stream()
                .map(n -> Long.valueOf(HandOverTestBase.handOverEntry(handOver, n).get("helper.pid")))
                .collect(Collectors.toList());
        List<ProcessHandle> helpers = Procs.handles(helperPids);
        assertEquals(helperPids.size(), helpers.size(), "every helper in " + handOverFile + " is alive: " + helperPids);

        long jvm = k.process().pid();
        assertFalse(Cgroups.ofJvm(jvm).isEmpty(), "the detached daemons run in cgroups of the JVM " + jvm);
        k.kill9(Duration.ofSeconds(30));
        long killed = System.nanoTime();
        List<ProcessHandle> goneRightAfter = new ArrayList<>(programs);
        goneRightAfter.addAll(helpers);
        goneRightAfter.removeIf(ProcessHandle::isAlive);
        long checked = System.nanoTime();
        assertEquals(List.of(), goneRightAfter, "detached programs and helpers outlive the killed JVM (checked "
                + ms(detached, checked) + " ms after the detach, lease " + lease + " ms):\n"
                + Procs.describe(goneRightAfter) + k.logExcerpt());

        Set<ProcessHandle> all = new LinkedHashSet<>(before);
        all.addAll(helpers);
        Duration bound = Duration.ofMillis(lease + grace).plus(Await.SECONDS);
        List<ProcessHandle> survivors = Procs.awaitGone(all, bound);
        long gone = System.nanoTime();
        System.out.printf(Locale.ROOT, "HandOverKillIT: kill -9 of Karaf %d ms after the detach; %d programs and %d"
                + " helpers alive right after the kill; all %d processes gone %d ms after the kill, %d ms after the"
                + " detach (lease %d ms, longest kill grace %d ms)%n", ms(detached, killed), programs.size(),
                helpers.size(), all.size(), ms(killed, gone), ms(detached, gone), lease, grace);
        assertEquals(List.of(), survivors, "survivors " + bound.toSeconds() + " s after the lease began:\n"
                + Procs.describe(survivors) + k.logExcerpt());
        assertEquals(List.of(), everything(k, progs), "nothing runs from the test programs or the Karaf home");

        // the helpers unlinked their sockets when the lease ended; the directory the killed JVM made for them is
        // left to the next start of Corral (which sweeps directories of dead JVMs): the test removes it itself
        Set<Path> socketDirs = HandOverTestBase.handOverNames(handOver).stream()
                .map(n -> Paths.get(HandOverTestBase.handOverEntry(handOver, n).get("socket")))
                .peek(s -> assertFalse(Files.exists(s), "socket " + s + " left after the lease"))
                .map(Path::getParent).collect(Collectors.toSet());
        for (Path dir : socketDirs) {
            removeTree(dir);
        }
        // the helpers removed the programs' cgroups at the end of the lease; any left are the next start's to sweep; the supervisor
        // was stopped before the kill, so Karaf starts again without it: start it
        k.restartAndCheckTheSweep(jvm, BOOT, COMMAND,
                started -> KarafClient.execute(started, "bundle:start " + supervisor, COMMAND));
    }

    private static void removeTree(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            List<Path> paths = walk.sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList());
            System.out.println("HandOverKillIT: removing " + dir + " left by the killed JVM: " + paths);
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.out.println("HandOverKillIT: cannot remove " + dir + ": " + e);
        }
    }

    @Test
    void karafStoppedAfterAHandOverStopsItsDaemonsGracefully() throws IOException {
        long lease = 120_000;
        Path progs = progs("HandOverKillIT-stop");
        // a shell (a private copy, so that /proc/<pid>/exe attributes it) that notes the SIGTERM it gets
        Path sh = progs.resolve("sh");
        Files.copy(Paths.get("/bin/sh").toRealPath(), sh, StandardCopyOption.COPY_ATTRIBUTES);
        Path marker = progs.resolve("term-marker");
        Path script = progs.resolve("term_trap.sh");
        Files.writeString(script, "trap 'echo TERM >> " + marker + "; exit 0' TERM\n"
                + progs.resolve("print_seq") + " 50 &\nwait\n", StandardCharsets.UTF_8);
        KarafProcess k = karaf("handover-stop", lease, List.of(
                cfg("term", sh, script.toString(), "kill.grace", "20s"),
                cfg("seq", progs.resolve("print_seq"), "20"),
                cfg("tree", progs.resolve("fork_tree"), "4")));
        k.start();
        awaitUp(k, progs, Map.of("sh", 1L, "print_seq", 2L, "fork_tree", 4L));
        List<ProcessHandle> programs = Procs.runningFrom(progs);
        long supervisor = KarafClient.bundleId(k, SUPERVISOR);
        DaemonLines lines = new DaemonLines(k.home().resolve("data").resolve(DaemonLines.FILE))
                .track("term", "seq", "tree");

        // one hand-over first: the daemons now belong to the supervisor's second activation
        long t0 = System.nanoTime();
        KarafClient.execute(k, "bundle:update " + supervisor, COMMAND);
        lines.await("every daemon re-attached after bundle:update", COMMAND, () -> List.of("term", "seq", "tree")
                .stream().allMatch(n -> lines.daemon(n).countOther("re-attached") >= 1));
        long reattached = System.nanoTime();
        assertEquals(programs.stream().map(ProcessHandle::pid).collect(Collectors.toSet()),
                Procs.runningFrom(progs).stream().map(ProcessHandle::pid).collect(Collectors.toSet()),
                "the same programs run after the hand-over");
        assertTrue(programs.stream().allMatch(ProcessHandle::isAlive), "the programs of before the hand-over run");
        Path handOverFile = KarafClient.dataArea(k, supervisor).resolve(HandOverTestBase.HANDOVER_FILE);
        Await.until("the successor to remove " + handOverFile, Await.SECONDS, () -> !Files.exists(handOverFile));
        long seqBefore = lines.daemon("seq").last();
        lines.await("seq's output logged again", Await.SECONDS, () -> lines.daemon("seq").last() > seqBefore + 3);

        List<ProcessHandle> before = everything(k, progs);
        long stopping = System.nanoTime();
        k.stop(COMMAND);
        long exited = System.nanoTime();
        List<ProcessHandle> survivors = Procs.awaitGone(before, Await.SECONDS);
        long gone = System.nanoTime();
        System.out.printf(Locale.ROOT, "HandOverKillIT: bundle:update -> re-attached %d ms; bin/stop -> JVM exit %d ms;"
                + " %d processes gone %d ms after the exit (lease %d ms)%n", ms(t0, reattached), ms(stopping, exited),
                before.size(), ms(exited, gone), lease);
        assertEquals(List.of(), survivors, "survivors of bin/stop after a hand-over (a helper handed over to nobody"
                + " would keep its program for the " + lease + " ms lease):\n" + Procs.describe(survivors)
                + k.logExcerpt());
        assertTrue(Files.exists(marker), "the shell daemon got SIGTERM (its trap writes " + marker + ")"
                + k.logExcerpt());
        assertEquals("TERM", Files.readString(marker).trim(), "one SIGTERM noted in " + marker);
        assertFalse(Files.exists(handOverFile), "a shutdown hands nothing over: " + handOverFile + " exists");
        lines.poll();
        assertEquals(List.of(), lines.daemon("seq").problems(), "seq's lines: " + lines.daemon("seq").summary());
        assertEquals(List.of(), everything(k, progs), "nothing runs from the test programs or the Karaf home");
    }
}
