package org.corral.supervisor.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.DefaultBase;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.SweepChildMain;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The start-up sweep with real owner JVMs: an owner JVM and its helpers killed together leave strays in their
 * cgroups, which the next owner on the same base ends and removes; a live owner's cgroups are never touched.
 * Each test uses a base of its own ({@code corral-swtest-<uuid>}) as the owners' default base.
 */
@ExtendWith(NoLeftovers.class)
class StartupSweepTest {

    CgroupManager m;
    String base;
    Path baseDir;
    Path parent;
    final List<Process> children = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        m = CgroupManager.open();
        base = "corral-swtest-" + UUID.randomUUID().toString().substring(0, 8);
        baseDir = m.resolve(base);
        parent = Files.createTempDirectory(TestSupport.runtimeParent(), "sweep-");
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (Process c : children) {
                c.descendants().forEach(ProcessHandle::destroyForcibly);
                c.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            if (Files.isDirectory(baseDir)) {
                for (long pid : m.pids(baseDir)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
                m.awaitEmpty(baseDir, Duration.ofSeconds(10));
                m.remove(List.of(baseDir));
            }
        } finally {
            m.close();
            if (Files.exists(parent)) {
                try (Stream<Path> s = Files.walk(parent)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** An owner JVM ({@link SweepChildMain}) with {@code base} as its default base; returns the 21 program pids. */
    Process owner(List<Long> pids) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", cp, "-Dcorral.test.tag=" + TestSupport.TAG,
                "-D" + DefaultBase.PROPERTY + "=" + base, SweepChildMain.class.getName(), parent.toString(),
                TestSupport.testprogs().toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(child);
        BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
        boolean ready = false;
        String line;
        // 20 tree nodes + the daemonized grandchild, and the tree's "ready", in any order
        while (!(ready && pids.size() >= 21) && (line = r.readLine()) != null) {
            if (line.equals("ready")) {
                ready = true;
            } else if (!line.isBlank() && line.trim().chars().allMatch(Character::isDigit)) {
                pids.add(Long.parseLong(line.trim()));
            }
        }
        assertTrue(ready && pids.size() == 21, "the owner JVM started its programs: " + pids);
        return child;
    }

    /** The cgroups under the base that {@code owner} created. */
    List<Path> cgroupsOf(Process owner) throws IOException {
        if (!Files.isDirectory(baseDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(baseDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("corral-" + owner.pid() + "-"))
                    .sorted().collect(Collectors.toList());
        }
    }

    static List<Long> alive(List<Long> pids) {
        return pids.stream().filter(TestSupport::alive).collect(Collectors.toList());
    }

    static void signal(String sig, List<Long> pids) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + sig));
        pids.forEach(p -> cmd.add(Long.toString(p)));
        new ProcessBuilder(cmd).start().waitFor();
    }

    Corral newOwner() {
        return Corral.builder().runtimeDirectory(parent).baseEnvironment(TestSupport.taggedEnv()).requireHelper(true)
                .cgroupBase(base).open();
    }

    @Test
    void anOwnerKilledWithItsHelpersLeavesStraysThatTheNextOwnerOnTheBaseEnds() throws Exception {
        List<Long> pids = new ArrayList<>();
        Process owner = owner(pids);
        assertEquals(2, cgroupsOf(owner).size(), "one cgroup per program under the default base");
        List<Long> helpers = TestSupport.withCmdline(parent.toString()).stream()
                .map(s -> Long.parseLong(s.split(" ")[0])).filter(p -> p != owner.pid()).collect(Collectors.toList());
        assertEquals(3, helpers.size(), "the broker and two helpers: " + helpers);

        // stopped first, the owner cannot notice that its helpers died; then all of them die at once
        signal("STOP", List.of(owner.pid()));
        List<Long> all = new ArrayList<>(helpers);
        all.add(owner.pid());
        signal("KILL", all);
        assertTrue(owner.waitFor(10, TimeUnit.SECONDS));
        // the helpers' children got their death signal; the setsid'd and daemonized descendants did not
        Thread.sleep(1000);
        List<Long> strays = alive(pids);
        assertTrue(strays.size() >= 10, "descendants that left the process group outlive owner and helpers: " + strays);
        assertEquals(2, cgroupsOf(owner).size(), "and their cgroups are left behind");

        try (Corral next = newOwner()) {
            assertEquals(List.of(), TestSupport.awaitGone(strays, 10_000), "strays left after the next owner started");
            assertEquals(List.of(), cgroupsOf(owner), "the dead owner's cgroups are removed");
            ProcessResult r = next.run(CommandSpec.of("true"));
            assertTrue(r.cgroupStats().orElseThrow().path().startsWith(base + "/corral-" + ProcessHandle.current().pid()),
                    r.cgroupStats().get().path());
        }
    }

    @Test
    void aLiveOwnersCgroupsAreNotTouchedByAnotherOwnersSweep() throws Exception {
        List<Long> pids = new ArrayList<>();
        Process owner = owner(pids);
        List<Path> theirs = cgroupsOf(owner);
        assertEquals(2, theirs.size());
        try (Corral other = newOwner()) {
            assertEquals(0, other.run(CommandSpec.of("true")).exitCode());
            Thread.sleep(200);
            assertEquals(pids, alive(pids), "the live owner's programs run on");
            assertEquals(theirs, cgroupsOf(owner), "the live owner's cgroups are kept");
        }
        assertTrue(Files.isDirectory(baseDir), "the base stays while the live owner uses it");
        assertEquals(pids, alive(pids));
        // the owner closes: its programs and cgroups go, and the last one out removes the base it created
        owner.getOutputStream().close();
        assertTrue(owner.waitFor(30, TimeUnit.SECONDS), "the owner closed and exited");
        assertEquals(0, owner.exitValue());
        assertEquals(List.of(), TestSupport.awaitGone(pids, 10_000));
        assertFalse(Files.exists(baseDir), "the empty base is removed by the owner that created it");
    }
}
