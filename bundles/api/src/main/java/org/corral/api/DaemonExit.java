package org.corral.api;

import java.time.Instant;
import java.util.Optional;

/**
 * How a daemon's program last ended.
 *
 * @param pid the program's pid
 * @param exitCode the exit code, or -1 when a signal ended it
 * @param signal the terminating signal, if any
 * @param at when the end was reported
 * @param oomKilled whether the OOM killer struck in its cgroup
 * @param requested whether Corral stopped it (stop, restart, reconfiguration)
 */
public record DaemonExit(long pid, int exitCode, Optional<Signal> signal, Instant at, boolean oomKilled,
        boolean requested) {

    @Override
    public String toString() {
        return signal.map(s -> "killed by " + s).orElse("exit " + exitCode) + (oomKilled ? " (OOM)" : "")
                + (requested ? " (requested)" : "");
    }
}
