package org.corral.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.corral.itests.support.Cgroups;
import org.corral.itests.support.Await;
import org.corral.itests.support.DaemonLines;
import org.corral.itests.support.HandOverTestBase;
import org.corral.itests.support.KarafOptions;
import org.corral.itests.support.Procs;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.MethodSorters;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/**
 * Daemons survive updates of Corral's own bundles (issue 6), in the project's distribution: the supervisor
 * bundle is updated 20 times, {@code org.corral.api} is refreshed and the x86_64 fragment is updated and its
 * host refreshed while ten daemons print numbered lines every 5 ms; every program keeps its pid and its helper,
 * no restart is counted, the byte counters go on and the logged numbers of each daemon have no gap and no
 * repetition from the first line to the last. A process of another user cannot attach to a helper while it is
 * detached. Uninstalling the supervisor (no successor) ends every daemon once the lease is over. The methods
 * run in name order: the uninstall, which leaves this Karaf without a supervisor, comes last.
 *
 * <p>Karaf stopped normally and {@code kill -9} of Karaf while daemons are detached: {@link HandOverKillIT};
 * {@code kill -9} while attached: {@link KarafStopAndKillIT}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class HandOverIT extends HandOverTestBase {

    /** The lease set in this Karaf (the default, written down so that the uninstall test knows it). */
    private static final long LEASE_MS = 20_000;
    private static final int DAEMONS = 10;
    private static final int UPDATES = 20;
    private static final String INTERVAL_MS = "5";
    /** Hang guard for one hand-over (command issued → every daemon re-attached). */
    private static final Duration HAND_OVER_BOUND = Duration.ofSeconds(60);
    /** The uid of the intruder in {@link #test2AProcessOfAnotherUserCannotAttachToADetachedHelper}. */
    private static final String NOBODY = "65534";

    @Configuration
    public Option[] config() {
        return KarafOptions.corralDistribution(Stream.concat(Arrays.stream(users()),
                Arrays.stream(handOverOptions(LEASE_MS))).toArray(Option[]::new));
    }

    // ---------------------------------------------------------------- the daemons under watch

    /** What must not change across a hand-over: pids and the processes themselves (pid + start time). */
    private final class Fleet {
        final List<String> names;
        final Path progs;
        final Map<String, Long> pids = new LinkedHashMap<>();
        final Map<String, Long> helperPids = new LinkedHashMap<>();
        final List<ProcessHandle> processes = new ArrayList<>();
        final DaemonLines lines;

        Fleet(List<String> names, Path progs, Map<String, DaemonView> running) {
            this.names = names;
            this.progs = progs;
            for (String n : names) {
                DaemonView v = running.get(n);
                assertNotNull("helper pid of " + v, v.helperPid);
                pids.put(n, v.pid);
                helperPids.put(n, v.helperPid);
            }
            processes.addAll(Procs.handles(pids.values()));
            processes.addAll(Procs.handles(helperPids.values()));
            assertEquals("every program and helper is alive: " + running, 2 * names.size(), processes.size());
            lines = daemonLines().track(names.toArray(new String[0]));
        }

        /** The same programs and helpers, nothing else from the test programs, the same pids in the services. */
        void assertUnchanged(String when, Map<String, DaemonView> now) {
            for (String n : names) {
                DaemonView v = now.get(n);
                assertEquals(when + ": program pid of " + n + " (" + v + ")" + excerpt(), pids.get(n), v.pid);
                assertEquals(when + ": helper pid of " + n + " (" + v + ")" + excerpt(), helperPids.get(n),
                        v.helperPid);
                assertEquals(when + ": restarts of " + n, 0, ((Number) call(v, "restarts")).intValue());
            }
            List<ProcessHandle> dead = processes.stream().filter(p -> !p.isAlive()).collect(Collectors.toList());
            assertTrue(when + ": programs or helpers died: " + dead + excerpt(), dead.isEmpty());
            Set<Long> running = Procs.runningFrom(progs).stream().map(ProcessHandle::pid).collect(Collectors.toSet());
            assertEquals(when + ": the processes running the test programs are the original ones",
                    new HashSet<>(pids.values()), running);
        }

        String excerpt() {
            lines.poll();
            return "\n" + lines.describe() + karafLogExcerpt();
        }
    }

    /** {@code n} daemons running print_seq every {@link #INTERVAL_MS} ms, all running, each with a few lines. */
    private Fleet printSeqDaemons(String prefix, int n, String interval, Path progs) {
        List<String> names = IntStream.range(0, n).mapToObj(i -> prefix + i).collect(Collectors.toList());
        for (String name : names) {
            cfg(name, progs.resolve("print_seq").toString(), interval);
        }
        Map<String, DaemonView> running = awaitAll(names, "running", DaemonView::running, Await.SECONDS);
        Fleet f = new Fleet(names, progs, running);
        f.lines.await("the first lines from every daemon", Await.SECONDS,
                () -> names.stream().allMatch(name -> f.lines.daemon(name).last() >= 10));
        return f;
    }

    /**
     * Runs {@code action} (which makes the supervisor go away and come back) and waits until every daemon of
     * the fleet is registered again by the new activation (a service newer than any before), alive, with the
     * same pids, no restart counted, its output logged again and its byte counter carried on. Returns the time
     * from the start of the action to the last re-registration, in ms.
     */
    private long handOver(Fleet f, String label, Runnable action) {
        long before = maxDaemonServiceId();
        long t0 = System.nanoTime();
        action.run();
        long commandMs = (System.nanoTime() - t0) / 1_000_000;
        Map<String, DaemonView> now = awaitAll(f.names, "re-attached after " + label,
                v -> v.serviceId > before && v.running(), HAND_OVER_BOUND);
        long allMs = (System.nanoTime() - t0) / 1_000_000;
        f.assertUnchanged("after " + label, now);

        // the new activation logs the programs' output: lines newer than any logged when it was back
        f.lines.poll();
        Map<String, Long> at = f.names.stream().collect(Collectors.toMap(n -> n, n -> f.lines.daemon(n).last()));
        f.lines.await("output logged again after " + label, Await.SECONDS,
                () -> f.names.stream().allMatch(n -> f.lines.daemon(n).last() > at.get(n) + 20));
        // the byte counter goes on from the old activation's count: it covers every line logged so far
        for (String n : f.names) {
            long logged = f.lines.daemon(n).last();
            long bytes = ((Number) call(now.get(n), "stdoutBytes")).longValue();
            assertTrue(label + ": stdoutBytes of " + n + " = " + bytes + " after " + logged + " lines were logged ("
                    + DaemonLines.printSeqBytes(logged) + " bytes): the counter started again" + f.excerpt(),
                    bytes >= DaemonLines.printSeqBytes(logged));
        }
        System.out.printf(Locale.ROOT, "HandOverIT: %s: command %d ms, all %d daemons re-attached %d ms after it"
                + " was issued%n", label, commandMs, f.names.size(), allMs);
        return allMs;
    }

    /** {@code bundle:refresh} of one bundle, waiting until the framework reports the refresh done. */
    private void refresh(long bundleId) {
        CountDownLatch refreshed = new CountDownLatch(1);
        FrameworkListener listener = e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                refreshed.countDown();
            }
        };
        bundleContext.addFrameworkListener(listener);
        try {
            execute("bundle:refresh " + bundleId);
            if (!refreshed.await(HAND_OVER_BOUND.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("bundle:refresh " + bundleId + " not done after " + HAND_OVER_BOUND.toSeconds()
                        + " s\n" + corralBundles() + karafLogExcerpt());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            bundleContext.removeFrameworkListener(listener);
        }
    }

    private static String stats(List<Long> ms) {
        List<Long> sorted = new ArrayList<>(ms);
        sorted.sort(null);
        return String.format(Locale.ROOT, "min %d ms, median %d ms, max %d ms (%d hand-overs)", sorted.get(0),
                sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), sorted.size());
    }

    /**
     * The probe must not be wired to org.corral.api: a refresh of that bundle would stop and restart the probe
     * itself in the middle of the test.
     */
    private void assertProbeIsNotWiredToTheApi() {
        BundleWiring probe = bundleContext.getBundle().adapt(BundleWiring.class);
        List<String> fromCorral = probe.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE).stream()
                .map(BundleWire::getProvider).map(r -> r.getBundle().getSymbolicName())
                .filter(sn -> sn != null && sn.startsWith("org.corral")).collect(Collectors.toList());
        assertEquals("the test probe imports nothing from Corral's bundles", List.of(), fromCorral);
    }

    // ---------------------------------------------------------------- tests

    @Test
    public void test1DaemonsSurviveTwentyUpdatesARefreshOfTheApiAndAnUpdateOfTheFragment() {
        assertProbeIsNotWiredToTheApi();
        Path progs = progs("HandOverIT-updates");
        Fleet f = printSeqDaemons("ho-", DAEMONS, INTERVAL_MS, progs);
        Bundle supervisor = bundle(SUPERVISOR);
        long supervisorId = supervisor.getBundleId();

        List<Long> updates = new ArrayList<>();
        for (int i = 1; i <= UPDATES; i++) {
            long modified = supervisor.getLastModified();
            updates.add(handOver(f, "bundle:update #" + i + " of " + SUPERVISOR,
                    () -> execute("bundle:update " + supervisorId)));
            assertTrue("bundle:update #" + i + " updated the bundle (last modified " + modified + " -> "
                    + supervisor.getLastModified() + ")", supervisor.getLastModified() > modified);
        }

        Bundle api = bundle("org.corral.api");
        assertProbeIsNotWiredToTheApi();
        long apiRefresh = handOver(f, "bundle:refresh of org.corral.api", () -> refresh(api.getBundleId()));

        Bundle fragment = bundle(FRAGMENT_X86_64);
        long fragmentModified = fragment.getLastModified();
        long fragmentUpdate = handOver(f, "bundle:update of " + FRAGMENT_X86_64 + ", then bundle:refresh of "
                + SUPERVISOR, () -> {
                    execute("bundle:update " + fragment.getBundleId());
                    refresh(supervisorId);
                });
        assertTrue("the fragment was updated (last modified " + fragmentModified + " -> " + fragment.getLastModified()
                + ")", fragment.getLastModified() > fragmentModified);
        assertOnlyTheX86_64FragmentIsAttached();

        // the console agrees: same pids, no restart
        String list = execute("corral:list");
        for (String n : f.names) {
            String status = execute("corral:status " + n);
            assertTrue("corral:status shows pid " + f.pids.get(n) + " (helper " + f.helperPids.get(n) + "):\n" + status,
                    status.contains(f.pids.get(n) + " (helper " + f.helperPids.get(n) + ")"));
            Matcher restarts = Pattern.compile("(?m)^\\s*restarts\\s+(\\d+)").matcher(status);
            assertTrue("corral:status shows the restarts:\n" + status, restarts.find());
            assertEquals("restarts shown by corral:status " + n + ":\n" + status, "0", restarts.group(1));
            String row = list.lines().filter(l -> Arrays.asList(l.trim().split("[\\s|│]+")).contains(n)).findFirst()
                    .orElseThrow(() -> new AssertionError("no row for " + n + " in corral:list:\n" + list));
            assertTrue("corral:list shows pid " + f.pids.get(n) + " for " + n + ":\n" + list,
                    Arrays.asList(row.trim().split("[\\s|│]+")).contains(Long.toString(f.pids.get(n))));
        }

        // every line from 1 to the last one logged, each once
        f.lines.poll();
        int handOvers = UPDATES + 2;
        for (String n : f.names) {
            DaemonLines.Daemon d = f.lines.daemon(n);
            System.out.println("HandOverIT: " + d.summary() + "; 'handed over' lines " + d.countOther("handed over")
                    + ", 're-attached' lines " + d.countOther("re-attached"));
            assertEquals("numbered lines of " + n + " logged without gap or repetition: " + d.summary()
                    + f.excerpt(), List.of(), d.problems());
            assertEquals("the lines 1.." + d.last() + " of " + n + " were each logged once", d.last(), d.count());
            assertTrue(n + " logged 'handed over' at each of the " + handOvers + " hand-overs: " + d.otherLines(),
                    d.countOther("handed over") >= handOvers);
            assertTrue(n + " logged 're-attached' at each of the " + handOvers + " hand-overs: " + d.otherLines(),
                    d.countOther("re-attached") >= handOvers);
        }
        assertFalse("the successor removed " + handOverFile(supervisorId),
                awaitGoneFile(handOverFile(supervisorId)));

        System.out.println("HandOverIT: " + UPDATES + " x bundle:update of " + SUPERVISOR
                + " with " + DAEMONS + " daemons, command issued -> all re-attached: " + stats(updates));
        System.out.println("HandOverIT: bundle:refresh of org.corral.api -> all re-attached: " + apiRefresh + " ms; "
                + "update of " + FRAGMENT_X86_64 + " + refresh of its host -> all re-attached: " + fragmentUpdate
                + " ms");
    }

    /** Waits (bounded) until {@code file} does not exist; returns whether it still exists. */
    private static boolean awaitGoneFile(Path file) {
        try {
            Await.until(file + " to be removed", Await.SECONDS, () -> !Files.exists(file));
            return false;
        } catch (AssertionError e) {
            return Files.exists(file);
        }
    }

    /** The outcome of one run of {@code attach_probe}. */
    private static final class ProbeResult {
        final int exit;
        final String output;

        ProbeResult(int exit, String output) {
            this.exit = exit;
            this.output = output;
        }

        @Override
        public String toString() {
            return "exit " + exit + ", output: " + output.trim().replace('\n', '|');
        }
    }

    /** Runs {@code attach_probe socket secret} (as {@code uid} through setpriv when uid is not null). */
    private static ProbeResult probe(Path progs, String uid, Path socket, String secretHex) {
        return probe(progs, uid, false, socket, secretHex);
    }

    /**
     * {@link #probe}, with {@code searchAll}: the probe keeps CAP_DAC_READ_SEARCH (ambient), so that it passes
     * every directory on the way (the 0700 hand-over directory and its 0700 parent, e.g. /run/corral) without
     * the test opening them up for everyone, and meets the helper's own check of its peer.
     */
    private static ProbeResult probe(Path progs, String uid, boolean searchAll, Path socket, String secretHex) {
        List<String> command = new ArrayList<>();
        if (uid != null) {
            command.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
            if (searchAll) {
                command.addAll(List.of("--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"));
            }
        }
        command.addAll(List.of(progs.resolve("attach_probe").toString(), socket.toString(), secretHex));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(Await.SECONDS.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish within " + Await.SECONDS.toSeconds() + " s");
            }
            return new ProbeResult(p.exitValue(), new String(p.getInputStream().readAllBytes(),
                    StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static long ownUid() {
        try {
            return ((Number) Files.getAttribute(Paths.get("/proc/self"), "unix:uid")).longValue();
        } catch (IOException e) {
            throw new AssertionError("cannot read the uid of /proc/self", e);
        }
    }

    private static int mode(Path p) {
        try {
            return ((Number) Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)).intValue()
                    & 07777;
        } catch (IOException e) {
            throw new AssertionError("cannot stat " + p, e);
        }
    }

    @Test
    public void test2AProcessOfAnotherUserCannotAttachToADetachedHelper() throws IOException {
        assertTrue("setpriv is needed to run the probe as uid " + NOBODY, Stream.of("/usr/bin/setpriv", "/bin/setpriv")
                .anyMatch(s -> Files.isExecutable(Paths.get(s))));
        Path progs = progs("HandOverIT-intruder");
        Fleet f = printSeqDaemons("hi-", 2, "20", progs);
        Bundle supervisor = bundle(SUPERVISOR);
        long supervisorId = supervisor.getBundleId();
        long before = maxDaemonServiceId();
        String target = f.names.get(0);

        try {
            long t0 = System.nanoTime();
            execute("bundle:stop " + supervisorId);
            long stopped = System.nanoTime();
            assertEquals("state after bundle:stop", "RESOLVED", stateName(supervisor.getState()));

            // the state the stopped supervisor left for its successor
            Path file = handOverFile(supervisorId);
            Await.until(file + " written by the stopped supervisor", Await.SECONDS, () -> Files.exists(file),
                    () -> "data area: " + list(supervisorDataArea(supervisorId)) + karafLogExcerpt());
            Properties handOver = load(file);
            assertTrue("both daemons in " + file + ": " + handOver,
                    handOverNames(handOver).containsAll(f.names));
            Map<String, String> entry = handOverEntry(handOver, target);
            assertEquals("program pid in " + file + ": " + entry, f.pids.get(target),
                    Long.valueOf(entry.get("pid")));
            assertEquals("helper pid in " + file + ": " + entry, f.helperPids.get(target),
                    Long.valueOf(entry.get("helper.pid")));
            String secret = entry.get("secret");
            assertTrue("secret of 32 hex digits: " + entry, secret != null && secret.matches("[0-9a-fA-F]{32}"));
            Path socket = Paths.get(entry.get("socket"));
            Path dir = socket.getParent();
            long uid = ownUid();
            assertTrue("the socket " + socket + " lies in a hand-over directory corral-" + uid + "-...h...",
                    dir.getFileName().toString().matches("corral-" + uid + "-([0-9a-f]+-h|h[0-9a-f]+)"));
            assertEquals("mode of the hand-over directory " + dir, "700", Integer.toOctalString(mode(dir)));
            assertEquals("owner of " + dir, uid, ((Number) Files.getAttribute(dir, "unix:uid")).longValue());
            assertTrue(socket + " is a socket", Files.exists(socket) && !Files.isRegularFile(socket)
                    && !Files.isDirectory(socket));
            assertEquals("mode of the socket " + socket, "600", Integer.toOctalString(mode(socket)));
            assertTrue("the programs run on while detached: " + f.processes,
                    f.processes.stream().allMatch(ProcessHandle::isAlive));

            // 1. another user, even one that knows the secret, does not reach the socket (0700 directory)
            ProbeResult closedDir = probe(progs, NOBODY, socket, secret);
            System.out.println("HandOverIT: attach as uid " + NOBODY + " through the 0700 directory: " + closedDir);
            assertTrue("the probe ran as uid " + NOBODY + ": " + closedDir, closedDir.output.contains("uid " + NOBODY));
            assertEquals("uid " + NOBODY + " cannot connect to " + socket + ": " + closedDir, 2, closedDir.exit);

            // 2. with the socket opened up by the test and the directories passed (CAP_DAC_READ_SEARCH), the helper
            //    itself refuses the peer's uid (the parent, /run/corral say, is shared with other JVMs: not opened)
            Set<PosixFilePermission> socketPerms = Files.getPosixFilePermissions(socket);
            ProbeResult wrongUid;
            try {
                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
                wrongUid = probe(progs, NOBODY, true, socket, secret);
            } finally {
                Files.setPosixFilePermissions(socket, socketPerms);
            }
            System.out.println("HandOverIT: attach as uid " + NOBODY + " through the directories: " + wrongUid);
            assertEquals("the helper closes a connection of uid " + NOBODY + " without a byte: " + wrongUid, 3,
                    wrongUid.exit);

            // 3. the JVM's own user with a wrong secret is refused too
            String wrongSecret = (secret.charAt(0) == '0' ? "1" : "0") + secret.substring(1);
            ProbeResult wrongKey = probe(progs, null, socket, wrongSecret);
            System.out.println("HandOverIT: attach as uid " + uid + " with a wrong secret: " + wrongKey);
            assertEquals("the helper closes a connection with a wrong secret without a byte: " + wrongKey, 3,
                    wrongKey.exit);

            assertTrue("the refused attaches left the detached programs and helpers alone: " + f.processes
                    + f.excerpt(), f.processes.stream().allMatch(ProcessHandle::isAlive));
            long probed = System.nanoTime();

            // the successor still attaches: same programs, same helpers
            execute("bundle:start " + supervisorId);
            Map<String, DaemonView> now = awaitAll(f.names, "re-attached after bundle:start",
                    v -> v.serviceId > before && v.running(), HAND_OVER_BOUND);
            long back = System.nanoTime();
            f.assertUnchanged("after bundle:start", now);
            assertFalse("the successor removed " + file, awaitGoneFile(file));
            f.lines.poll();
            long at = f.lines.daemon(target).last();
            f.lines.await("output logged again", Await.SECONDS, () -> f.lines.daemon(target).last() > at + 3);
            for (String n : f.names) {
                assertEquals("lines of " + n + ": " + f.lines.daemon(n).summary(), List.of(),
                        f.lines.daemon(n).problems());
            }
            System.out.printf(Locale.ROOT, "HandOverIT: bundle:stop %d ms; detached %d ms (probes); bundle:start -> "
                    + "both re-attached %d ms%n", (stopped - t0) / 1_000_000, (probed - stopped) / 1_000_000,
                    (back - probed) / 1_000_000);
        } finally {
            if (supervisor.getState() != Bundle.ACTIVE && supervisor.getState() != Bundle.UNINSTALLED) {
                try {
                    supervisor.start();
                } catch (org.osgi.framework.BundleException e) {
                    System.out.println("HandOverIT: cannot start " + SUPERVISOR + " again: " + e);
                }
            }
        }
    }

    private static String list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.joining(", "));
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    @Test
    public void test3UninstallingTheSupervisorEndsEveryDaemonWhenTheLeaseIsOver() {
        Path progs = progs("HandOverIT-uninstall");
        long grace = 2_000;
        List<String> names = List.of("hu-tree", "hu-dfs", "hu-stubborn", "hu-seq");
        cfg("hu-tree", progs.resolve("fork_tree").toString(), "7");
        cfg("hu-dfs", progs.resolve("double_fork_setsid").toString(), "--stay");
        cfg("hu-stubborn", progs.resolve("ignore_sigterm").toString(), null, "kill.grace", grace + "ms");
        cfg("hu-seq", progs.resolve("print_seq").toString(), "20");
        Map<String, DaemonView> running = awaitAll(names, "running", DaemonView::running, Await.SECONDS);
        // fork_tree 7, double_fork_setsid and its grandchild (the middle child exits), ignore_sigterm, print_seq
        Await.until("the 11 processes of the four programs", Await.SECONDS,
                () -> Procs.runningFrom(progs).size() == 11, () -> Procs.describe(Procs.runningFrom(progs)));

        // everything: the programs and their descendants, the helpers, the distribution's example daemon
        Set<ProcessHandle> all = new java.util.LinkedHashSet<>(Procs.runningFrom(progs));
        List<Long> helperPids = new ArrayList<>();
        running.values().forEach(v -> helperPids.add(v.helperPid));
        views("example").stream().filter(DaemonView::running).forEach(v -> {
            helperPids.add(v.helperPid);
            all.addAll(Procs.handles(List.of(v.pid)));
        });
        List<ProcessHandle> helpers = Procs.handles(helperPids);
        assertEquals("a helper per daemon: " + helperPids, helperPids.size(), helpers.size());
        for (ProcessHandle h : helpers) {
            all.add(h);
            h.descendants().forEach(all::add);
        }

        Bundle supervisor = bundle(SUPERVISOR);
        long t0 = System.nanoTime();
        execute("bundle:uninstall " + supervisor.getBundleId());
        long uninstalled = System.nanoTime();
        assertEquals("state of " + SUPERVISOR + " after bundle:uninstall", "UNINSTALLED",
                stateName(supervisor.getState()));
        int aliveAfterUninstall = Procs.alive(all).size();

        Duration bound = Duration.ofMillis(LEASE_MS + grace).plus(Await.SECONDS);
        List<ProcessHandle> survivors = Procs.awaitGone(all, bound);
        long gone = System.nanoTime();
        System.out.printf(Locale.ROOT, "HandOverIT: bundle:uninstall of %s took %d ms; %d of %d processes alive right"
                + " after it (detached); all gone %d ms after the command was issued (lease %d ms, longest kill grace"
                + " %d ms)%n", SUPERVISOR, (uninstalled - t0) / 1_000_000, aliveAfterUninstall, all.size(),
                (gone - t0) / 1_000_000, LEASE_MS, grace);
        List<ProcessHandle> killed = Procs.killSurvivors(survivors);
        assertEquals("survivors of the uninstalled supervisor " + bound.toSeconds() + " s after it (killed now):\n"
                + Procs.describe(killed) + karafLogExcerpt(), List.of(), killed);
        assertEquals("nothing runs the test programs", List.of(), Procs.runningFrom(progs));
        assertEquals("no helper is left", List.of(), Procs.alive(helpers));
        // each helper removed its program's leaf when the lease ended; the program's cgroup above it (where the
        // supervisor would have read the final statistics) stays, empty, for the start-up sweep of the next JVM:
        // this Karaf lives on without a supervisor, so the test removes them
        for (Path cgroup : Cgroups.ofJvm(ProcessHandle.current().pid())) {
            assertEquals("the helper removed the leaf of " + cgroup, List.of(), Cgroups.children(cgroup));
            try {
                Files.delete(cgroup);
                Path base = cgroup.getParent();
                if (Cgroups.children(base).isEmpty()) {
                    Files.deleteIfExists(base); // the default base, unless another JVM uses it meanwhile
                }
            } catch (IOException e) {
                // the base holds another JVM's cgroups: it is theirs to remove
            }
        }
    }
}
