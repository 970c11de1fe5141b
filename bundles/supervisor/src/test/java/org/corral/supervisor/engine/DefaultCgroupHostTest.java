package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import org.corral.api.CgroupException;
import org.corral.api.CgroupLimits;
import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ProcessResult;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.DefaultBase;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * cgroups by default, on the host's cgroup2 mount (hybrid here: containment, no limits): with no setting every
 * program runs in a cgroup of its own; the base can be named or turned off; a program can opt out; an empty
 * CgroupLimits asks for no cgroup; containment() says where programs go.
 */
@ExtendWith(NoLeftovers.class)
class DefaultCgroupHostTest {

    static CgroupManager m;
    static String top;

    @BeforeAll
    static void open() {
        m = CgroupManager.open();
        top = "corral-dftest-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterAll
    static void close() {
        m.close();
    }

    static Corral.Builder builder() {
        return Corral.builder().runtimeDirectory(TestSupport.runtimeParent()).baseEnvironment(TestSupport.taggedEnv())
                .requireHelper(true);
    }

    static String ownPrefix(String base) {
        return base + "/corral-" + ProcessHandle.current().pid() + "-";
    }

    @Test
    void withNoSettingEveryProgramGetsACgroupUnderTheAutomaticBase() throws Exception {
        assumeTrue(m.ownCgroup().orElse("?").isEmpty(), "this check is for JVMs in the root cgroup (these hosts)");
        try (Corral corral = builder().open()) {
            Containment c = corral.containment();
            assertEquals(Containment.Mode.HELPER_CGROUP, c.mode());
            assertEquals(Optional.of("corral"), c.defaultCgroupBase());
            assertFalse(c.limitations().stream().anyMatch(l -> l.startsWith("Programs run in no cgroup")), c.toString());
            ProcessResult r = corral.run(CommandSpec.builder(prog("spawn_grandchildren"), "3").build());
            String path = r.cgroupStats().orElseThrow(() -> new AssertionError("no cgroup: " + r)).path();
            assertTrue(path.startsWith(ownPrefix("corral")), path);
            assertFalse(Files.exists(m.resolve(path)), "removed after its statistics were read");
        }
    }

    @Test
    void aNamedBaseTakesProgramsAndDaemonsAndIsRemovedAtCloseWhenCorralCreatedIt() throws Exception {
        String base = top + "/named";
        Corral corral = builder().cgroupBase(base).open();
        try {
            assertEquals(Optional.of(base), corral.containment().defaultCgroupBase());
            ProcessResult r = corral.run(CommandSpec.of("true"));
            assertTrue(r.cgroupStats().orElseThrow().path().startsWith(ownPrefix(base)), r.toString());
            Daemon d = corral.start(DaemonSpec.builder("plain", CommandSpec.builder(prog("sleep_ms"), "600000")
                    .grace(Duration.ofMillis(300)).build()).build());
            awaitState(d, DaemonState.RUNNING, DaemonState.READY);
            String cg = d.cgroupPath().orElseThrow(() -> new AssertionError("a daemon with no cgroup key gets one"));
            assertTrue(cg.startsWith(ownPrefix(base)), cg);
            assertEquals(Long.toString(d.pid().getAsLong()), d.cgget("cgroup.procs").trim());
            assertTrue(Files.isDirectory(m.resolve(base)));
        } finally {
            corral.close();
        }
        assertFalse(Files.exists(m.resolve(base)), "the base Corral created is removed when empty");
        assertFalse(Files.exists(m.resolve(top)), "with the directory above it that Corral created too");
    }

    @Test
    void noneTurnsTheDefaultOffAndContainmentSaysWhy() throws Exception {
        try (Corral corral = builder().cgroupBase("none").open()) {
            Containment c = corral.containment();
            assertEquals(Optional.empty(), c.defaultCgroupBase());
            assertTrue(c.limitations().stream().anyMatch(l -> l.startsWith("Programs run in no cgroup of their own by"
                    + " default: " + DefaultBase.PROPERTY + " = none")), c.limitations().toString());
            assertFalse(corral.run(CommandSpec.of("true")).cgroupStats().isPresent());
            // an empty CgroupLimits is no limits: no cgroup either (before: a cgroup under 'corral')
            assertFalse(corral.run(CommandSpec.builder("true").limits(CgroupLimits.builder().build()).build())
                    .cgroupStats().isPresent());
        }
    }

    @Test
    void theSystemPropertyNamesTheBaseWhenTheBuilderDoesNot() throws Exception {
        String base = top + "/prop";
        String before = System.getProperty(DefaultBase.PROPERTY);
        System.setProperty(DefaultBase.PROPERTY, base);
        try (Corral corral = builder().open()) {
            assertEquals(Optional.of(base), corral.containment().defaultCgroupBase());
            assertTrue(corral.run(CommandSpec.of("true")).cgroupStats().orElseThrow().path().startsWith(ownPrefix(base)));
        } finally {
            if (before == null) {
                System.clearProperty(DefaultBase.PROPERTY);
            } else {
                System.setProperty(DefaultBase.PROPERTY, before);
            }
        }
        assertFalse(Files.exists(m.resolve(top)));
    }

    @Test
    void anInvalidSettingIsRefusedByTheBuilderAndLeavesProgramsWithoutCgroupAsAProperty() throws Exception {
        CgroupException e = assertThrows(CgroupException.class, () -> builder().cgroupBase("/sys/fs/cgroup/x"));
        assertTrue(e.getMessage().contains("'/sys/fs/cgroup/x'"), e.getMessage());
        String before = System.getProperty(DefaultBase.PROPERTY);
        System.setProperty(DefaultBase.PROPERTY, "a/../b");
        try (Corral corral = builder().open()) {
            assertEquals(Optional.empty(), corral.containment().defaultCgroupBase());
            assertTrue(corral.containment().limitations().stream().anyMatch(l -> l.contains("'a/../b' is invalid")),
                    corral.containment().limitations().toString());
        } finally {
            if (before == null) {
                System.clearProperty(DefaultBase.PROPERTY);
            } else {
                System.setProperty(DefaultBase.PROPERTY, before);
            }
        }
    }

    @Test
    void aProgramCanOptOut() throws Exception {
        try (Corral corral = builder().cgroupBase(top + "/opt").open()) {
            assertFalse(corral.run(CommandSpec.builder("true").defaultCgroup(false).build()).cgroupStats().isPresent());
            assertTrue(corral.run(CommandSpec.of("true")).cgroupStats().isPresent());
        }
        assertFalse(Files.exists(m.resolve(top)));
    }

    @Test
    void emptyLimitsNeedNoCgroupSupportAtAll() throws Exception {
        // before the fix: "cgroup options (cgroupBase/cgroupPath/limits) are not supported by this engine"
        try (Corral corral = builder().cgroups(false).open()) {
            assertEquals(Optional.empty(), corral.containment().defaultCgroupBase());
            ProcessResult r = corral.run(CommandSpec.builder("true").limits(CgroupLimits.builder().build()).build());
            assertEquals(0, r.exitCode());
            assertFalse(r.cgroupStats().isPresent());
        }
    }

    static void awaitState(Daemon d, DaemonState... states) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!List.of(states).contains(d.state())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("daemon " + d.name() + " is " + d.state());
            }
            Thread.sleep(10);
        }
    }

    static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }
}
