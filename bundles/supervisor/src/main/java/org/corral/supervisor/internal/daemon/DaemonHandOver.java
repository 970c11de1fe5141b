package org.corral.supervisor.internal.daemon;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.corral.api.DaemonExit;
import org.corral.api.DaemonState;
import org.corral.supervisor.internal.engine.HandOff;

/**
 * What one supervisor version gives the next about a daemon when the supervisor bundle is updated or
 * refreshed: its identity and counters, and (when its program was running) the detached program
 * ({@link HandOff}). Written to and read from the hand-over file by {@link HandOverFile}.
 *
 * @param name the daemon's name (the key the next version's configuration is matched by)
 * @param state the state it was in; RUNNING/READY with a program, STOPPED/FAILED to stay down, anything else
 *     to be started again
 * @param restarts the restart counter
 * @param doneStdout stdout bytes of its earlier programs (the running one's count is in the hand-off)
 * @param doneStderr stderr bytes of its earlier programs
 * @param startedAt when the running program started, if any
 * @param lastExit how its previous program ended, if any
 * @param oomPath the cgroup whose OOM kills were counted last, or null
 * @param oomKills the count seen there
 * @param fingerprint {@link SupervisedDaemon#programFingerprint} of the program spec it ran
 * @param killSignal the kill signal number of that spec (to stop the program if nobody claims it)
 * @param graceMs the grace of that spec
 * @param executable the program file (for messages)
 * @param program the detached program, or null when none is handed over
 * @param stdoutTail the partial last stdout line (bytes without a newline yet)
 * @param stderrTail the partial last stderr line
 * @param recent the recent output lines
 */
public record DaemonHandOver(String name, DaemonState state, int restarts, long doneStdout, long doneStderr,
        Instant startedAt, DaemonExit lastExit, String oomPath, long oomKills, String fingerprint, int killSignal,
        long graceMs, String executable, HandOff program, byte[] stdoutTail, byte[] stderrTail,
        List<RecentLines.Line> recent) {

    public DaemonHandOver {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        stdoutTail = stdoutTail == null ? new byte[0] : stdoutTail;
        stderrTail = stderrTail == null ? new byte[0] : stderrTail;
        recent = recent == null ? List.of() : List.copyOf(recent);
    }

    /** The same without a program (it could not be detached, or ended meanwhile): the next version starts it. */
    public DaemonHandOver withoutProgram(DaemonState newState) {
        return new DaemonHandOver(name, newState, restarts, doneStdout, doneStderr, null, lastExit, oomPath, oomKills,
                fingerprint, killSignal, graceMs, executable, null, new byte[0], new byte[0], recent);
    }

    public Optional<HandOff> handOff() {
        return Optional.ofNullable(program);
    }
}
