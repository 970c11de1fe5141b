package org.corral.supervisor.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.DaemonSpec;
import org.corral.api.ExitStatusSet;
import org.corral.api.LogLevel;
import org.corral.api.PreStart;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.corral.supervisor.internal.config.DaemonConfigParser.Result;
import org.corral.supervisor.internal.daemon.OutputBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DaemonConfigParserTest {

    private static final String FILE = "file:/opt/karaf/etc/org.corral.daemon-web.cfg";

    private static Map<String, Object> base() {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "org.corral.daemon~web");
        p.put("service.factoryPid", "org.corral.daemon");
        p.put("felix.fileinstall.filename", FILE);
        p.put("command", "/usr/bin/sleep");
        return p;
    }

    private static DaemonSpec ok(Map<String, Object> p) {
        Result r = DaemonConfigParser.parse(p);
        assertTrue(r.ok(), () -> r.errorLine());
        return r.spec().orElseThrow();
    }

    private static Result bad(Map<String, Object> p) {
        Result r = DaemonConfigParser.parse(p);
        assertFalse(r.ok(), "expected an error for " + p);
        assertTrue(r.spec().isEmpty());
        return r;
    }

    @Test
    void minimalConfigurationTakesTheNameFromTheFile() {
        DaemonSpec s = ok(base());
        assertEquals("web", s.name());
        assertEquals(List.of("/usr/bin/sleep"), s.command().argv());
        assertEquals(RestartPolicy.PERMANENT, s.restart());
        assertEquals(Readiness.Kind.IMMEDIATE, s.readiness().kind());
        assertFalse(s.command().collectOutput(), "a daemon's output is logged, not collected");
    }

    @Test
    void everyKeyIsApplied() {
        Map<String, Object> p = base();
        p.put("name", "broker");
        p.put("args", "-c '/etc/my conf' \"x y\"");
        p.put("arg0", "mybroker");
        p.put("env.FOO", "bar");
        p.put("env.EMPTY", "");
        p.put("env.clear", "true");
        p.put("env.unset", "A, B");
        p.put("directory", "/tmp");
        p.put("user", "nobody");
        p.put("group", "nogroup");
        p.put("groups", "adm,dialout");
        p.put("allow.root", "false");
        p.put("cgroup.base", "corral-test");
        p.put("cgroup.memory.max", "256M");
        p.put("cgroup.memory.high", "max");
        p.put("cgroup.cpu.max", "50%");
        p.put("cgroup.pids.max", "100");
        p.put("cgroup.memory.oom.group", "true");
        p.put("cgroup.cpu.weight", "200");
        p.put("cgroup.io.weight", "50");
        p.put("cgroup.cpuset.cpus", "0-1");
        p.put("restart", "transient");
        p.put("restart.delay", "250ms");
        p.put("restart.delay.max", "10s");
        p.put("restart.backoff", "1.5");
        p.put("intensity", "3");
        p.put("intensity.period", "1m");
        p.put("kill.signal", "SIGINT");
        p.put("kill.grace", "2s");
        p.put("log.stdout", "debug");
        p.put("log.stderr", "off");
        p.put("log.prefix", "mqtt: ");
        p.put("log.maxline", "1K");
        p.put("log.lines", "50");
        p.put("ready.log", "listening on port \\d+");
        p.put("ready.timeout", "5s");
        p.put("depends.on", "db, cache");
        p.put("stdio.window", "64K");
        p.put("success.exit.status", "143 SIGTERM");
        p.put("restart.prevent.exit.status", "78, abrt");
        p.put("start.pre", "/usr/bin/test -e '/dev/tty USB'");
        p.put("start.pre.timeout", "1m");
        DaemonSpec s = ok(p);
        assertEquals("broker", s.name());
        assertEquals(List.of("/usr/bin/sleep", "-c", "/etc/my conf", "x y"), s.command().argv());
        assertEquals(Optional.of("mybroker"), s.command().arg0());
        assertEquals(Map.of("FOO", "bar", "EMPTY", ""), s.command().env());
        assertTrue(s.command().clearEnv());
        assertEquals(Set.of("A", "B"), s.command().unsetEnv());
        assertEquals(Optional.of(Path.of("/tmp")), s.command().directory());
        assertEquals(Optional.of("nobody"), s.command().user());
        assertEquals(Optional.of("nogroup"), s.command().group());
        assertEquals(Optional.of(List.of("adm", "dialout")), s.command().supplementaryGroups());
        assertEquals(Optional.of("corral-test"), s.command().cgroupBase());
        Map<String, String> files = s.command().limits().orElseThrow().files();
        assertEquals(Long.toString(256L << 20), files.get("memory.max"));
        assertEquals("max", files.get("memory.high"));
        assertEquals("50000 100000", files.get("cpu.max"));
        assertEquals("100", files.get("pids.max"));
        assertEquals("1", files.get("memory.oom.group"));
        assertEquals("200", files.get("cpu.weight"));
        assertEquals("default 50", files.get("io.weight"));
        assertEquals("0-1", files.get("cpuset.cpus"));
        assertEquals(RestartPolicy.TRANSIENT, s.restart());
        assertEquals(Duration.ofMillis(250), s.restartDelay());
        assertEquals(Duration.ofSeconds(10), s.maxRestartDelay());
        assertEquals(1.5, s.backoffFactor());
        assertEquals(3, s.maxRestarts());
        assertEquals(Duration.ofMinutes(1), s.restartWindow());
        assertEquals(Signal.INT, s.command().killSignal());
        assertEquals(Duration.ofSeconds(2), s.command().grace());
        assertEquals(LogLevel.DEBUG, s.stdoutLevel());
        assertEquals(LogLevel.OFF, s.stderrLevel());
        assertEquals("mqtt: ", s.logPrefix());
        assertEquals(1024, s.maxLineLength());
        assertEquals(50, s.recentLines());
        assertEquals(Readiness.Kind.LOG_LINE, s.readiness().kind());
        assertEquals("listening on port \\d+", s.readiness().pattern().orElseThrow().pattern());
        assertEquals(Duration.ofSeconds(5), s.readiness().timeout());
        assertEquals(List.of("db", "cache"), s.dependsOn());
        assertEquals(64 * 1024, s.command().window());
        assertEquals(ExitStatusSet.parse("143 TERM"), s.successExitStatus());
        assertEquals(ExitStatusSet.parse("78 SIGABRT"), s.restartPreventExitStatus());
        CommandSpec hook = s.beforeStart().orElseThrow().command().orElseThrow();
        assertEquals(List.of("/usr/bin/test", "-e", "/dev/tty USB"), hook.argv());
        assertEquals(Optional.empty(), hook.arg0(), "arg0 is the daemon program's");
        assertEquals(Optional.of(Duration.ofMinutes(1)), hook.timeout());
        assertEquals(Duration.ofMinutes(1), s.beforeStart().orElseThrow().timeout());
        assertEquals(Optional.of("nobody"), hook.user(), "the daemon's environment");
        assertEquals(Map.of("FOO", "bar", "EMPTY", ""), hook.env());
        assertEquals(Optional.of(Path.of("/tmp")), hook.directory());
        assertEquals(Optional.of("corral-test"), hook.cgroupBase());
        assertEquals(Signal.INT, hook.killSignal());
    }

    @Test
    void typedValuesFromConfigFilesAreAccepted() {
        Map<String, Object> p = base();
        p.put("args", new String[] {"a b", "'c'"});
        p.put("intensity", 7);
        p.put("env.clear", Boolean.TRUE);
        p.put("ready.port", 8080L);
        p.put("depends.on", List.of("x", "y"));
        p.put("groups", new String[] {"adm", "audio"});
        p.put("log.lines", new Integer[] {10});
        DaemonSpec s = ok(p);
        assertEquals(List.of("/usr/bin/sleep", "a b", "'c'"), s.command().argv(), "array elements are literal");
        assertEquals(7, s.maxRestarts());
        assertTrue(s.command().clearEnv());
        assertEquals(8080, s.readiness().port().getAsInt());
        assertEquals(List.of("x", "y"), s.dependsOn());
        assertEquals(Optional.of(List.of("adm", "audio")), s.command().supplementaryGroups());
        assertEquals(10, s.recentLines());
    }

    @Test
    void readinessFileAndPort() {
        Map<String, Object> p = base();
        p.put("ready.file", "/run/web.pid");
        assertEquals(Path.of("/run/web.pid"), ok(p).readiness().file().orElseThrow());
        p = base();
        p.put("ready.port", "8080");
        assertEquals(8080, ok(p).readiness().port().getAsInt());
    }

    @Test
    void cpuAsQuotaPeriodAndRawFiles() {
        Map<String, Object> p = base();
        p.put("cgroup.cpu.max", "20000 100000");
        p.put("cgroup.memory.swap.max", "0");
        p.put("cgroup.io.max", "8:0 rbps=1048576");
        Map<String, String> files = ok(p).command().limits().orElseThrow().files();
        assertEquals("20000 100000", files.get("cpu.max"));
        assertEquals("0", files.get("memory.swap.max"));
        assertEquals("8:0 rbps=1048576", files.get("io.max"));
    }

    @Test
    void explicitNameIsNeededWithoutAFactoryName() {
        Map<String, Object> p = base();
        p.put("service.pid", "org.corral.daemon.5f2c1a");
        Result r = bad(p);
        assertTrue(r.errorLine().contains("name: missing"), r.errorLine());
        p.put("name", "x");
        assertEquals("x", ok(p).name());
    }

    @Test
    void errorLineNamesFileKeyAndValue() {
        Map<String, Object> p = base();
        p.put("restart", "sometimes");
        Result r = bad(p);
        String line = r.errorLine();
        assertTrue(line.startsWith("Daemon configuration /opt/karaf/etc/org.corral.daemon-web.cfg is invalid: "), line);
        assertTrue(line.contains("restart = 'sometimes': unknown restart policy 'sometimes'"), line);
        assertTrue(line.endsWith("daemon 'web' not started"), line);
        assertEquals(Optional.of("web"), r.name());
    }

    @Test
    void originIsThePidWithoutAFile() {
        Map<String, Object> p = base();
        p.remove("felix.fileinstall.filename");
        p.put("restart", "sometimes");
        assertTrue(bad(p).errorLine().startsWith("Daemon configuration 'org.corral.daemon~web' is invalid"));
    }

    @Test
    void cgroupDefaultOptsOutAndIsRefusedWithAnotherCgroupKey() {
        assertTrue(ok(base()).command().defaultCgroup(), "a daemon gets a cgroup of its own by default");
        Map<String, Object> p = base();
        p.put("cgroup.default", "false");
        DaemonSpec s = ok(p);
        assertFalse(s.command().defaultCgroup());
        assertFalse(s.command().usesCgroup());
        p.put("cgroup.memory.max", "64M");
        Result r = bad(p);
        assertEquals(1, r.errors().size(), r.errorLine());
        assertTrue(r.errorLine().contains("cgroup.default = 'false': false opts out of cgroups, but the configuration"
                + " also sets cgroup.base, cgroup.path or a cgroup limit"), r.errorLine());
        p.remove("cgroup.memory.max");
        p.put("cgroup.default", "sometimes");
        assertTrue(bad(p).errorLine().contains("cgroup.default = 'sometimes'"));
    }

    @Test
    void allErrorsAreReportedInOneLine() {
        Map<String, Object> p = base();
        p.remove("command");
        p.put("restart", "never");
        p.put("cgroup.memory.max", "-5M");
        p.put("args", "a 'b");
        Result r = bad(p);
        assertEquals(4, r.errors().size(), r.errorLine());
        String line = r.errorLine();
        assertTrue(line.contains("command: missing"), line);
        assertTrue(line.contains("restart = 'never'"), line);
        assertTrue(line.contains("cgroup.memory.max = '-5M': a size cannot be negative"), line);
        assertTrue(line.contains("args = 'a 'b': unterminated single quote at character 3"), line);
        assertFalse(line.contains("\n"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "name|-bad|not a valid daemon name",
        "name|a/b|not a valid daemon name",
        "command|'   '|empty",
        "args|'unterminated \"quote'|unterminated double quote",
        "args|'trailing\\'|trailing backslash",
        "env.clear|perhaps|not a boolean",
        "env.A=B|x|invalid environment variable name",
        "env.unset|'A=B'|invalid environment variable name",
        "directory|relative/dir|absolute path",
        "allow.root|sure|not a boolean",
        "cgroup.memory.max|lots|not a size",
        "cgroup.memory.max|-1|negative",
        "cgroup.memory.high|12Q|not a size",
        "cgroup.cpu.max|50|quota must be >= 1000 us",
        "cgroup.cpu.max|0%|must be a percentage above 0",
        "cgroup.cpu.max|10 2000000|period must be 1000..1000000 us",
        "cgroup.pids.max|-3|must not be negative",
        "cgroup.pids.max|many|is not a number",
        "cgroup.memory.oom.group|2|is not a flag",
        "cgroup.cpu.weight|0|must be 1..10000",
        "cgroup.cpu.idle|x|is not a flag",
        "cgroup.cpuset.cpus|3-1|is reversed",
        "cgroup.cgroup.procs|1|managed by Corral",
        "cgroup.bogus|1|unknown cgroup key",
        "cgroup.io.max|''|empty",
        "restart|sometimes|unknown restart policy",
        "restart.delay|500|needs a unit",
        "restart.delay|-1s|negative",
        "restart.delay.max|soon|not a duration",
        "restart.backoff|0.5|between 1 and 100",
        "restart.backoff|fast|not a number",
        "intensity|-1|between 0 and",
        "intensity|three|not a whole number",
        "intensity.period|0|longer than 0",
        "intensity.period|1 hour|not a duration",
        "kill.signal|SIGFOO|unknown signal",
        "kill.signal|99|unknown signal",
        "kill.grace|2|needs a unit",
        "log.stdout|verbose|unknown log level",
        "log.stderr|loud|unknown log level",
        "log.maxline|8|between 16 and 1M",
        "log.maxline|2M|between 16 and 1M",
        "log.lines|1000000|between 0 and 100000",
        "log.lines|-1|between 0 and 100000",
        "ready.log|'(unclosed'|not a valid regular expression",
        "log.maxline|512K|above the output budget of a daemon",
        "log.lines|20000|above the output budget of a daemon",
        "ready.log|'(a)\\1'|backreferences",
        "ready.log|'foo(?=bar)'|lookahead and lookbehind",
        "ready.log|'(?<!x)y'|lookahead and lookbehind",
        "ready.log|'(?>ab)c'|atomic groups",
        "ready.log|'a*+b'|possessive quantifiers",
        "ready.port|0|between 1 and 65535",
        "ready.port|70000|between 1 and 65535",
        "ready.port|http|not a whole number",
        "ready.file|run/x.pid|absolute path",
        "ready.timeout|0|longer than 0",
        "ready.timeout|forever|not a duration",
        "depends.on|'a, -b'|not a daemon name",
        "depends.on|web|cannot depend on itself",
        "stdio.window|1K|between 4K and 64M",
        "stdio.window|1G|between 4K and 64M",
        "stdio.window|big|not a size",
        "success.exit.status|256|exit code 256 is out of range: exit codes are 0 to 255",
        "success.exit.status|'1 SIGTREM'|'SIGTREM' is neither an exit code (0 to 255) nor a signal name (did you mean SIGTERM?)",
        "restart.prevent.exit.status|-1|'-1' is neither an exit code (0 to 255) nor a signal name",
        "restart.prevent.exit.status|'78 KILLL'|(did you mean SIGKILL?)",
        "start.pre|'-/bin/true'|systemd's prefixes (-, +, !, @) are not supported",
        "start.pre|'/bin/sh -c ''x'|unterminated single quote",
        "start.pre.timeout|0|longer than 0",
        "ready.notify|maybe|not a boolean",
        "watchdog|30|needs a unit",
        "watchdog|-5s|negative",
        "start.pre.timeout|soon|not a duration",
        "no.new.privileges|maybe|not a boolean",
        "capabilities|CAP_NET_BIND_SERVCE|did you mean CAP_NET_BIND_SERVICE?",
        "capabilities|'none, CAP_KILL'|none means no capability at all",
        "rlimit.nofile|4097:4096|the soft limit 4097 is above the hard limit 4096",
        "rlimit.nofile|lots|not a whole number",
        "rlimit.nofile|-1|cannot be negative",
        "rlimit.core|1:2:3|more than one ':'",
        "rlimit.memlock|64X|not a size",
        "rlimit.cpu|1500ms|whole seconds",
        "rlimit.rttime|soon|not a duration",
        "nice|20|between -20 and 19",
        "nice|-21|between -20 and 19",
        "nice|high|not a whole number",
        "oom.score.adj|1001|between -1000 and 1000",
        "oom.score.adj|-1001|between -1000 and 1000",
        "umask|0o27|octal digits",
        "umask|1000|between 0000 and 0777",
    })
    void badValueOfEveryKey(String key, String value, String expected) {
        Map<String, Object> p = base();
        p.put(key, value);
        Result r = bad(p);
        String line = r.errorLine();
        assertTrue(line.contains(key), "names the key: " + line);
        assertTrue(line.contains("'" + value + "'") || r.errors().get(0).value() == null,
                "names the value: " + line);
        assertTrue(line.contains(expected), "says why (" + expected + "): " + line);
        assertTrue(line.contains("org.corral.daemon-web.cfg"), "names the file: " + line);
    }

    @Test
    void exitStatusListsTakeAListValueAndBlankIsEmpty() {
        Map<String, Object> p = base();
        p.put("success.exit.status", new String[] {"1", "SIGHUP, 2"});
        p.put("restart.prevent.exit.status", " ");
        DaemonSpec s = ok(p);
        assertEquals(ExitStatusSet.parse("1 2 HUP"), s.successExitStatus());
        assertTrue(s.restartPreventExitStatus().isEmpty());
        Map<String, Object> typo = base();
        typo.put("restart.prevent.exit.stauts", "78");
        List<String> lines = DaemonConfigParser.parse(typo).warningLines();
        assertTrue(lines.get(0).endsWith("restart.prevent.exit.stauts: unknown key, ignored (did you mean"
                + " restart.prevent.exit.status?)"), lines.toString());
    }

    @Test
    void preStartDefaultsAndATimeoutWithoutAHook() {
        Map<String, Object> p = base();
        p.put("start.pre", new String[] {"/bin/wait", "a b"});
        DaemonSpec s = ok(p);
        assertEquals(List.of("/bin/wait", "a b"), s.beforeStart().orElseThrow().command().orElseThrow().argv());
        assertEquals(PreStart.DEFAULT_TIMEOUT, s.beforeStart().orElseThrow().timeout());
        Map<String, Object> q = base();
        q.put("start.pre.timeout", "5s");
        Result r = DaemonConfigParser.parse(q);
        assertTrue(r.ok());
        assertTrue(r.spec().orElseThrow().beforeStart().isEmpty());
        assertTrue(r.warningLines().get(0).endsWith("start.pre.timeout = '5s': has no effect without start.pre"),
                r.warningLines().toString());
    }

    @Test
    void readyNotifyAndWatchdog() {
        Map<String, Object> p = base();
        p.put("ready.notify", "yes");
        p.put("ready.timeout", "1m");
        p.put("watchdog", "30s");
        DaemonSpec s = ok(p);
        assertEquals(Readiness.Kind.NOTIFY, s.readiness().kind());
        assertEquals(Duration.ofMinutes(1), s.readiness().timeout());
        assertEquals(Duration.ofSeconds(30), s.watchdog());
        assertTrue(s.usesNotify());
        Map<String, Object> off = base();
        off.put("ready.notify", "false");
        off.put("watchdog", "0");
        DaemonSpec o = ok(off);
        assertEquals(Readiness.Kind.IMMEDIATE, o.readiness().kind());
        assertFalse(o.usesNotify());
        Map<String, Object> two = base();
        two.put("ready.log", "up");
        two.put("ready.notify", "true");
        assertTrue(bad(two).errorLine().contains("only one readiness check can be set, but ready.log and ready.notify"
                + " are"), bad(two).errorLine());
        Map<String, Object> typo = base();
        typo.put("watchdgo", "30s");
        assertTrue(DaemonConfigParser.parse(typo).warningLines().get(0).endsWith(
                "watchdgo: unknown key, ignored (did you mean watchdog?)"));
    }

    @Test
    void twoReadinessChecksAreRefused() {
        Map<String, Object> p = base();
        p.put("ready.log", "up");
        p.put("ready.port", "80");
        assertTrue(bad(p).errorLine().contains("only one readiness check can be set, but ready.log and ready.port are"));
    }

    @Test
    void baseAndPathAreExclusive() {
        Map<String, Object> p = base();
        p.put("cgroup.base", "a");
        p.put("cgroup.path", "b/c");
        assertTrue(bad(p).errorLine().contains("cgroup.path"));
    }

    @Test
    void delayLongerThanItsCapIsRefused() {
        Map<String, Object> p = base();
        p.put("restart.delay", "10s");
        p.put("restart.delay.max", "1s");
        assertTrue(bad(p).errorLine().contains("restart.delay.max = '1s': is shorter than restart.delay = '10s'"));
    }

    @Test
    void listForAScalarKeyIsRefused() {
        Map<String, Object> p = base();
        p.put("restart", new String[] {"permanent", "transient"});
        assertTrue(bad(p).errorLine().contains("restart = '[permanent, transient]': takes one value, not a list"));
    }

    @Test
    void unknownKeysAreWarningsWithASuggestion() {
        Map<String, Object> p = base();
        p.put("restart.dealy", "1s");
        p.put("colour", "blue");
        p.put("component.id", 3L);
        p.put("org.apache.karaf.features.configKey", "x");
        Result r = DaemonConfigParser.parse(p);
        assertTrue(r.ok());
        assertEquals(2, r.warnings().size(), r.warnings().toString());
        List<String> lines = r.warningLines();
        // the value of an unknown key is not repeated: it may be a secret under a mistyped env. key (issue 11)
        assertTrue(lines.get(0).endsWith("colour: unknown key, ignored"), lines.get(0));
        assertTrue(lines.get(1).endsWith("restart.dealy: unknown key, ignored (did you mean restart.delay?)"),
                lines.get(1));
        assertTrue(lines.get(1).startsWith("Daemon configuration /opt/karaf/etc/org.corral.daemon-web.cfg: "));
    }

    @Test
    void aMistypedFamilyIsSuggestedWithoutItsValue() {
        Map<String, Object> p = base();
        p.put("evn.API_TOKEN", "s3cr3t-token");
        p.put("Cgroup.memory.max", "64M");
        Result r = DaemonConfigParser.parse(p);
        String lines = String.join("\n", r.warningLines());
        assertTrue(lines.contains("evn.API_TOKEN: unknown key, ignored (did you mean env.API_TOKEN?)"), lines);
        assertTrue(lines.contains("Cgroup.memory.max: unknown key, ignored (did you mean cgroup.memory.max?)"), lines);
        assertFalse(lines.contains("s3cr3t"), lines);
    }

    @Test
    void errorsNeverShowTheValueOfAnEnvironmentVariable() {
        Map<String, Object> p = base();
        p.put("env.DB_PASSWORD", new String[] {"s3cr3t-one", "s3cr3t-two"});
        p.put("env.API=TOKEN", "s3cr3t-three");
        p.put("env.NUL", "s3cr3t\0four");
        p.put("env.BAD KEY", "s3cr3t-five");
        p.put("restart", "sometimes");
        Result r = bad(p);
        String line = r.errorLine();
        assertTrue(line.contains("env.DB_PASSWORD: an environment variable takes one value, not a list"), line);
        assertTrue(line.contains("env.API=TOKEN: invalid environment variable name 'API=TOKEN'"), line);
        assertTrue(line.contains("env.NUL: env NUL contains a NUL character"), line);
        assertTrue(line.contains("restart = 'sometimes'"), "other values are still shown: " + line);
        assertFalse(line.contains("s3cr3t"), line);
        for (DaemonConfigParser.Problem e : r.errors()) {
            if (e.key().startsWith("env.")) {
                assertEquals(null, e.value(), "the value is not even kept: " + e.key());
            }
        }
        assertFalse(String.join("\n", r.warningLines()).contains("s3cr3t"));
    }

    @Test
    void envClearAndEnvUnsetAreNotSecret() {
        Map<String, Object> p = base();
        p.put("env.clear", "perhaps");
        p.put("env.unset", "A=B");
        String line = bad(p).errorLine();
        assertTrue(line.contains("env.clear = 'perhaps': not a boolean"), line);
        assertTrue(line.contains("env.unset = 'A=B': invalid environment variable name"), line);
    }

    @Test
    void everyKeyIsInExactlyOneTable() {
        Set<String> all = new java.util.TreeSet<>();
        all.addAll(DaemonConfigParser.PROGRAM_KEYS.keySet());
        all.addAll(DaemonConfigParser.DAEMON_KEYS.keySet());
        all.addAll(DaemonConfigParser.OTHER_KEYS);
        assertEquals(all, DaemonConfigParser.KEYS);
        assertEquals(DaemonConfigParser.PROGRAM_KEYS.size() + DaemonConfigParser.DAEMON_KEYS.size()
                + DaemonConfigParser.OTHER_KEYS.size(), DaemonConfigParser.KEYS.size());
    }

    @Test
    void blankValuesMeanTheDefault() {
        Map<String, Object> p = base();
        for (String key : new String[] {"arg0", "restart", "restart.delay", "intensity", "ready.port", "ready.log",
            "log.stdout", "kill.signal", "groups", "depends.on", "directory", "user", "stdio.window", "env.unset"}) {
            p.put(key, " ");
        }
        DaemonSpec s = ok(p);
        assertEquals(RestartPolicy.PERMANENT, s.restart());
        assertEquals(Readiness.Kind.IMMEDIATE, s.readiness().kind());
        assertEquals(Optional.empty(), s.command().supplementaryGroups(), "blank groups keep the user's groups");
        assertEquals(Optional.empty(), s.command().user());
        assertEquals(List.of(), s.dependsOn());
    }

    @Test
    void emptyPrefixIsAllowed() {
        Map<String, Object> p = base();
        p.put("log.prefix", "");
        assertEquals("", ok(p).logPrefix());
    }

    /** Issue 11.3: the configuration that filled a 6 GB heap is refused, both keys named with their limits. */
    @Test
    void recentLinesAndLineLengthAreCheckedAgainstTheOutputBudget() {
        Map<String, Object> p = base();
        p.put("log.lines", "100000");
        p.put("log.maxline", "1M");
        Result r = bad(p);
        String line = r.errorLine();
        assertTrue(line.contains("log.maxline = '1M': a daemon's two partial lines and its recent lines need at least 4"
                + " times log.maxline (4M), above the output budget of a daemon, 1M (org.corral.output.memory.daemon):"
                + " at most 256K here"), line);
        assertTrue(line.contains("log.lines = '100000': 100000 lines take at least 9.2M (96 bytes each besides their"
                + " text), above the output budget of a daemon, 1M (org.corral.output.memory.daemon): at most 10922"
                + " here"), line);
        // a larger budget (set by the operator) allows them
        Result ok = DaemonConfigParser.parse(p, new OutputBudget(16L << 20, 64L << 20));
        assertTrue(ok.ok(), () -> ok.errorLine());
        assertEquals(1 << 20, ok.spec().orElseThrow().maxLineLength());
        // the limits themselves pass
        p.put("log.lines", "10922");
        p.put("log.maxline", "256K");
        assertTrue(DaemonConfigParser.parse(p).ok());
    }

    /** Issue 11.4: a pattern that backtracks catastrophically in java.util.regex is fine for the linear matcher. */
    @Test
    void backtrackingPatternsAreAcceptedSinceTheyAreMatchedInLinearTime() {
        Map<String, Object> p = base();
        p.put("ready.log", "(.*,){8}X");
        assertTrue(DaemonConfigParser.parse(p).ok());
    }
}
