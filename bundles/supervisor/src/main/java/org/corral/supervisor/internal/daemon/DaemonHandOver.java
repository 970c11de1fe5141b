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
 * ({@link HandOff}). Written to and read from the hand-over file by {@link HandOverFile}. Start from
 * {@link #of} and add the rest with the {@code with...} methods.
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
 * @param fingerprint {@link ProgramIdentity#fingerprint()} of the program spec it ran
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
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(executable, "executable");
        stdoutTail = stdoutTail == null ? new byte[0] : stdoutTail;
        stderrTail = stderrTail == null ? new byte[0] : stderrTail;
        recent = recent == null ? List.of() : List.copyOf(recent);
    }

    /**
     * A daemon in {@code state} whose program spec had {@code fingerprint}, {@code killSignal} (number) and
     * {@code graceMs}, running {@code executable}; no counters, output or program yet.
     */
    public static DaemonHandOver of(String name, DaemonState state, String fingerprint, int killSignal, long graceMs,
            String executable) {
        return new DaemonHandOver(name, state, 0, 0, 0, null, null, null, 0, fingerprint, killSignal, graceMs,
                executable, null, null, null, null);
    }

    public DaemonHandOver withState(DaemonState newState) {
        return new Copy(this).state(newState).build();
    }

    /** The restart counter and the byte counts of the earlier programs. */
    public DaemonHandOver withCounters(int newRestarts, long newDoneStdout, long newDoneStderr) {
        return new Copy(this).counters(newRestarts, newDoneStdout, newDoneStderr).build();
    }

    /** When the running program started (null: none), and how the previous one ended (null: none). */
    public DaemonHandOver withRun(Instant newStartedAt, DaemonExit newLastExit) {
        return new Copy(this).run(newStartedAt, newLastExit).build();
    }

    /** The cgroup whose OOM kills were counted last (null: none) and that count. */
    public DaemonHandOver withOom(String newOomPath, long newOomKills) {
        return new Copy(this).oom(newOomPath, newOomKills).build();
    }

    /** The detached program and the partial last lines of its streams. */
    public DaemonHandOver withProgram(HandOff handOff, byte[] newStdoutTail, byte[] newStderrTail) {
        return new Copy(this).program(handOff, newStdoutTail, newStderrTail).build();
    }

    public DaemonHandOver withRecent(List<RecentLines.Line> lines) {
        return new Copy(this).recent(lines).build();
    }

    /** The same without a program (it could not be detached, or ended meanwhile): the next version starts it. */
    public DaemonHandOver withoutProgram(DaemonState newState) {
        return new Copy(this).state(newState).run(null, lastExit).program(null, null, null).build();
    }

    public Optional<HandOff> handOff() {
        return Optional.ofNullable(program);
    }

    /** The one place that lists every component: what the withers change. */
    private static final class Copy {
        private final String name;
        private DaemonState state;
        private int restarts;
        private long doneStdout;
        private long doneStderr;
        private Instant startedAt;
        private DaemonExit lastExit;
        private String oomPath;
        private long oomKills;
        private final String fingerprint;
        private final int killSignal;
        private final long graceMs;
        private final String executable;
        private HandOff program;
        private byte[] stdoutTail;
        private byte[] stderrTail;
        private List<RecentLines.Line> recent;

        Copy(DaemonHandOver h) {
            name = h.name;
            state = h.state;
            restarts = h.restarts;
            doneStdout = h.doneStdout;
            doneStderr = h.doneStderr;
            startedAt = h.startedAt;
            lastExit = h.lastExit;
            oomPath = h.oomPath;
            oomKills = h.oomKills;
            fingerprint = h.fingerprint;
            killSignal = h.killSignal;
            graceMs = h.graceMs;
            executable = h.executable;
            program = h.program;
            stdoutTail = h.stdoutTail;
            stderrTail = h.stderrTail;
            recent = h.recent;
        }

        Copy state(DaemonState s) {
            state = s;
            return this;
        }

        Copy counters(int r, long out, long err) {
            restarts = r;
            doneStdout = out;
            doneStderr = err;
            return this;
        }

        Copy run(Instant started, DaemonExit exit) {
            startedAt = started;
            lastExit = exit;
            return this;
        }

        Copy oom(String path, long kills) {
            oomPath = path;
            oomKills = kills;
            return this;
        }

        Copy program(HandOff h, byte[] out, byte[] err) {
            program = h;
            stdoutTail = out;
            stderrTail = err;
            return this;
        }

        Copy recent(List<RecentLines.Line> lines) {
            recent = lines;
            return this;
        }

        DaemonHandOver build() {
            return new DaemonHandOver(name, state, restarts, doneStdout, doneStderr, startedAt, lastExit, oomPath,
                    oomKills, fingerprint, killSignal, graceMs, executable, program, stdoutTail, stderrTail, recent);
        }
    }
}
