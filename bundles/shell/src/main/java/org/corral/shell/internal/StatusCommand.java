package org.corral.shell.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.StdoutMode;
import org.osgi.service.cm.Configuration;

/** {@code corral:status <name>}: everything about one daemon. */
@Command(scope = "corral", name = "status", description = "Shows one daemon: state, pids, restarts, last exit,"
        + " restart policy, readiness, cgroup and limits, its configuration and its recent output lines.")
@Service
public class StatusCommand extends DaemonCommand {

    @Reference(optional = true)
    DaemonConfigValidator validator;

    @Option(name = "-n", aliases = "--lines", description = "How many recent output lines to show (default 10)")
    int lines = 10;

    @Override
    public Object execute() throws Exception {
        lines(lines);
        PrintStream out = System.out;
        onDaemon(e -> {
            Daemon d = e.daemon;
            if (d.state() == DaemonState.INVALID && d.problems().stream().noneMatch(p -> p.key().equals("depends.on"))) {
                invalid(out, e);
                return;
            }
            DaemonSpec spec = d.spec();
            CommandSpec cmd = spec.command();
            out.println(e.name + "  " + d.state());
            problems(out, d);
            if (!d.waitingFor().isEmpty()) {
                row(out, "waiting for", d.waitingFor().stream().map(n -> Daemons.dependency(context, n))
                        .collect(java.util.stream.Collectors.joining(", ")));
            }
            row(out, "command", Format.shownArgv(cmd.argv()));
            cmd.directory().ifPresent(dir -> row(out, "directory", dir.toString()));
            cmd.user().ifPresent(u -> row(out, "user", u + cmd.group().map(g -> ":" + g).orElse("")));
            if (d.pid().isPresent()) {
                String since = d.startedAt().map(t -> ", up " + Format.duration(Duration.between(t, Instant.now()))
                        + " since " + t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).orElse("");
                row(out, "pid", d.pid().getAsLong() + d.helperPid().stream().mapToObj(h -> " (helper " + h + ")")
                        .findFirst().orElse("") + since);
            } else {
                row(out, "pid", Format.NONE);
            }
            row(out, "restarts", d.restarts() + "  (policy " + spec.restart().name().toLowerCase()
                    + ", delay " + Format.setting(spec.restartDelay()) + " x" + spec.backoffFactor() + " up to "
                    + Format.setting(spec.maxRestartDelay()) + ", FAILED after more than " + spec.maxRestarts()
                    + " in " + Format.setting(spec.restartWindow()) + ")");
            if (!spec.successExitStatus().isEmpty()) {
                row(out, "clean exits", "0 " + spec.successExitStatus() + "  (success.exit.status)");
            }
            if (!spec.restartPreventExitStatus().isEmpty()) {
                row(out, "no restart", spec.restartPreventExitStatus() + "  (restart.prevent.exit.status)");
            }
            row(out, "last exit", d.lastExit().map(x -> x + (spec.isCleanExit(x) ? "" : ", a failure") + " (pid "
                    + x.pid() + ") at " + x.at()).orElse(Format.NONE));
            row(out, "readiness", spec.readiness().toString() + ", timeout " + Format.setting(spec.readiness().timeout()));
            if (!spec.watchdog().isZero()) {
                row(out, "watchdog", Format.setting(spec.watchdog()) + " (sd_notify WATCHDOG=1; then SIGABRT)");
            }
            d.statusText().ifPresent(t -> row(out, "status", t));
            spec.beforeStart().ifPresent(h -> row(out, "pre-start", h.command().map(c -> Format.argv(c.argv()))
                    .orElse("a Java call") + ", timeout " + Format.setting(h.timeout())));
            if (!spec.dependsOn().isEmpty()) {
                row(out, "depends on", String.join(", ", spec.dependsOn()));
            }
            row(out, "kill", cmd.killSignal() + ", then SIGKILL after " + Format.setting(cmd.grace()));
            if (cmd.usesHardening()) {
                row(out, "hardening", hardening(cmd));
            }
            row(out, "cgroup", d.cgroupPath().orElse(Format.NONE));
            d.limits().filter(l -> !l.isEmpty()).ifPresent(l -> row(out, "limits", l.files().entrySet().stream()
                    .map(f -> f.getKey() + "=" + f.getValue()).reduce((a, b) -> a + ", " + b).orElse("")));
            row(out, "output", output(d, spec) + ", logger org.corral.daemon." + e.name);
            configuration(out, e);
            others(out, e);
            if (lines > 0) {
                List<String> recent = d.recentLines(lines);
                out.println("recent output (" + recent.size() + (recent.size() == 1 ? " line" : " lines") + "):");
                for (String l : recent) {
                    out.println("  " + l);
                }
            }
        });
        return null;
    }

    /**
     * A configuration that cannot run: every problem (each names its key, as the log's ERROR line does), its file
     * and its keys; nothing runs, so there is no pid, restart or output to show.
     */
    private void invalid(PrintStream out, Daemons.Entry e) throws Exception {
        out.println(e.name + "  INVALID  (its configuration cannot run; nothing runs from it)");
        problems(out, e.daemon);
        configuration(out, e);
        others(out, e);
    }

    /** One row per problem: why it is INVALID, or why the last edit of its configuration was refused. */
    private static void problems(PrintStream out, Daemon d) {
        List<DaemonConfigValidator.Problem> problems = d.problems();
        if (problems.isEmpty()) {
            return;
        }
        String label = d.state() == DaemonState.INVALID ? "problems" : "refused edit";
        if (d.state() != DaemonState.INVALID) {
            row(out, label, "the last edit of its configuration was refused; it runs with the previous one:");
            label = "";
        }
        for (DaemonConfigValidator.Problem p : problems) {
            row(out, label, Format.text(p.text()));
            label = "";
        }
    }

    /** The other configurations that claim this daemon's name (each INVALID), with their first problem. */
    private void others(PrintStream out, Daemons.Entry e) {
        try (Daemons daemons = new Daemons(context)) {
            for (Daemons.Entry o : daemons.others(e)) {
                Object pid = o.ref.getProperty(Daemon.PROP_CONFIGURATION);
                row(out, "also named", (pid == null ? "a daemon" : "configuration " + pid) + ", " + o.daemon.state()
                        + o.daemon.problems().stream().findFirst().map(p -> ": " + Format.text(p.text())).orElse(""));
            }
        }
    }

    private void configuration(PrintStream out, Daemons.Entry e) throws Exception {
        if (configAdmin == null) {
            row(out, "config", "(Config Admin is not running)");
            return;
        }
        Object pidOfService = e.ref.getProperty(Daemon.PROP_CONFIGURATION);
        Optional<Configuration> c = pidOfService != null
                ? Optional.ofNullable(configAdmin.listConfigurations("(service.pid=" + pidOfService + ")"))
                        .filter(a -> a.length > 0).map(a -> a[0])
                : DaemonConfigs.find(configAdmin, e.name);
        if (c.isEmpty()) {
            Object bundle = e.ref.getBundle() == null ? "?" : e.ref.getBundle().getSymbolicName();
            row(out, "config", "none: started programmatically by bundle " + bundle);
            return;
        }
        Map<String, Object> props = DaemonConfigs.toMap(c.get().getProperties());
        row(out, "config", c.get().getPid() + DaemonConfigs.fileOf(props).map(f -> "  (" + f + ")").orElse(""));
        for (String line : DaemonConfigs.shownKeys(props, validator, Roles.currentUserHas(Roles.ADMIN))) {
            out.println("                " + line);
        }
    }

    private static void row(PrintStream out, String label, String value) {
        out.printf("  %-12s  %s%n", label, value);
    }

    /** The hardening settings of a program in the words of its configuration keys, e.g. {@code nice -5, umask 0027}. */
    /** Where each stream goes and how much of it came: "stdout discarded (/dev/null), stderr 10 B (logged at WARN)". */
    static String output(Daemon d, DaemonSpec spec) {
        CommandSpec cmd = spec.command();
        String out = cmd.stdoutMode() == StdoutMode.DISCARD ? "stdout discarded (/dev/null)"
                : "stdout " + Format.bytes(d.stdoutBytes()) + " (logged at " + spec.stdoutLevel() + ")";
        String err;
        switch (cmd.stderrMode()) {
            case MERGE:
                err = "stderr merged into stdout";
                break;
            case DISCARD:
                err = "stderr discarded (/dev/null)";
                break;
            default:
                err = "stderr " + Format.bytes(d.stderrBytes()) + " (logged at " + spec.stderrLevel() + ")";
        }
        return out + ", " + err;
    }

    static String hardening(CommandSpec cmd) {
        List<String> parts = new java.util.ArrayList<>();
        if (cmd.noNewPrivileges()) {
            parts.add("no.new.privileges");
        }
        cmd.capabilities().ifPresent(c -> parts.add("capabilities " + (c.isEmpty() ? "none"
                : c.stream().map(org.corral.api.Capability::capName).collect(java.util.stream.Collectors.joining(",")))));
        cmd.rlimits().forEach((r, l) -> parts.add("rlimit." + r.key() + " " + l));
        cmd.nice().ifPresent(n -> parts.add("nice " + n));
        cmd.oomScoreAdj().ifPresent(n -> parts.add("oom.score.adj " + n));
        cmd.umask().ifPresent(m -> parts.add(String.format("umask %04o", m)));
        return String.join(", ", parts);
    }
}
