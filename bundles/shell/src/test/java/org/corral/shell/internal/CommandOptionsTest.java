package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.support.CommandException;
import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.api.StderrMode;
import org.corral.supervisor.internal.config.ConfigValidator;
import org.corral.supervisor.internal.config.DaemonConfigParser;
import org.junit.jupiter.api.Test;

/** How corral:create and corral:run turn their options into configuration keys and a CommandSpec. */
class CommandOptionsTest {

    /** The supervisor's validator, without the checks against this system (program, users). */
    static final ConfigValidator CONFIG_ONLY = new ConfigValidator(spec -> { });

    static CreateCommand create() {
        CreateCommand c = new CreateCommand();
        c.name = "web";
        c.validator = CONFIG_ONLY;
        return c;
    }

    @Test
    void createMapsOptionsToConfigurationKeys() throws Exception {
        CreateCommand c = create();
        c.restart = "transient";
        c.restartDelay = "500ms";
        c.restartDelayMax = "30s";
        c.backoff = 2.0;
        c.intensity = 5;
        c.intensityPeriod = "1m";
        c.memoryMax = "64M";
        c.cpuMax = "50%";
        c.pidsMax = "32";
        c.user = "nobody";
        c.directory = "/tmp";
        c.env = List.of("GREETING=hello world");
        c.readyLog = "^ready";
        c.readyTimeout = "10s";
        c.dependsOn = "db, cache";
        c.stdoutLevel = "debug";
        c.stderrLevel = "off";
        c.killSignal = "INT";
        c.killGrace = "1m 30s";
        c.properties = List.of("log.prefix=[x] ");
        c.clearEnv = true;
        Map<String, String> p = c.properties(List.of("/bin/sh", "-c", "echo 'hi'; sleep 1"));
        assertEquals("/bin/sh", p.get("command"));
        assertEquals("-c 'echo '\\''hi'\\''; sleep 1'", p.get("args"));
        assertEquals("transient", p.get("restart"));
        assertEquals("500ms", p.get("restart.delay"));
        assertEquals("30s", p.get("restart.delay.max"));
        assertEquals("2", p.get("restart.backoff"), "a typed 2.0 is written as 2");
        assertEquals("5", p.get("intensity"));
        assertEquals("1m", p.get("intensity.period"));
        assertEquals("64M", p.get("cgroup.memory.max"));
        assertEquals("50%", p.get("cgroup.cpu.max"));
        assertEquals("32", p.get("cgroup.pids.max"));
        assertEquals("nobody", p.get("user"));
        assertEquals("/tmp", p.get("directory"));
        assertEquals("hello world", p.get("env.GREETING"));
        assertEquals("^ready", p.get("ready.log"));
        assertEquals("10s", p.get("ready.timeout"));
        assertEquals("db, cache", p.get("depends.on"));
        assertEquals("debug", p.get("log.stdout"));
        assertEquals("off", p.get("log.stderr"));
        assertEquals("INT", p.get("kill.signal"));
        assertEquals("1m 30s", p.get("kill.grace"));
        assertEquals("[x] ", p.get("log.prefix"));
        assertEquals("true", p.get("env.clear"));
        assertEquals(23, p.size());
        c.check(p); // all valid, as the .cfg parser sees them
        c.backoff = 1.5;
        assertEquals("1.5", c.properties(List.of("x")).get("restart.backoff"));
    }

    /**
     * A whole command line as Karaf's own parser hands it to the command: typed options converted by
     * Karaf before the name, the same options after the name converted by {@link Commands#applyLateOptions}.
     */
    @Test
    void karafsParserAndTheLateOptionsGiveTheSameProperties() throws Exception {
        List<Object> early = List.of("--kill-grace", "1m 30s", "--intensity", "3", "--backoff", "1.5", "-e", "A=1",
                "--ready-port=8080", "web", "--", "/bin/sh", "-c", "echo hi");
        List<Object> late = List.of("web", "--kill-grace", "1m 30s", "--intensity", "3", "--backoff", "1.5", "-e",
                "A=1", "--ready-port=8080", "--", "/bin/sh", "-c", "echo hi");
        Map<String, String> a = parsed(early);
        assertEquals(parsed(late), a);
        assertEquals("1m 30s", a.get("kill.grace"));
        assertEquals("3", a.get("intensity"));
        assertEquals("1.5", a.get("restart.backoff"));
        assertEquals("8080", a.get("ready.port"));
        assertEquals("1", a.get("env.A"));
        assertEquals("-c 'echo hi'", a.get("args"));
        CommandException typed = assertThrows(CommandException.class, () -> parsed(List.of("--intensity", "three",
                "web", "--", "/bin/true")));
        assertTrue(typed.getMessage().contains("--intensity") && typed.getMessage().contains("three"),
                typed.getMessage());
    }

    private static Map<String, String> parsed(List<Object> words) throws Exception {
        CreateCommand c = create();
        c.name = null;
        assertTrue(new org.apache.karaf.shell.impl.action.command.DefaultActionPreparator().prepare(c, null,
                new ArrayList<>(words)));
        Commands.Split split = Commands.split(c.words);
        Commands.applyLateOptions(c, split.before());
        Map<String, String> p = c.properties(split.after());
        c.check(p);
        return p;
    }

    @Test
    void createWithoutArgumentsWritesNoArgsKey() throws Exception {
        Map<String, String> p = create().properties(List.of("/usr/bin/top"));
        assertEquals(Map.of("command", "/usr/bin/top"), p);
    }

    @Test
    void everyOptionOfCreateNamesAKeyTheParserKnows() {
        List<java.lang.reflect.Field> fields = CreateCommand.keyFields();
        assertTrue(fields.size() >= 20, fields.toString());
        for (java.lang.reflect.Field f : fields) {
            String key = f.getAnnotation(CreateCommand.Key.class).value();
            assertTrue(DaemonConfigParser.KEYS.contains(key) || key.startsWith("cgroup."), key);
            assertTrue(f.isAnnotationPresent(org.apache.karaf.shell.api.action.Option.class), f.getName());
        }
    }

    @Test
    void createRefusesBadValuesInTheWordsOfTheCfgParserNamingTheOption() {
        assertRefused(c -> c.memoryMax = "64X",
                "corral: --memory-max: cgroup.memory.max = '64X': cgroup limit memory.max: '64X': not a size");
        assertRefused(c -> c.restart = "sometimes",
                "corral: --restart: restart = 'sometimes': unknown restart policy 'sometimes'");
        assertRefused(c -> c.restartDelay = "5", "corral: --restart-delay: restart.delay = '5': a duration needs a unit");
        assertRefused(c -> c.readyLog = "([", "corral: --ready-log: ready.log = '([': ");
        assertRefused(c -> c.readyPort = 70000, "corral: --ready-port: ready.port = '70000': must be between 1 and 65535");
        assertRefused(c -> c.backoff = 0.5, "corral: --backoff: restart.backoff = '0.5': must be between 1 and 100");
        assertRefused(c -> c.stdoutLevel = "loud", "corral: --stdout-level: log.stdout = 'loud': unknown log level 'loud'");
        assertRefused(c -> c.killSignal = "SIGFOO", "corral: --kill-signal: kill.signal = 'SIGFOO': unknown signal 'SIGFOO'");
        assertRefused(c -> c.directory = "relative/dir",
                "corral: --directory: directory = 'relative/dir': must be an absolute path");
        assertRefused(c -> c.dependsOn = "a,b c", "corral: --depends-on: depends.on = 'a,b c': 'b c' is not a daemon name");
        assertRefused(c -> c.successExitStatus = "0 SIGTREM", "corral: --success-exit-status: success.exit.status ="
                + " '0 SIGTREM': 'SIGTREM' is neither an exit code (0 to 255) nor a signal name (did you mean SIGTERM?)");
        assertRefused(c -> c.restartPreventExitStatus = "300", "corral: --restart-prevent-exit-status:"
                + " restart.prevent.exit.status = '300': exit code 300 is out of range");
        assertRefused(c -> c.startPre = "-/bin/true", "corral: --start-pre: start.pre = '-/bin/true': systemd's prefixes");
        assertRefused(c -> c.startPreTimeout = "5", "corral: --start-pre-timeout: start.pre.timeout = '5': a duration"
                + " needs a unit");
        assertRefused(c -> c.watchdog = "30", "corral: --watchdog: watchdog = '30': a duration needs a unit");
        assertRefused(c -> {
            c.readyNotify = true;
            c.readyLog = "up";
        }, "corral: --ready-notify: ready.notify = 'true': only one readiness check can be set, but ready.log and"
                + " ready.notify are");
        assertRefused(c -> c.cpuMax = "fast", "corral: --cpu-max: cgroup.cpu.max = 'fast': cgroup limit cpu.max: 'fast'");
        assertRefused(c -> c.name = "bad name!", "corral: name = 'bad name!': not a valid daemon name (1-64 letters");
        assertRefused(c -> c.properties = List.of("restart.dealy=1s"),
                "corral: --property: restart.dealy: unknown key, ignored (did you mean restart.delay?) (refused here)");
        assertRefused(c -> c.env = List.of("A\0B=secret-value"), "corral: --env: env.A\\x00B: invalid environment variable name 'A\\x00B': it contains a control character");
    }

    @Test
    void consoleFormsThatTheFileDoesNotHaveAreCheckedByTheConsole() {
        CommandException e = assertThrows(CommandException.class, () -> withEnv("NOEQUALS"));
        assertEquals("corral: --env: 'NOEQUALS' is not an environment variable (expected NAME=value)", e.getNiceHelp());
    }

    private static Map<String, String> withEnv(String word) throws CommandException {
        CreateCommand c = create();
        c.env = List.of(word);
        return c.properties(List.of("x"));
    }

    @Test
    void everyProblemIsReportedInOneLineAndNoEnvValueIsShown() {
        CreateCommand c = create();
        c.restart = "sometimes";
        c.killGrace = "5";
        c.env = List.of("A=B=ok", "BAD\0NAME=s3cr3t");
        CommandException e = assertThrows(CommandException.class, () -> c.check(c.properties(List.of("/bin/true"))));
        String line = e.getNiceHelp();
        assertFalse(line.contains("\n"), line);
        assertTrue(line.contains("--restart: restart = 'sometimes'"), line);
        assertTrue(line.contains("--kill-grace: kill.grace = '5': a duration needs a unit: 5ms or 5s?"), line);
        assertFalse(line.contains("s3cr3t"), line);
    }

    @Test
    void withoutTheSupervisorNothingIsCreated() {
        CreateCommand c = create();
        c.validator = null;
        CommandException e = assertThrows(CommandException.class, () -> c.check(Map.of("command", "x")));
        assertTrue(e.getNiceHelp().startsWith("corral: the supervisor is not running"), e.getNiceHelp());
    }

    /**
     * The console and a .cfg file accept and refuse exactly the same values: each value is given once as a
     * console option of corral:create, once as the key in a file's properties (the parser that reads .cfg
     * files), and both outcomes and texts must agree. Before this, "1m 30s" was refused by the console and
     * accepted in a file, "20000" as cpu.max the other way round.
     */
    @Test
    void createAndCfgFilesAcceptAndRefuseTheSameValues() throws Exception {
        Object[][] cases = {
            {"killGrace", "kill.grace", new String[] {"1m 30s", "1m30s", "500ms", "0", "1.5s", " 2s ", "5", "-1s",
                "soon", "1 hour", "1m30"}},
            {"restartDelay", "restart.delay", new String[] {"250ms", "0", "2", "1d", "x"}},
            {"intensityPeriod", "intensity.period", new String[] {"1m", "0", "10"}},
            {"readyTimeout", "ready.timeout", new String[] {"30s", "0", "30"}},
            {"memoryMax", "cgroup.memory.max", new String[] {"64M", "64 MiB", "1.5G", "max", "MAX", "0", "-1",
                "lots", "64X", "12iB"}},
            {"cpuMax", "cgroup.cpu.max", new String[] {"50%", "150%", "20000 100000", "20000", "max", "max 50000",
                "0.5%", "fast", "500 100000", "1 2 3"}},
            {"pidsMax", "cgroup.pids.max", new String[] {"64", "max", "-3", "many"}},
            {"killSignal", "kill.signal", new String[] {"TERM", "sigint", "9", "SIGFOO", "99"}},
            {"restart", "restart", new String[] {"permanent", "TRANSIENT", "never"}},
            {"stdoutLevel", "log.stdout", new String[] {"debug", "off", "loud"}},
            {"directory", "directory", new String[] {"/tmp", "relative"}},
            {"dependsOn", "depends.on", new String[] {"db", "db, cache", "-x", "web"}},
            {"readyLog", "ready.log", new String[] {"^up$", "(["}},
            {"readyFile", "ready.file", new String[] {"/run/x.pid", "run/x.pid"}},
            {"stdout", "stdout", new String[] {"capture", "discard", "DISCARD", "drop"}},
            {"stderr", "stderr", new String[] {"capture", "stdout", "discard", "merge"}},
        };
        List<String> checked = new ArrayList<>();
        for (Object[] c : cases) {
            java.lang.reflect.Field field = field(CreateCommand.class, (String) c[0]);
            for (String value : (String[]) c[2]) {
                CreateCommand console = create();
                field.set(console, value);
                sameOutcome(console, (String) c[1], value);
                checked.add(c[1] + "=" + value);
            }
        }
        // typed options: Karaf converts the word; the value written is checked as the file's
        for (int port : new int[] {80, 0, 65536}) {
            CreateCommand console = create();
            console.readyPort = port;
            sameOutcome(console, "ready.port", Integer.toString(port));
        }
        for (int n : new int[] {0, 5, -1, 2_000_000}) {
            CreateCommand console = create();
            console.intensity = n;
            sameOutcome(console, "intensity", Integer.toString(n));
        }
        for (double f : new double[] {1, 1.5, 100, 0.5, 101, Double.NaN}) {
            CreateCommand console = create();
            console.backoff = f;
            sameOutcome(console, "restart.backoff", console.properties(List.of("x")).get("restart.backoff"));
        }
        assertTrue(checked.contains("kill.grace=1m 30s"));
    }

    /** Runs the console's check and the .cfg parser on the same value and compares outcome and text. */
    private static void sameOutcome(CreateCommand console, String key, String value) throws Exception {
        Map<String, Object> cfg = new java.util.HashMap<>();
        cfg.put("service.pid", "org.corral.daemon~web");
        cfg.put("command", "/bin/true");
        cfg.put(key, value);
        DaemonConfigParser.Result file = DaemonConfigParser.parse(cfg);
        String consoleError = null;
        try {
            console.check(console.properties(List.of("/bin/true")));
        } catch (CommandException e) {
            consoleError = e.getNiceHelp();
        }
        String what = key + " = '" + value + "'";
        assertEquals(file.ok(), consoleError == null, what + ": file " + (file.ok() ? "accepts" : file.errorLine())
                + ", console " + (consoleError == null ? "accepts" : consoleError));
        if (!file.ok()) {
            assertEquals(1, file.errors().size(), file.errorLine());
            String text = file.errors().get(0).toString();
            if (!value.equals(value.trim())) {
                text = text.replace("'" + value + "'", "'" + value.trim() + "'"); // the console trims its options
            }
            assertTrue(consoleError.endsWith(": " + text), what + ": the console says '" + consoleError
                    + "', the file '" + text + "'");
        }
    }

    private static java.lang.reflect.Field field(Class<?> type, String name) throws NoSuchFieldException {
        for (Class<?> t = type; t != null; t = t.getSuperclass()) {
            try {
                return t.getDeclaredField(name);
            } catch (NoSuchFieldException e) {
                // the superclass
            }
        }
        throw new NoSuchFieldException(name);
    }

    private static void assertRefused(java.util.function.Consumer<CreateCommand> setup, String prefix) {
        CreateCommand c = create();
        setup.accept(c);
        CommandException e = assertThrows(CommandException.class, () -> c.check(c.properties(List.of("/bin/true"))));
        assertTrue(e.getNiceHelp().startsWith(prefix), e.getNiceHelp());
    }

    @Test
    void runBuildsTheSpecFromItsOptions() throws Exception {
        RunCommand r = new RunCommand();
        r.timeout = "5s";
        r.env = List.of("A=1");
        r.merge = true;
        r.memoryMax = "64M";
        r.cpuMax = "25%";
        r.pidsMax = "10";
        r.killSignal = "INT";
        r.killGrace = "1m 30s";
        r.stdin = "input";
        r.directory = "/tmp";
        ChunkQueue q = new ChunkQueue(1024);
        CommandSpec spec = r.spec(List.of("cat"), q);
        assertEquals(List.of("cat"), spec.argv());
        assertEquals(Duration.ofSeconds(5), spec.timeout().orElseThrow());
        assertEquals(Map.of("A", "1"), spec.env());
        assertEquals(StderrMode.MERGE, spec.stderrMode());
        assertEquals(Signal.INT, spec.killSignal());
        assertEquals(Duration.ofSeconds(90), spec.grace());
        assertEquals(5, spec.stdin().length());
        assertEquals(false, spec.collectOutput());
        assertEquals(q, spec.consumer().orElseThrow());
        Map<String, String> limits = spec.limits().orElseThrow().files();
        assertEquals(String.valueOf(64L << 20), limits.get("memory.max"));
        assertEquals("25000 100000", limits.get("cpu.max"));
        assertEquals("10", limits.get("pids.max"));
    }

    @Test
    void runWithoutLimitsUsesNoCgroupAndRefusesBadOptions() throws Exception {
        RunCommand r = new RunCommand();
        CommandSpec spec = r.spec(List.of("true"), new ChunkQueue(1));
        assertTrue(spec.limits().isEmpty());
        assertTrue(!spec.usesCgroup());
        RunCommand bad = new RunCommand();
        bad.timeout = "soon";
        CommandException e = assertThrows(CommandException.class, () -> bad.spec(List.of("true"), new ChunkQueue(1)));
        assertEquals("corral: --timeout 'soon': not a duration (expected e.g. 500ms, 2s, 1m30s; units: ms, s, m, h, d)",
                e.getNiceHelp());
        RunCommand lots = new RunCommand();
        lots.memoryMax = "lots";
        e = assertThrows(CommandException.class, () -> lots.spec(List.of("true"), new ChunkQueue(1)));
        assertEquals("corral: --memory-max: cgroup limit memory.max: 'lots': not a size (expected e.g. 4096, 64K,"
                + " 256M, 1G or max)", e.getNiceHelp());
    }

    /**
     * corral:run reads the options it shares with daemon configurations as a .cfg file reads their keys:
     * the same values are accepted (giving the same spec) and refused.
     */
    @Test
    void runAndCfgFilesAcceptAndRefuseTheSameValues() throws Exception {
        Object[][] cases = {
            {"killGrace", "kill.grace", new String[] {"1m 30s", "500ms", "0", "5", "-1s", "soon"}},
            {"killSignal", "kill.signal", new String[] {"TERM", "sigint", "9", "SIGFOO"}},
            {"memoryMax", "cgroup.memory.max", new String[] {"64M", "64 MiB", "max", "lots", "-1"}},
            {"cpuMax", "cgroup.cpu.max", new String[] {"50%", "20000 100000", "20000", "max", "0.5%", "fast"}},
            {"pidsMax", "cgroup.pids.max", new String[] {"64", "max", "-3", "many"}},
            {"stdout", "stdout", new String[] {"capture", "discard", "DISCARD", " discard ", "drop", "null"}},
            {"stderr", "stderr", new String[] {"capture", "stdout", "discard", "Discard", "merge", "2>&1"}},
        };
        for (Object[] c : cases) {
            java.lang.reflect.Field field = field(RunCommand.class, (String) c[0]);
            for (String value : (String[]) c[2]) {
                RunCommand run = new RunCommand();
                field.set(run, value);
                CommandSpec spec = null;
                try {
                    spec = run.spec(List.of("/bin/true"), new ChunkQueue(1));
                } catch (CommandException e) {
                    // compared below
                }
                Map<String, Object> cfg = new java.util.HashMap<>();
                cfg.put("service.pid", "org.corral.daemon~web");
                cfg.put("command", "/bin/true");
                cfg.put((String) c[1], value);
                DaemonConfigParser.Result file = DaemonConfigParser.parse(cfg);
                String what = c[1] + " = '" + value + "'";
                assertEquals(file.ok(), spec != null, what);
                if (spec != null) {
                    CommandSpec fromFile = file.spec().orElseThrow().command();
                    assertEquals(fromFile.grace(), spec.grace(), what);
                    assertEquals(fromFile.killSignal(), spec.killSignal(), what);
                    assertEquals(fromFile.limits(), spec.limits(), what);
                    assertEquals(fromFile.stdoutMode(), spec.stdoutMode(), what);
                    assertEquals(fromFile.stderrMode(), spec.stderrMode(), what);
                }
            }
        }
    }

    /** Issue 12.8: corral:run --stdout discard sends stdout to /dev/null and keeps stderr, as a .cfg's stdout = discard. */
    @Test
    void runDiscardsStdoutOrStderr() throws Exception {
        RunCommand r = new RunCommand();
        r.stdout = "discard";
        CommandSpec spec = r.spec(List.of("true"), new ChunkQueue(1));
        assertEquals(org.corral.api.StdoutMode.DISCARD, spec.stdoutMode());
        assertEquals(StderrMode.SEPARATE, spec.stderrMode());
        RunCommand q = new RunCommand();
        q.stderr = "discard";
        spec = q.spec(List.of("true"), new ChunkQueue(1));
        assertEquals(org.corral.api.StdoutMode.CAPTURE, spec.stdoutMode());
        assertEquals(StderrMode.DISCARD, spec.stderrMode());
        RunCommand both = new RunCommand();
        both.merge = true;
        both.stderr = "discard";
        CommandException e = assertThrows(CommandException.class, () -> both.spec(List.of("true"), new ChunkQueue(1)));
        assertEquals("corral: --merge is --stderr stdout: it cannot be combined with --stderr discard", e.getNiceHelp());
        RunCommand into = new RunCommand();
        into.stdout = "discard";
        into.merge = true;
        e = assertThrows(CommandException.class, () -> into.spec(List.of("true"), new ChunkQueue(1)));
        assertTrue(e.getNiceHelp().startsWith("corral: stderr cannot be merged into a discarded stdout"), e.getNiceHelp());
        RunCommand typo = new RunCommand();
        typo.stdout = "drop";
        e = assertThrows(CommandException.class, () -> typo.spec(List.of("true"), new ChunkQueue(1)));
        assertEquals("corral: --stdout 'drop': expected capture (shown here) or discard (/dev/null)", e.getNiceHelp());
    }

    @Test
    void runStatusLine() {
        assertEquals("corral: exit 0 (pid 42, 12ms)", RunCommand.status(ProcessResult.builder().pid(42).exitCode(0)
                .duration(Duration.ofMillis(12)).build()));
        assertEquals("corral: killed by SIGKILL (pid 7, 5s, timed out)", RunCommand.status(ProcessResult.builder()
                .pid(7).signal(Signal.KILL).duration(Duration.ofMillis(5_100)).timedOut(true).build()));
    }

    /** Issue 12.9: a relative program would run from Karaf's working directory: corral:run refuses it. */
    @Test
    void runRefusesARelativeProgram() {
        RunCommand r = new RunCommand();
        r.processes = (org.corral.api.ProcessService) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.corral.api.ProcessService.class}, (p, m, a) -> {
                    throw new AssertionError("nothing may run: " + m);
                });
        r.argv = List.of("--", "../../../../bin/sh", "-c", "id");
        CommandException e = assertThrows(CommandException.class, r::execute);
        assertEquals("corral: the program '../../../../bin/sh' must be an absolute path (/usr/bin/foo) or a name looked"
                + " up in PATH (foo), not a relative path (Karaf's working directory is not yours)", e.getMessage());
    }
}
