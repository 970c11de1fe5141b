package org.corral.shell.internal;

import java.io.PrintStream;
import java.nio.file.FileSystems;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.Map;
import java.util.TreeMap;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;

/** {@code corral:stats <name> [files]}: the daemon's cgroup statistics. */
@Command(scope = "corral", name = "stats", description = "Shows the cgroup statistics of a running daemon: every"
        + " readable interface file (memory.current, memory.peak, memory.events, cpu.stat, pids.current,"
        + " *.pressure, ...), parsed.")
@Service
public class StatsCommand extends DaemonCommand {

    @Argument(index = 1, name = "files", description = "Only files matching this glob, e.g. 'memory.*' or cpu.stat")
    String files;

    @Option(name = "-r", aliases = "--raw", description = "Print each file's text as the kernel wrote it")
    boolean raw;

    @Override
    public Object execute() throws Exception {
        PathMatcher matcher = files == null ? null : FileSystems.getDefault().getPathMatcher("glob:" + files);
        PrintStream out = System.out;
        onDaemon(e -> {
            if (!e.daemon.state().isAlive()) {
                throw Commands.error("corral: daemon '" + e.name + "' is " + e.daemon.state()
                        + ": no cgroup to read (statistics exist while it runs)");
            }
            CgroupStats stats = e.daemon.stats().orElseThrow(() -> Commands.error("corral: daemon '" + e.name
                    + "' runs without a cgroup (see corral:doctor): no statistics"));
            out.println("cgroup " + stats.path());
            Map<String, CgroupValue> sorted = new TreeMap<>(stats.files());
            int shown = 0;
            for (Map.Entry<String, CgroupValue> f : sorted.entrySet()) {
                if (matcher != null && !matcher.matches(Paths.get(f.getKey()))) {
                    continue;
                }
                shown++;
                if (raw) {
                    out.println(f.getKey() + ":");
                    for (String l : f.getValue().raw().split("\n", -1)) {
                        out.println("  " + l);
                    }
                } else {
                    for (String l : Format.cgroupValue(f.getKey(), f.getValue())) {
                        out.println("  " + l);
                    }
                }
            }
            if (shown == 0 && matcher != null) {
                throw Commands.error("corral: no statistics file of '" + e.name + "' matches '" + files
                        + "' (files: " + String.join(", ", sorted.keySet()) + ")");
            }
        });
        return null;
    }
}
