package org.corral.shell.internal;

import java.time.Duration;
import java.time.Instant;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.corral.api.CgroupStats;
import org.corral.api.Daemon;
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
                        Format.bytes(Format.memoryCurrent(stats)), Format.cpuMicros(Format.cpuUsageMicros(stats)));
            }
        }
        table.print(System.out, !noFormat);
        return null;
    }
}
