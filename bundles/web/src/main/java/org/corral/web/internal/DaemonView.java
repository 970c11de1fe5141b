package org.corral.web.internal;

import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.Optional;
import java.util.OptionalLong;

import org.corral.api.CgroupStats;
import org.corral.api.Daemon;
import org.corral.api.DaemonConfigValidator;
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
 * @param problems what is wrong with its configuration ({@link Daemon#problems()}), as text
 * @param waitingFor the daemons it waits for while STARTING
 * @param configuration the PID of the configuration it comes from, if any
 */
record DaemonView(String name, DaemonState state, OptionalLong pid, OptionalLong helperPid, Optional<Instant> startedAt,
        int restarts, Optional<DaemonExit> lastExit, long stdoutBytes, long stderrBytes, Optional<CgroupStats> stats,
        List<String> problems, List<String> waitingFor, Optional<String> configuration) {

    DaemonView {
        problems = List.copyOf(problems);
        waitingFor = List.copyOf(waitingFor);
    }

    /** A daemon without problems, not waiting, of no configuration. */
    DaemonView(String name, DaemonState state, OptionalLong pid, OptionalLong helperPid, Optional<Instant> startedAt,
            int restarts, Optional<DaemonExit> lastExit, long stdoutBytes, long stderrBytes,
            Optional<CgroupStats> stats) {
        this(name, state, pid, helperPid, startedAt, restarts, lastExit, stdoutBytes, stderrBytes, stats, List.of(),
                List.of(), Optional.empty());
    }

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
                d.stdoutBytes(), d.stderrBytes(), stats, d.problems().stream().map(DaemonConfigValidator.Problem::text)
                        .collect(Collectors.toList()), d.waitingFor(), Optional.empty());
    }

    /** This view with the configuration its service names ({@code daemon.configuration}). */
    DaemonView withConfiguration(Object pid) {
        return pid == null ? this : new DaemonView(name, state, this.pid, helperPid, startedAt, restarts, lastExit,
                stdoutBytes, stderrBytes, stats, problems, waitingFor, Optional.of(pid.toString()));
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
