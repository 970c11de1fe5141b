package org.corral.shell.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.corral.api.CgroupStats;
import org.corral.api.Daemon;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonState;
import org.osgi.framework.BundleContext;

/** {@code corral:list}: one row per daemon. */
@Command(scope = "corral", name = "list", description = "Lists the supervised daemons: state, pid, uptime,"
        + " restarts, memory and cpu time of their cgroup.")
@Service
public class ListCommand implements Action {

    @Option(name = "--no-format", description = "Plain output without table borders (for scripts)")
    boolean noFormat;

    @Reference
    BundleContext context;

    @Override
    public Object execute() throws Exception {
        ShellTable table = new ShellTable();
        table.column("Name");
        table.column("State");
        table.column("PID").alignRight();
        table.column("Uptime").alignRight();
        table.column("Restarts").alignRight();
        table.column("Memory").alignRight();
        table.column("CPU").alignRight();
        table.column("Note");
        table.emptyTableText("no daemons (drop an etc/org.corral.daemon-<name>.cfg file or use corral:create)");
        try (Daemons daemons = new Daemons(context)) {
            Instant now = Instant.now();
            for (Daemons.Entry e : daemons.all()) {
                Daemon d = e.daemon;
                CgroupStats stats = null;
                try {
                    stats = d.state().isAlive() ? d.stats().orElse(null) : null;
                } catch (RuntimeException ex) {
                    // the cgroup went away between the state and the read: show no figures
                }
                String uptime = d.state().isAlive()
                        ? d.startedAt().map(t -> Format.duration(Duration.between(t, now))).orElse(Format.NONE)
                        : Format.NONE;
                table.addRow().addContent(e.name, d.state(), Format.pid(d.pid()), uptime, d.restarts(),
                        Format.bytes(Format.memoryCurrent(stats)), Format.cpuMicros(Format.cpuUsageMicros(stats)),
                        note(context, e.name, d));
            }
        }
        table.print(System.out, !noFormat);
        return null;
    }

    /** The longest note a row gets; {@code corral:status NAME} shows it all. */
    static final int NOTE_MAX = 100;

    /**
     * What an operator must know about a daemon's row: why it is INVALID (its first problem), what it waits for
     * while STARTING, or that an edit of its configuration was refused while it runs on. Empty otherwise.
     */
    static String note(BundleContext context, String name, Daemon d) {
        List<DaemonConfigValidator.Problem> problems = d.problems();
        String note = "";
        if (d.state() == DaemonState.INVALID && !problems.isEmpty()) {
            note = problems.get(0).text() + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "");
        } else if (!problems.isEmpty()) {
            note = "configuration refused, runs the previous one: " + problems.get(0).text();
        } else if (d.state() == DaemonState.STARTING && !d.waitingFor().isEmpty()) {
            note = "waits for " + d.waitingFor().stream().map(n -> Daemons.dependency(context, n))
                    .collect(Collectors.joining(", "));
        }
        note = Format.text(note);
        return note.length() <= NOTE_MAX ? note : note.substring(0, NOTE_MAX - 1) + "\u2026 (corral:status " + name + ")";
    }
}
