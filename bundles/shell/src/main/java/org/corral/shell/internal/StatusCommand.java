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
            DaemonSpec spec = d.spec();
            CommandSpec cmd = spec.command();
            out.println(e.name + "  " + d.state());
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
            spec.beforeStart().ifPresent(h -> row(out, "pre-start", h.command().map(c -> Format.argv(c.argv()))
                    .orElse("a Java call") + ", timeout " + Format.setting(h.timeout())));
            if (!spec.dependsOn().isEmpty()) {
                row(out, "depends on", String.join(", ", spec.dependsOn()));
            }
            row(out, "kill", cmd.killSignal() + ", then SIGKILL after " + Format.setting(cmd.grace()));
            row(out, "cgroup", d.cgroupPath().orElse(Format.NONE));
            d.limits().filter(l -> !l.isEmpty()).ifPresent(l -> row(out, "limits", l.files().entrySet().stream()
                    .map(f -> f.getKey() + "=" + f.getValue()).reduce((a, b) -> a + ", " + b).orElse("")));
            row(out, "output", "stdout " + Format.bytes(d.stdoutBytes()) + " (logged at " + spec.stdoutLevel()
                    + "), stderr " + Format.bytes(d.stderrBytes()) + " (logged at " + spec.stderrLevel()
                    + "), logger org.corral.daemon." + e.name);
            configuration(out, e);
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

    private void configuration(PrintStream out, Daemons.Entry e) throws Exception {
        if (configAdmin == null) {
            row(out, "config", "(Config Admin is not running)");
            return;
        }
        Optional<Configuration> c = DaemonConfigs.find(configAdmin, e.name);
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
}
