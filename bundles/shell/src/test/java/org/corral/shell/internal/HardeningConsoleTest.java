package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.karaf.shell.support.CommandException;
import org.corral.api.Capability;
import org.corral.api.CommandSpec;
import org.corral.api.ResourceLimit;
import org.corral.api.Rlimit;
import org.corral.supervisor.internal.config.DaemonConfigParser;
import org.junit.jupiter.api.Test;

/** The hardening options of corral:create and corral:run: the keys they write, the spec they build, refusals. */
class HardeningConsoleTest {

    private static CreateCommand create() {
        return CommandOptionsTest.create();
    }

    private static void hardening(ProgramOptions o) {
        o.user = "nobody";
        o.noNewPrivileges = true;
        o.capabilities = "CAP_NET_BIND_SERVICE, CAP_CHOWN";
        o.rlimits = List.of("nofile=1024:4096", "CORE=0", "memlock=64M:unlimited");
        o.nice = -5;
        o.oomScoreAdj = 500;
        o.umask = "027";
    }

    @Test
    void createWritesTheKeys() throws Exception {
        CreateCommand c = create();
        hardening(c);
        Map<String, String> p = c.properties(List.of("/usr/bin/sleep", "100"));
        assertEquals("true", p.get("no.new.privileges"));
        assertEquals("CAP_NET_BIND_SERVICE, CAP_CHOWN", p.get("capabilities"));
        assertEquals("1024:4096", p.get("rlimit.nofile"));
        assertEquals("0", p.get("rlimit.core"));
        assertEquals("64M:unlimited", p.get("rlimit.memlock"));
        assertEquals("-5", p.get("nice"));
        assertEquals("500", p.get("oom.score.adj"));
        assertEquals("027", p.get("umask"));
        c.check(p); // valid as a .cfg file
    }

    @Test
    void runBuildsTheSameSpecAsTheFile() throws Exception {
        RunCommand r = new RunCommand();
        hardening(r);
        CommandSpec spec = r.spec(List.of("/usr/bin/sleep", "100"), new ChunkQueue(1));
        CreateCommand c = create();
        hardening(c);
        Map<String, Object> cfg = new java.util.HashMap<>(c.properties(List.of("/usr/bin/sleep", "100")));
        cfg.put("service.pid", "org.corral.daemon~web");
        DaemonConfigParser.Result file = DaemonConfigParser.parse(cfg);
        assertTrue(file.ok(), file::errorLine);
        CommandSpec fromFile = file.spec().orElseThrow().command();
        assertTrue(spec.noNewPrivileges());
        assertEquals(Set.of(Capability.NET_BIND_SERVICE, Capability.CHOWN), spec.capabilities().orElseThrow());
        assertEquals(Map.of(Rlimit.NOFILE, ResourceLimit.of(1024, 4096), Rlimit.CORE, ResourceLimit.of(0),
                Rlimit.MEMLOCK, ResourceLimit.of(64 << 20, Rlimit.UNLIMITED)), spec.rlimits());
        assertEquals(-5, spec.nice().getAsInt());
        assertEquals(500, spec.oomScoreAdj().getAsInt());
        assertEquals(0027, spec.umask().getAsInt());
        assertEquals(fromFile.noNewPrivileges(), spec.noNewPrivileges());
        assertEquals(fromFile.capabilities(), spec.capabilities());
        assertEquals(fromFile.rlimits(), spec.rlimits());
        assertEquals(fromFile.nice(), spec.nice());
        assertEquals(fromFile.oomScoreAdj(), spec.oomScoreAdj());
        assertEquals(fromFile.umask(), spec.umask());
        assertFalse(new RunCommand().spec(List.of("true"), new ChunkQueue(1)).usesHardening(), "none by default");
    }

    private static String createRefusal(java.util.function.Consumer<CreateCommand> setup) {
        CreateCommand c = create();
        setup.accept(c);
        return assertThrows(CommandException.class, () -> c.check(c.properties(List.of("/bin/true")))).getNiceHelp();
    }

    private static String runRefusal(java.util.function.Consumer<RunCommand> setup) {
        RunCommand r = new RunCommand();
        setup.accept(r);
        return assertThrows(CommandException.class, () -> r.spec(List.of("/bin/true"), new ChunkQueue(1))).getNiceHelp();
    }

    @Test
    void createRefusesInTheParsersWordsNamingTheOption() {
        assertEquals("corral: --nice: nice = '25': must be between -20 and 19", createRefusal(c -> c.nice = 25));
        assertEquals("corral: --oom-score-adj: oom.score.adj = '-2000': must be between -1000 and 1000",
                createRefusal(c -> c.oomScoreAdj = -2000));
        assertEquals("corral: --umask: umask = '0o27': umask must be octal digits, 0000 to 0777 (e.g. 0027 or 077)",
                createRefusal(c -> c.umask = "0o27"));
        assertEquals("corral: --capabilities: capabilities = 'CAP_NET_BIND': unknown capability 'CAP_NET_BIND'"
                + " (expected e.g. CAP_NET_BIND_SERVICE)", createRefusal(c -> c.capabilities = "CAP_NET_BIND"));
        assertEquals("corral: --rlimit: rlimit.nofile = '10:5': the soft limit 10 is above the hard limit 5",
                createRefusal(c -> c.rlimits = List.of("nofile=10:5")));
        assertEquals("corral: --rlimit: rlimit.nofiles: unknown key, ignored (did you mean rlimit.nofile?) (refused"
                + " here)", createRefusal(c -> c.rlimits = List.of("nofiles=10")));
        assertEquals("corral: --rlimit: 'nofile' is not a resource limit (expected NAME=value)",
                createRefusal(c -> c.rlimits = List.of("nofile")));
    }

    @Test
    void runRefusesNamingTheOption() {
        assertEquals("corral: --nice: nice must be between -20 and 19, got 25", runRefusal(r -> r.nice = 25));
        assertEquals("corral: --oom-score-adj: oomScoreAdj must be between -1000 and 1000, got -2000",
                runRefusal(r -> r.oomScoreAdj = -2000));
        assertEquals("corral: --umask: umask must be octal digits, 0000 to 0777 (e.g. 0027 or 077)",
                runRefusal(r -> r.umask = "0o27"));
        assertEquals("corral: --capabilities: unknown capability 'CAP_SYS_ADMN' (did you mean CAP_SYS_ADMIN?)",
                runRefusal(r -> r.capabilities = "CAP_SYS_ADMN"));
        assertEquals("corral: --rlimit: the soft limit 10 is above the hard limit 5",
                runRefusal(r -> r.rlimits = List.of("nofile=10:5")));
        assertTrue(runRefusal(r -> r.rlimits = List.of("nofiles=10"))
                .startsWith("corral: --rlimit: unknown resource limit 'nofiles' (did you mean nofile?)"));
    }

    /** The console and a .cfg file accept and refuse the same values of each hardening key. */
    @Test
    void runCreateAndCfgFilesAgree() throws Exception {
        String[][] cases = {
            {"nice", "-20", "19", "0", "20", "-21"},
            {"oom.score.adj", "-1000", "1000", "1001"},
            {"umask", "0", "027", "0777", "1000", "8", "abc"},
            {"capabilities", "none", "CAP_KILL", "cap_kill, net_raw", "CAP_NOPE", "none CAP_KILL"},
            {"rlimit.nofile", "1024", "1:2", "unlimited", "2:1", "x", "1:2:3"},
            {"rlimit.cpu", "60", "1h", "1500ms"},
            {"rlimit.stack", "8M", "8M:unlimited", "8X"},
            {"no.new.privileges", "true"},
        };
        List<String> checked = new ArrayList<>();
        for (String[] c : cases) {
            String key = c[0];
            for (int i = 1; i < c.length; i++) {
                String value = c[i];
                Map<String, Object> cfg = new java.util.HashMap<>();
                cfg.put("service.pid", "org.corral.daemon~web");
                cfg.put("command", "/bin/true");
                cfg.put(key, value);
                boolean fileOk = DaemonConfigParser.parse(cfg).ok();
                boolean createOk = accepts(() -> {
                    CreateCommand cc = create();
                    set(cc, key, value);
                    cc.check(cc.properties(List.of("/bin/true")));
                });
                boolean runOk = accepts(() -> {
                    RunCommand rc = new RunCommand();
                    set(rc, key, value);
                    rc.spec(List.of("/bin/true"), new ChunkQueue(1));
                });
                assertEquals(fileOk, createOk, "create vs file: " + key + " = " + value);
                assertEquals(fileOk, runOk, "run vs file: " + key + " = " + value);
                checked.add(key + "=" + value + (fileOk ? "" : " refused"));
            }
        }
        assertTrue(checked.contains("nice=20 refused") && checked.contains("umask=027"), checked.toString());
    }

    private interface Step {
        void run() throws Exception;
    }

    private static boolean accepts(Step s) throws Exception {
        try {
            s.run();
            return true;
        } catch (CommandException e) {
            return false;
        }
    }

    /** Sets the option of key as the console would have it (typed options converted by Karaf). */
    private static void set(ProgramOptions o, String key, String value) {
        switch (key) {
            case "nice": o.nice = Integer.valueOf(value); break;
            case "oom.score.adj": o.oomScoreAdj = Integer.valueOf(value); break;
            case "umask": o.umask = value; break;
            case "capabilities": o.capabilities = value; break;
            case "no.new.privileges": o.noNewPrivileges = Boolean.valueOf(value); break;
            default: o.rlimits = List.of(key.substring("rlimit.".length()) + "=" + value); break;
        }
    }

    /** Karaf's own parser and the late options read --nice -5 the same way (a negative number is a value). */
    @Test
    void negativeNumbersAreValues() throws Exception {
        for (List<Object> words : List.<List<Object>>of(
                List.of("--nice", "-5", "--oom-score-adj", "-100", "--rlimit", "nofile=8:16", "--no-new-privileges",
                        "web", "--", "/bin/true"),
                List.of("web", "--nice", "-5", "--oom-score-adj", "-100", "--rlimit", "nofile=8:16",
                        "--no-new-privileges", "--", "/bin/true"))) {
            CreateCommand c = create();
            c.name = null;
            assertTrue(new org.apache.karaf.shell.impl.action.command.DefaultActionPreparator().prepare(c, null,
                    new ArrayList<>(words)));
            Commands.Split split = Commands.split(c.words);
            Commands.applyLateOptions(c, split.before());
            Map<String, String> p = c.properties(split.after());
            assertEquals("-5", p.get("nice"), words.toString());
            assertEquals("-100", p.get("oom.score.adj"), words.toString());
            assertEquals("8:16", p.get("rlimit.nofile"), words.toString());
            assertEquals("true", p.get("no.new.privileges"), words.toString());
        }
    }

    @Test
    void statusShowsTheHardeningInTheKeysWords() {
        CommandSpec c = CommandSpec.builder("x").noNewPrivileges(true).capabilities(Capability.NET_BIND_SERVICE)
                .rlimit(Rlimit.NOFILE, 1024, 4096).rlimit(Rlimit.CORE, 0, 0).nice(-5).oomScoreAdj(500).umask(027)
                .build();
        assertEquals("no.new.privileges, capabilities CAP_NET_BIND_SERVICE, rlimit.core 0, rlimit.nofile 1024:4096,"
                + " nice -5, oom.score.adj 500, umask 0027", StatusCommand.hardening(c));
        assertEquals("capabilities none", StatusCommand.hardening(CommandSpec.builder("x").capabilities().build()));
    }
}
