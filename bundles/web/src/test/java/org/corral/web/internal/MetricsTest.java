package org.corral.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.corral.api.Containment;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonState;
import org.corral.api.Signal;
import org.corral.api.SupervisorStatus.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {

    static final Instant T0 = Instant.parse("2026-12-04T12:00:00.250Z");

    static CgroupStats stats() {
        return new CgroupStats("corral/mqtt", Map.of(
                "memory.current", new CgroupValue.Single("5242880", OptionalLong.of(5242880)),
                "memory.peak", new CgroupValue.Single("8388608", OptionalLong.of(8388608)),
                "pids.current", new CgroupValue.Single("3", OptionalLong.of(3)),
                "cpu.stat", new CgroupValue.FlatKeyed("usage_usec 1234567", Map.of("usage_usec", 1234567L)),
                "memory.events", new CgroupValue.FlatKeyed("oom_kill 2", Map.of("oom_kill", 2L, "oom", 2L)),
                "cpu.pressure", new CgroupValue.Pressure("", new CgroupValue.Psi(0, 0, 0, 1500000),
                        new CgroupValue.Psi(0, 0, 0, 250)),
                "memory.pressure", new CgroupValue.Pressure("", new CgroupValue.Psi(0, 0, 0, 10), null)));
    }

    static List<DaemonView> daemons() {
        return List.of(
                new DaemonView("mqtt", DaemonState.READY, OptionalLong.of(4242), OptionalLong.of(4241),
                        Optional.of(T0), 3, Optional.of(new DaemonExit(4000, -1, Optional.of(Signal.KILL),
                                T0.minusSeconds(5), true, false)), 1000, 20, Optional.of(stats())),
                new DaemonView("we\"ird\\name", DaemonState.FAILED, OptionalLong.empty(), OptionalLong.empty(),
                        Optional.empty(), 6, Optional.of(new DaemonExit(77, 3, Optional.empty(), T0, false, false)), 0,
                        0, Optional.empty()));
    }

    static String render() {
        Map<RunResult, Long> runs = new EnumMap<>(RunResult.class);
        for (RunResult r : RunResult.values()) {
            runs.put(r, (long) r.ordinal());
        }
        return Metrics.render(daemons(), List.of(new ConfigView("org.corral.daemon~bad", "bad", Optional.empty(),
                Map.of())), Optional.of(new Metrics.Engine(Containment.Mode.HELPER_CGROUP, 2, runs)));
    }

    private static String value(String text, String sample) {
        Matcher m = Pattern.compile("^" + Pattern.quote(sample) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        assertTrue(m.find(), "no sample " + sample + " in\n" + text);
        return m.group(1);
    }

    @Test
    void everyFigureHasItsSample() {
        String t = render();
        assertEquals("1", value(t, "corral_daemon_up{name=\"mqtt\"}"));
        assertEquals("0", value(t, "corral_daemon_up{name=\"we\\\"ird\\\\name\"}"));
        assertEquals("1", value(t, "corral_daemon_state{name=\"mqtt\",state=\"READY\"}"));
        assertEquals("0", value(t, "corral_daemon_state{name=\"mqtt\",state=\"FAILED\"}"));
        assertEquals("1", value(t, "corral_daemon_state{name=\"we\\\"ird\\\\name\",state=\"FAILED\"}"));
        assertEquals("1796385600.25", value(t, "corral_daemon_start_time_seconds{name=\"mqtt\"}"));
        assertEquals("3", value(t, "corral_daemon_restarts_total{name=\"mqtt\"}"));
        assertEquals("137", value(t, "corral_daemon_last_exit_code{name=\"mqtt\"}"), "SIGKILL: 128 + 9");
        assertEquals("3", value(t, "corral_daemon_last_exit_code{name=\"we\\\"ird\\\\name\"}"));
        assertEquals("1000", value(t, "corral_daemon_stdout_bytes_total{name=\"mqtt\"}"));
        assertEquals("20", value(t, "corral_daemon_stderr_bytes_total{name=\"mqtt\"}"));
        assertEquals("5242880", value(t, "corral_daemon_memory_current_bytes{name=\"mqtt\"}"));
        assertEquals("8388608", value(t, "corral_daemon_memory_peak_bytes{name=\"mqtt\"}"));
        assertEquals("1.234567", value(t, "corral_daemon_cpu_usage_seconds_total{name=\"mqtt\"}"));
        assertEquals("3", value(t, "corral_daemon_pids_current{name=\"mqtt\"}"));
        assertEquals("2", value(t, "corral_daemon_oom_kills_total{name=\"mqtt\"}"));
        assertEquals("1.5", value(t, "corral_daemon_pressure_cpu_waiting_seconds_total{name=\"mqtt\"}"));
        assertEquals("0.00025", value(t, "corral_daemon_pressure_cpu_stalled_seconds_total{name=\"mqtt\"}"));
        assertEquals("0.00001", value(t, "corral_daemon_pressure_memory_waiting_seconds_total{name=\"mqtt\"}"));
        assertFalse(t.contains("corral_daemon_pressure_memory_stalled"), "no full line, no sample");
        assertFalse(t.contains("corral_daemon_pressure_io"), "no io.pressure, no sample");
        assertEquals("1", value(t, "corral_daemon_configuration_inactive{name=\"bad\"}"));
        assertEquals("1", value(t, "corral_containment_mode{mode=\"HELPER_CGROUP\"}"));
        assertEquals("0", value(t, "corral_containment_mode{mode=\"JAVA_FALLBACK\"}"));
        assertEquals("2", value(t, "corral_helpers_running"));
        assertEquals("0", value(t, "corral_runs_total{result=\"success\"}"));
        assertEquals("5", value(t, "corral_runs_total{result=\"error\"}"));
        assertFalse(t.contains("corral_daemon_start_time_seconds{name=\"we"), "not running: no start time");
    }

    @Test
    void onlyTheNameLabelIsUnbounded() {
        for (String line : render().split("\n")) {
            if (line.startsWith("#")) {
                continue;
            }
            String labels = line.contains("{") ? line.substring(line.indexOf('{') + 1, line.lastIndexOf('}')) : "";
            for (String l : labels.isEmpty() ? new String[0] : labels.split(",(?=[a-z]+=\")")) {
                String key = l.substring(0, l.indexOf('='));
                assertTrue(List.of("name", "state", "mode", "result").contains(key), line);
            }
        }
    }

    @Test
    void withoutSupervisorOrDaemonsThereIsLittleToSay() {
        assertEquals("", Metrics.render(List.of(), List.of(), Optional.empty()));
    }

    /** The real promtool (Debian's prometheus package, installed by .ci/install-deps) accepts the output. */
    @Test
    void promtoolAcceptsTheOutput(@TempDir Path dir) throws IOException, InterruptedException {
        Path file = dir.resolve("metrics.txt");
        Files.writeString(file, render(), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, p.exitValue(), "promtool check metrics:\n" + out + "\non:\n" + render());
        assertEquals("", out.trim(), "promtool has no complaint (not even a lint warning)");
    }

    /** Issue 12.3: INVALID is a state like the others; two services of one name give one series. */
    @Test
    void anInvalidDaemonIsAStateAndNamesAreUnique() {
        DaemonView running = daemons().get(0);
        DaemonView clash = new DaemonView("mqtt", DaemonState.INVALID, OptionalLong.empty(), OptionalLong.empty(),
                Optional.empty(), 0, Optional.empty(), 0, 0, Optional.empty(), List.of("name: taken"), List.of(),
                Optional.of("org.corral.daemon~mqtt2"));
        DaemonView invalid = new DaemonView("broken", DaemonState.INVALID, OptionalLong.empty(), OptionalLong.empty(),
                Optional.empty(), 0, Optional.empty(), 0, 0, Optional.empty(), List.of("restart: bad"), List.of(),
                Optional.empty());
        String text = Metrics.render(List.of(clash, running, invalid), List.of(), Optional.empty());
        assertEquals("1", value(text, "corral_daemon_state{name=\"broken\",state=\"INVALID\"}"));
        assertEquals("1", value(text, "corral_daemon_state{name=\"mqtt\",state=\"READY\"}"));
        assertEquals("0", value(text, "corral_daemon_state{name=\"mqtt\",state=\"INVALID\"}"));
        assertEquals(1, text.lines().filter(l -> l.startsWith("corral_daemon_up{name=\"mqtt\"}")).count());
    }
}
