package org.corral.web.internal;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.corral.api.Containment;
import org.corral.api.DaemonState;
import org.corral.api.SupervisorStatus;

/**
 * The Prometheus metrics of {@code /corral/metrics}, as a pure function of what was read. Names follow the
 * Prometheus conventions: prefix {@code corral_}, base units in the name ({@code _bytes}, {@code _seconds}),
 * {@code _total} on counters. The only unbounded label is {@code name} (the daemon name); the others take a
 * fixed set of values ({@code state}, {@code mode}, {@code result}).
 */
final class Metrics {

    /** Engine-wide figures, when the supervisor runs. */
    record Engine(Containment.Mode mode, int helpersRunning, Map<SupervisorStatus.RunResult, Long> runs) {
    }

    private static final String[][] PSI = {
        {"cpu", "cpu.pressure"}, {"memory", "memory.pressure"}, {"io", "io.pressure"},
    };

    private Metrics() {
    }

    /**
     * @param daemons the daemon services, read once
     * @param inactive daemon configurations that have no daemon service
     * @param engine the supervisor's figures, empty when it does not run
     */
    static String render(List<DaemonView> allDaemons, List<ConfigView> inactive, Optional<Engine> engine) {
        List<DaemonView> daemons = onePerName(allDaemons);
        PromText p = new PromText();
        p.family("corral_daemon_up", "gauge", "1 when the daemon's program runs, 0 otherwise.");
        p.family("corral_daemon_state", "gauge", "The daemon's state: 1 for the state it is in, 0 for the others.");
        p.family("corral_daemon_start_time_seconds", "gauge",
                "When the daemon's current program started, in seconds since the Unix epoch.");
        p.family("corral_daemon_restarts_total", "counter",
                "Restarts of the daemon's program since the daemon was started (by hand or by configuration).");
        p.family("corral_daemon_last_exit_code", "gauge",
                "How the daemon's program last ended: its exit code, or 128 + the signal number when a signal ended it.");
        p.family("corral_daemon_last_exit_timestamp_seconds", "gauge",
                "When the daemon's program last ended, in seconds since the Unix epoch.");
        p.family("corral_daemon_stdout_bytes_total", "counter", "Bytes the daemon's programs wrote to stdout.");
        p.family("corral_daemon_stderr_bytes_total", "counter", "Bytes the daemon's programs wrote to stderr.");
        p.family("corral_daemon_memory_current_bytes", "gauge", "memory.current of the daemon's cgroup.");
        p.family("corral_daemon_memory_peak_bytes", "gauge", "memory.peak of the daemon's cgroup (kernel 5.19+).");
        p.family("corral_daemon_cpu_usage_seconds_total", "counter",
                "CPU time used by the daemon's cgroup (cpu.stat usage_usec).");
        p.family("corral_daemon_pids_current", "gauge", "pids.current of the daemon's cgroup.");
        p.family("corral_daemon_oom_kills_total", "counter",
                "Processes of the daemon's cgroup that the OOM killer killed (memory.events oom_kill).");
        for (String[] r : PSI) {
            p.family("corral_daemon_pressure_" + r[0] + "_waiting_seconds_total", "counter", "Time some tasks of the"
                    + " daemon's cgroup stalled waiting for " + r[0] + " (" + r[1] + " some total).");
            p.family("corral_daemon_pressure_" + r[0] + "_stalled_seconds_total", "counter", "Time all tasks of the"
                    + " daemon's cgroup stalled waiting for " + r[0] + " (" + r[1] + " full total).");
        }
        p.family("corral_daemon_configuration_inactive", "gauge", "1 for each org.corral.daemon configuration that"
                + " has no daemon: invalid, its name taken by another, or not started yet.");
        p.family("corral_containment_mode", "gauge",
                "How programs are contained here: 1 for the mode in force, 0 for the others.");
        p.family("corral_helpers_running", "gauge", "Native helper processes running programs now.");
        p.family("corral_runs_total", "counter", "One-shot runs (ProcessService.run and runAsync) that ended, by result.");

        for (DaemonView d : daemons) {
            p.sample("corral_daemon_up", d.up() ? 1 : 0, "name", d.name());
        }
        for (DaemonView d : daemons) {
            for (DaemonState s : DaemonState.values()) {
                p.sample("corral_daemon_state", s == d.state() ? 1 : 0, "name", d.name(), "state", s.name());
            }
        }
        for (DaemonView d : daemons) {
            if (d.up()) {
                d.startedAt().ifPresent(t -> p.sample("corral_daemon_start_time_seconds",
                        PromText.epochSeconds(t.toEpochMilli()), "name", d.name()));
            }
        }
        for (DaemonView d : daemons) {
            p.sample("corral_daemon_restarts_total", d.restarts(), "name", d.name());
        }
        for (DaemonView d : daemons) {
            d.lastExit().ifPresent(x -> {
                p.sample("corral_daemon_last_exit_code", DaemonView.exitStatus(x), "name", d.name());
                p.sample("corral_daemon_last_exit_timestamp_seconds", PromText.epochSeconds(x.at().toEpochMilli()),
                        "name", d.name());
            });
        }
        for (DaemonView d : daemons) {
            p.sample("corral_daemon_stdout_bytes_total", d.stdoutBytes(), "name", d.name());
            p.sample("corral_daemon_stderr_bytes_total", d.stderrBytes(), "name", d.name());
        }
        for (DaemonView d : daemons) {
            if (d.stats().isEmpty()) {
                continue;
            }
            CgroupStats s = d.stats().get();
            gauge(p, "corral_daemon_memory_current_bytes", d.name(), s.memoryCurrent());
            gauge(p, "corral_daemon_memory_peak_bytes", d.name(), s.memoryPeak());
            s.cpuUsageMicros().ifPresent(us -> p.sample("corral_daemon_cpu_usage_seconds_total", PromText.seconds(us),
                    "name", d.name()));
            gauge(p, "corral_daemon_pids_current", d.name(), s.pidsCurrent());
            s.flat("memory.events", "oom_kill").ifPresent(n -> p.sample("corral_daemon_oom_kills_total", n,
                    "name", d.name()));
            for (String[] r : PSI) {
                Optional<CgroupValue.Pressure> psi = s.pressure(r[1]);
                if (psi.isPresent()) {
                    psi.get().someLine().ifPresent(l -> p.sample("corral_daemon_pressure_" + r[0]
                            + "_waiting_seconds_total", PromText.seconds(l.totalMicros()), "name", d.name()));
                    psi.get().fullLine().ifPresent(l -> p.sample("corral_daemon_pressure_" + r[0]
                            + "_stalled_seconds_total", PromText.seconds(l.totalMicros()), "name", d.name()));
                }
            }
        }
        for (ConfigView c : inactive) {
            p.sample("corral_daemon_configuration_inactive", 1, "name", c.name());
        }
        engine.ifPresent(e -> {
            for (Containment.Mode m : Containment.Mode.values()) {
                p.sample("corral_containment_mode", m == e.mode() ? 1 : 0, "mode", m.name());
            }
            p.sample("corral_helpers_running", e.helpersRunning());
            for (SupervisorStatus.RunResult r : SupervisorStatus.RunResult.values()) {
                p.sample("corral_runs_total", e.runs().getOrDefault(r, 0L), "result", r.name().toLowerCase(java.util.Locale.ROOT));
            }
        });
        return p.render();
    }

    /**
     * One daemon per name: two configurations may claim one name (the second is INVALID), and Prometheus refuses a
     * scrape with two series of the same labels. The daemon that is not INVALID is kept.
     */
    static List<DaemonView> onePerName(List<DaemonView> daemons) {
        java.util.Map<String, DaemonView> byName = new java.util.LinkedHashMap<>();
        for (DaemonView d : daemons) {
            DaemonView had = byName.get(d.name());
            if (had == null || (had.state() == DaemonState.INVALID && d.state() != DaemonState.INVALID)) {
                byName.put(d.name(), d);
            }
        }
        return List.copyOf(byName.values());
    }

    private static void gauge(PromText p, String family, String name, OptionalLong v) {
        // memory.max and friends read "max" as Long.MAX_VALUE; the figures here are never "max"
        if (v.isPresent() && v.getAsLong() != Long.MAX_VALUE) {
            p.sample(family, v.getAsLong(), "name", name);
        }
    }
}
