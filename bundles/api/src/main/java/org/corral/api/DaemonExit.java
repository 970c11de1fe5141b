package org.corral.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How a daemon's program last ended.
 *
 * @param pid the program's pid
 * @param exitCode the exit code, or -1 when a signal ended it or no status was reported
 * @param signal the terminating signal, if any
 * @param at when the end was reported
 * @param oomKilled whether the OOM killer struck in its cgroup
 * @param requested whether Corral stopped it on request (stop, restart, reconfiguration, removal): then
 *     {@code reason} is {@link Reason#STOPPED}
 * @param reason why it ended (since 1.1)
 */
public record DaemonExit(long pid, int exitCode, Optional<Signal> signal, Instant at, boolean oomKilled,
        boolean requested, Reason reason) {

    /**
     * Why a daemon's program ended. Only {@link #EXITED} and {@link #KILLED} are decided by the program
     * itself (its exit status or the signal that ended it); the restart policy looks at their status. The
     * others are decided by Corral: {@link #STOPPED} is never restarted, the rest are failures that the
     * restart policy treats as abnormal ends, whatever the status.
     *
     * @since 1.1
     */
    public enum Reason {
        /** The program exited by itself; {@link DaemonExit#exitCode()} holds its status. */
        EXITED,
        /** A signal that Corral did not send for a stop ended the program ({@link DaemonExit#signal()}). */
        KILLED,
        /** Corral stopped it on request (stop, restart, reconfiguration, removal). */
        STOPPED,
        /** Corral killed it because its readiness check did not pass within its timeout. */
        READINESS_TIMEOUT,
        /**
         * Its helper ended without reporting the exit (OOM killer, {@code kill -9}, crash): Corral killed the
         * program's whole tree. No exit status is known.
         */
        HELPER_LOST,
        /** The engine reported an error instead of the program's exit; no exit status is known. */
        LOST,
        /**
         * Corral killed it because its sd_notify watchdog expired: no {@code WATCHDOG=1} within
         * {@link DaemonSpec#watchdog()}, or {@code WATCHDOG=trigger} (SIGABRT first, then the kill signal and SIGKILL).
         *
         * @since 1.2
         */
        WATCHDOG
    }

    public DaemonExit {
        signal = signal == null ? Optional.empty() : signal;
        Objects.requireNonNull(reason, "reason");
    }

    /**
     * The form of version 1.0: the reason is {@link Reason#STOPPED} when {@code requested}, else
     * {@link Reason#KILLED} with a signal and {@link Reason#EXITED} without.
     */
    public DaemonExit(long pid, int exitCode, Optional<Signal> signal, Instant at, boolean oomKilled,
            boolean requested) {
        this(pid, exitCode, signal, at, oomKilled, requested, requested ? Reason.STOPPED
                : signal != null && signal.isPresent() ? Reason.KILLED : Reason.EXITED);
    }

    @Override
    public String toString() {
        String how;
        switch (reason) {
            case HELPER_LOST:
                how = "helper lost";
                break;
            case LOST:
                how = "lost";
                break;
            default:
                how = signal.map(s -> "killed by " + s).orElse("exit " + exitCode);
        }
        return how + (oomKilled ? " (OOM)" : "") + (requested ? " (requested)" : "")
                + (reason == Reason.READINESS_TIMEOUT ? " (readiness timeout)" : "")
                + (reason == Reason.WATCHDOG ? " (watchdog timeout)" : "");
    }
}
