package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.support.CommandException;
import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.api.StderrMode;
import org.junit.jupiter.api.Test;

/** How corral:create and corral:run turn their options into configuration keys and a CommandSpec. */
class CommandOptionsTest {

    @Test
    void createMapsOptionsToConfigurationKeys() throws Exception {
        CreateCommand c = new CreateCommand();
        c.restart = "transient";
        c.restartDelay = "500ms";
        c.restartDelayMax = "30s";
        c.backoff = "2";
        c.intensity = "5";
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
        c.killGrace = "2s";
        c.properties = List.of("log.prefix=[x] ");
        Map<String, String> p = c.properties(List.of("/bin/sh", "-c", "echo 'hi'; sleep 1"));
        assertEquals("/bin/sh", p.get("command"));
        assertEquals("-c 'echo '\\''hi'\\''; sleep 1'", p.get("args"));
        assertEquals("transient", p.get("restart"));
        assertEquals("500ms", p.get("restart.delay"));
        assertEquals("30s", p.get("restart.delay.max"));
        assertEquals("2", p.get("restart.backoff"));
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
        assertEquals("2s", p.get("kill.grace"));
        assertEquals("[x] ", p.get("log.prefix"));
        assertEquals(22, p.size());
    }

    @Test
    void createWithoutArgumentsWritesNoArgsKey() throws Exception {
        Map<String, String> p = new CreateCommand().properties(List.of("/usr/bin/top"));
        assertEquals(Map.of("command", "/usr/bin/top"), p);
    }

    @Test
    void createRefusesBadValuesNamingTheOption() {
        assertRefused(c -> c.memoryMax = "64X", "corral: --memory-max: '64X' is not a size");
        assertRefused(c -> c.restart = "sometimes", "corral: --restart: unknown restart policy 'sometimes'");
        assertRefused(c -> c.restartDelay = "5", "corral: --restart-delay: '5' needs a unit");
        assertRefused(c -> c.readyLog = "([", "corral: --ready-log: '([' is not a regular expression");
        assertRefused(c -> c.readyPort = "70000", "corral: --ready-port: '70000' is not a TCP port");
        assertRefused(c -> c.readyPort = "http", "corral: --ready-port: not a number");
        assertRefused(c -> c.backoff = "0.5", "corral: --backoff: '0.5' must be between 1 and 100");
        assertRefused(c -> c.stdoutLevel = "loud", "corral: --stdout-level: unknown log level 'loud'");
        assertRefused(c -> c.killSignal = "SIGFOO", "corral: --kill-signal: unknown signal 'SIGFOO'");
        assertRefused(c -> c.directory = "relative/dir", "corral: --directory: 'relative/dir' is not an absolute path");
        assertRefused(c -> c.env = List.of("NOEQUALS"), "corral: --env: 'NOEQUALS' is not an environment variable");
        assertRefused(c -> c.dependsOn = "a,b c", "corral: --depends-on: 'b c' is not a daemon name");
        assertRefused(c -> c.cpuMax = "fast", "corral: --cpu-max: 'fast' is not a cpu limit");
    }

    private static void assertRefused(java.util.function.Consumer<CreateCommand> setup, String prefix) {
        CreateCommand c = new CreateCommand();
        setup.accept(c);
        CommandException e = assertThrows(CommandException.class, () -> c.properties(List.of("/bin/true")));
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
        r.killGrace = "1s";
        r.stdin = "input";
        r.directory = "/tmp";
        ChunkQueue q = new ChunkQueue(1024);
        CommandSpec spec = r.spec(List.of("cat"), q);
        assertEquals(List.of("cat"), spec.argv());
        assertEquals(Duration.ofSeconds(5), spec.timeout().orElseThrow());
        assertEquals(Map.of("A", "1"), spec.env());
        assertEquals(StderrMode.MERGE, spec.stderrMode());
        assertEquals(Signal.INT, spec.killSignal());
        assertEquals(Duration.ofSeconds(1), spec.grace());
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
        assertTrue(e.getNiceHelp().startsWith("corral: --timeout: 'soon' is not a duration"), e.getNiceHelp());
    }

    @Test
    void runStatusLine() {
        assertEquals("corral: exit 0 (pid 42, 12ms)", RunCommand.status(ProcessResult.builder().pid(42).exitCode(0)
                .duration(Duration.ofMillis(12)).build()));
        assertEquals("corral: killed by SIGKILL (pid 7, 5s, timed out)", RunCommand.status(ProcessResult.builder()
                .pid(7).signal(Signal.KILL).duration(Duration.ofMillis(5_100)).timedOut(true).build()));
    }
}
