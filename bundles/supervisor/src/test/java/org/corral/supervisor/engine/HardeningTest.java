package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.corral.api.Capability;
import org.corral.api.Daemon;
import org.corral.api.DaemonState;
import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.api.Rlimit;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.config.DaemonConfigParser;
import org.corral.supervisor.internal.engine.CommandResolver;
import org.corral.supervisor.internal.engine.EngineConfig;
import org.corral.supervisor.internal.engine.JavaFallbackEngine;
import org.corral.supervisor.internal.engine.UserDb;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The hardening options, applied by the helper just before exec, read back from the running program:
 * {@code /proc/self/status} (NoNewPrivs, Cap*), {@code ulimit}, {@code umask}, {@code nice},
 * {@code /proc/self/oom_score_adj}, and a bind of port 80 on loopback as nobody. Tests run as root.
 */
@ExtendWith(NoLeftovers.class)
class HardeningTest {

    static Corral corral;

    @BeforeAll
    static void open() {
        assumeTrue(CommandResolver.selfUid() == 0, "hardening tests need root");
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        if (corral != null) {
            corral.close();
        }
    }

    private static String out(CommandSpec.Builder b) throws InterruptedException {
        ProcessResult r = corral.run(b.build());
        assertEquals(0, r.exitCode(), r.stderrText());
        return r.stdoutText();
    }

    /** The "Key:\tvalue" lines of a /proc/PID/status text. */
    private static Map<String, String> status(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                m.put(line.substring(0, c), line.substring(c + 1).trim());
            }
        }
        return m;
    }

    /** Whether this JVM holds a capability in its effective set (the helper, root like it, then does too). */
    private static boolean jvmHas(Capability c) throws Exception {
        String eff = status(String.join("\n", Files.readAllLines(Path.of("/proc/self/status")))).get("CapEff");
        return (Long.parseUnsignedLong(eff, 16) >>> c.number() & 1) != 0;
    }

    private static String hex(Capability... caps) {
        long bits = 0;
        for (Capability c : caps) {
            bits |= 1L << c.number();
        }
        return String.format("%016x", bits);
    }

    @Test
    void noNewPrivilegesIsSetInTheProgram() throws Exception {
        assertEquals("0", status(out(CommandSpec.builder("cat", "/proc/self/status"))).get("NoNewPrivs"),
                "without the option the program can gain privileges");
        assertEquals("1", status(out(CommandSpec.builder("cat", "/proc/self/status").noNewPrivileges(true)))
                .get("NoNewPrivs"));
    }

    @Test
    void umaskAsTheShellReportsIt() throws Exception {
        assertEquals("0027\n", out(CommandSpec.builder("sh", "-c", "umask").umask(0027)));
        assertEquals("0077\n", out(CommandSpec.builder("sh", "-c", "umask").umask(0077)));
        assertEquals("0000\n", out(CommandSpec.builder("sh", "-c", "umask").umask(0)));
    }

    @Test
    void niceAsNiceReportsIt() throws Exception {
        assertEquals("10\n", out(CommandSpec.builder("nice").nice(10)));
        assumeTrue(jvmHas(Capability.SYS_NICE), "a negative nice value needs CAP_SYS_NICE");
        assertEquals("-5\n", out(CommandSpec.builder("nice").nice(-5)));
        assertEquals("-5\n", out(CommandSpec.builder("nice").nice(-5).user("nobody")),
                "set before the uid changes: nobody could not lower it");
    }

    @Test
    void oomScoreAdjFromProc() throws Exception {
        assertEquals("500\n", out(CommandSpec.builder("cat", "/proc/self/oom_score_adj").oomScoreAdj(500)));
        assertEquals("1000\n", out(CommandSpec.builder("cat", "/proc/self/oom_score_adj").oomScoreAdj(1000)
                .user("nobody")));
        CommandSpec lower = CommandSpec.builder("cat", "/proc/self/oom_score_adj").oomScoreAdj(-500).build();
        if (jvmHas(Capability.SYS_RESOURCE)) {
            assertEquals("-500\n", out(lower.toBuilder()));
        } else {
            ProcessException e = assertThrows(ProcessException.class, () -> corral.run(lower));
            assertTrue(e.getMessage().contains("oom.score.adj -500") && e.getMessage().contains("CAP_SYS_RESOURCE")
                    && e.getMessage().contains("(at oom_score_adj"), e.getMessage());
        }
    }

    @Test
    void rlimitsAsUlimitReportsThem() throws Exception {
        // dash: -n files, -p processes, -c core (512-byte blocks), -l memlock, -s stack, -v address space (KiB)
        String script = "for o in n p c l s v; do echo \"$o $(ulimit -S$o) $(ulimit -H$o)\"; done";
        String got = out(CommandSpec.builder("sh", "-c", script).user("nobody")
                .rlimit(Rlimit.NOFILE, 256, 512)
                .rlimit(Rlimit.NPROC, 300, 400)
                .rlimit(Rlimit.CORE, 0, 1 << 20)
                .rlimit(Rlimit.MEMLOCK, 64 << 10, 128 << 10)
                .rlimit(Rlimit.STACK, 4 << 20, 8 << 20)
                .rlimit(Rlimit.AS, 2L << 30, Rlimit.UNLIMITED));
        assertEquals(String.join("\n", "n 256 512", "p 300 400", "c 0 2048", "l 64 128", "s 4096 8192",
                "v 2097152 unlimited", ""), got);
    }

    @Test
    void aHardLimitTheKernelRefusesIsNamed() throws Exception {
        // (Files.readString reads a size-0 sysctl file short: one byte)
        long nrOpen = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/fs/nr_open")).get(0).trim());
        CommandSpec spec = CommandSpec.builder("true").rlimit(Rlimit.NOFILE, 1024, 2 * nrOpen).build();
        ProcessException e = assertThrows(ProcessException.class, () -> corral.run(spec));
        assertTrue(e.getMessage().contains("rlimit.nofile (soft 1024, hard " + 2 * nrOpen + "): Operation not permitted")
                && e.getMessage().contains("nr_open") && e.getMessage().contains("(at rlimit"), e.getMessage());
    }

    @Test
    void nobodyBindsPort80WithNetBindService() throws Exception {
        ProcessResult without = corral.run(CommandSpec.builder(prog("bind_port"), "80").user("nobody").build());
        assertEquals(1, without.exitCode(), without.stdoutText());
        assertEquals("bind 127.0.0.1:80: Permission denied\n", without.stdoutText());

        ProcessResult with = corral.run(CommandSpec.builder(prog("bind_port"), "80").user("nobody")
                .capabilities(Capability.NET_BIND_SERVICE).build());
        if (!with.stdoutText().contains("Address already in use")) { // checked after the permission
            assertEquals(0, with.exitCode(), with.stdoutText());
            assertEquals("bound 127.0.0.1:80\n", with.stdoutText());
        }

        Map<String, String> st = status(out(CommandSpec.builder("cat", "/proc/self/status").user("nobody")
                .capabilities(Capability.NET_BIND_SERVICE)));
        for (String k : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            assertEquals(hex(Capability.NET_BIND_SERVICE), st.get(k), k);
        }
        assertEquals("65534", st.get("Uid").split("\\s+")[0]);
    }

    @Test
    void forRootTheCapabilitiesAreTheBoundingSet() throws Exception {
        Map<String, String> st = status(out(CommandSpec.builder("cat", "/proc/self/status")
                .capabilities(Capability.CHOWN, Capability.KILL)));
        for (String k : List.of("CapPrm", "CapEff", "CapBnd")) {
            assertEquals(hex(Capability.CHOWN, Capability.KILL), st.get(k), k);
        }
        assertEquals(hex(), st.get("CapAmb"));
        st = status(out(CommandSpec.builder("cat", "/proc/self/status").capabilities()));
        assertEquals(hex(), st.get("CapEff"), "an empty set: root without any capability");
        assertEquals(hex(), st.get("CapBnd"));
        ProcessResult r = corral.run(CommandSpec.builder("cat", "/proc/1/environ").capabilities().build());
        assertTrue(r.exitCode() != 0 && r.stderrText().contains("Permission denied"), r.stderrText());
    }

    @Test
    void everythingAtOnceAsNobody() throws Exception {
        String script = "grep -E '^(NoNewPrivs|CapEff|CapAmb)' /proc/self/status; umask; ulimit -n; "
                + "cat /proc/self/oom_score_adj; nice";
        String got = out(CommandSpec.builder("sh", "-c", script).user("nobody").noNewPrivileges(true)
                .capabilities(Capability.NET_BIND_SERVICE).rlimit(Rlimit.NOFILE, 100, 200).nice(7).oomScoreAdj(300)
                .umask(0027));
        String caps = hex(Capability.NET_BIND_SERVICE);
        assertEquals("CapEff:\t" + caps + "\nCapAmb:\t" + caps + "\nNoNewPrivs:\t1\n0027\n100\n300\n7\n", got,
                "the ambient capability survives no_new_privs and the exec of grep, cat and nice");
    }

    /** The .cfg keys end to end: a daemon configured as nobody with CAP_NET_BIND_SERVICE is READY on port 80. */
    @Test
    void aDaemonConfiguredAsNobodyServesPort80() throws Exception {
        Map<String, Object> cfg = new java.util.HashMap<>();
        cfg.put("service.pid", "org.corral.daemon~web80");
        cfg.put("command", prog("bind_port"));
        cfg.put("args", "80 --hold");
        cfg.put("user", "nobody");
        cfg.put("capabilities", "CAP_NET_BIND_SERVICE");
        cfg.put("no.new.privileges", "true");
        cfg.put("rlimit.nofile", "64:128");
        cfg.put("umask", "077");
        cfg.put("ready.port", "80");
        cfg.put("ready.timeout", "20s");
        cfg.put("restart", "temporary");
        DaemonConfigParser.Result parsed = DaemonConfigParser.parse(cfg);
        assertTrue(parsed.ok(), parsed::errorLine);
        Daemon d = corral.start(parsed.spec().orElseThrow());
        try {
            DaemonState state = d.await(java.util.Set.of(DaemonState.READY, DaemonState.FAILED, DaemonState.STOPPED),
                    java.time.Duration.ofSeconds(30));
            assertEquals(DaemonState.READY, state, "recent lines: " + d.recentLines(10));
            long pid = d.pid().getAsLong();
            Map<String, String> st = status(String.join("\n", Files.readAllLines(Path.of("/proc/" + pid + "/status"))));
            assertEquals("65534", st.get("Uid").split("\\s+")[0]);
            assertEquals(hex(Capability.NET_BIND_SERVICE), st.get("CapAmb"));
            assertEquals(hex(Capability.NET_BIND_SERVICE), st.get("CapEff"));
            assertEquals("1", st.get("NoNewPrivs"));
            assertTrue(Files.readAllLines(Path.of("/proc/" + pid + "/limits")).stream()
                    .anyMatch(l -> l.matches("Max open files\\s+64\\s+128\\s+files\\s*")), "limits of " + pid);
        } finally {
            d.stop();
        }
    }

    @Test
    void theJavaFallbackRefusesHardening() {
        EngineConfig cfg = EngineConfig.builder().runtimeParent(TestSupport.runtimeParent())
                .resolver(new CommandResolver(TestSupport.taggedEnv(), UserDb.system(), CommandResolver.selfUid()))
                .build();
        try (JavaFallbackEngine engine = new JavaFallbackEngine(cfg, "test")) {
            InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> engine.validate(
                    CommandSpec.builder("true").nice(5).rlimit(Rlimit.NOFILE, 10, 10).build()));
            assertEquals("rlimit.nofile, nice need the native helper, which is not available on this platform",
                    e.getMessage());
        }
    }
}
