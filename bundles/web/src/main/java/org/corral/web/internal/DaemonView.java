package org.corral.web.internal;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

import org.corral.api.CgroupStats;
import org.corral.api.Daemon;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonState;

/**
 * One daemon as read once for a page or a scrape, so that every figure of a row comes from the same moment.
 *
 * @param name the daemon's name
 * @param state its state
 * @param pid the program's pid while it runs
 * @param helperPid the helper's pid while the program runs
 * @param startedAt when the current program started
 * @param restarts restarts since the daemon was started
 * @param lastExit how the program last ended
 * @param stdoutBytes output bytes received on stdout
 * @param stderrBytes output bytes received on stderr
 * @param stats the cgroup statistics, when the program runs in a cgroup
 */
record DaemonView(String name, DaemonState state, OptionalLong pid, OptionalLong helperPid, Optional<Instant> startedAt,
        int restarts, Optional<DaemonExit> lastExit, long stdoutBytes, long stderrBytes, Optional<CgroupStats> stats) {

    /** Reads {@code d}; its statistics only when {@code withStats} (they cost a few file reads). */
    static DaemonView of(String name, Daemon d, boolean withStats) {
        Optional<CgroupStats> stats = Optional.empty();
        if (withStats) {
            try {
                stats = d.stats();
            } catch (RuntimeException e) {
                // the cgroup went away between the check and the read (the program ended): no statistics
            }
        }
        return new DaemonView(name, d.state(), d.pid(), d.helperPid(), d.startedAt(), d.restarts(), d.lastExit(),
                d.stdoutBytes(), d.stderrBytes(), stats);
    }

    /** Whether the program runs (a pid is known and the state allows one). */
    boolean up() {
        return pid.isPresent() && state.isAlive();
    }

    /** The shell's view of the last exit: the exit code, or 128 + the signal's number. */
    static int exitStatus(DaemonExit x) {
        return x.signal().map(s -> 128 + s.number()).orElse(x.exitCode());
    }
}
