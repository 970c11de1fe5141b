package org.corral.supervisor.internal.daemon;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;

import org.corral.api.DaemonSpec;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.corral.api.values.Values;

/**
 * Decides what happens when a daemon's program ends on its own or fails to start: restart after a
 * delay, stay stopped, or fail. Pure logic on a caller-supplied monotonic time; not thread-safe (the
 * daemon calls it under its lock).
 *
 * <ul>
 * <li><b>Policy</b>: {@code permanent} restarts every end; {@code transient} only an unclean one (an exit
 *     code other than 0 or a signal, unless {@code success.exit.status} lists it; a lost helper, a watchdog
 *     timeout); {@code temporary} none (the daemon is then STOPPED). An end whose status
 *     {@code restart.prevent.exit.status} lists is never restarted. A failed start (the program could not be
 *     started, its pre-start hook failed, or its readiness check did not pass in time) counts as an abnormal
 *     end; under {@code temporary} it makes the daemon FAILED.</li>
 * <li><b>Back-off</b>: the first restart waits {@code restart.delay}; each further consecutive one waits
 *     {@code restart.backoff} times longer, capped at {@code restart.delay.max}. A run that lasted at least
 *     {@code restart.delay.max} (the longest wait) counts as stable: the next restart waits
 *     {@code restart.delay} again.</li>
 * <li><b>Intensity</b>: when a restart is due but {@code intensity} restarts already happened within the
 *     last {@code intensity.period}, the daemon is FAILED instead (more than N restarts within T). It stays
 *     down until started by hand or reconfigured ({@link #reset()}).</li>
 * </ul>
 */
public final class RestartPlanner {

    /** What to do. */
    public enum Action { RESTART, STOP, FAIL }

    /**
     * A decision: the action, the delay before a restart, a reason for the log and events, and whether the end
     * was a failure (an unclean exit, a failed start, a lost program), which the log tells apart.
     */
    public record Decision(Action action, Duration delay, String reason, boolean failure) {
    }

    private DaemonSpec spec;
    private final Deque<Long> restartTimes = new ArrayDeque<>();
    private int consecutive;
    private long startedAt;
    private boolean running;

    public RestartPlanner(DaemonSpec spec) {
        this.spec = spec;
    }

    /** Uses new settings from now on; the history is kept (call {@link #reset()} to clear it). */
    public void update(DaemonSpec newSpec) {
        this.spec = newSpec;
    }

    /** Forgets the restart history and the back-off (manual start, reconfiguration). */
    public void reset() {
        restartTimes.clear();
        consecutive = 0;
        running = false;
    }

    /** The program was started at {@code nowNanos}. */
    public void started(long nowNanos) {
        startedAt = nowNanos;
        running = true;
    }

    /**
     * The program ended by itself at {@code nowNanos}: with {@code exitCode} when {@code signal} is null, else
     * killed by {@code signal} (one Corral did not send for a stop). systemd's rules: a status of
     * {@code restart.prevent.exit.status} is never restarted; {@code permanent} restarts every other end,
     * {@code transient} only an unclean one (not exit code 0, not in {@code success.exit.status}), {@code temporary}
     * none. The decision says whether the end was a failure (unclean).
     */
    public Decision ended(long nowNanos, int exitCode, Signal signal) {
        Optional<Signal> sig = Optional.ofNullable(signal);
        boolean clean = spec.isCleanExit(exitCode, sig);
        String how = signal != null ? "killed by " + signal : "exited with code " + exitCode;
        if (clean && (signal != null || exitCode != 0)) {
            how += " (a clean end: success.exit.status lists it)";
        }
        if (spec.restartPreventExitStatus().contains(exitCode, sig)) {
            running = false;
            return new Decision(Action.STOP, Duration.ZERO, how + "; restart.prevent.exit.status lists it: not restarted",
                    !clean);
        }
        boolean restart;
        switch (spec.restart()) {
            case PERMANENT:
                restart = true;
                break;
            case TRANSIENT:
                restart = !clean;
                break;
            default:
                restart = false;
        }
        if (!restart) {
            running = false;
            return new Decision(Action.STOP, Duration.ZERO, how + ", restart policy " + policy()
                    + " does not restart it", !clean);
        }
        return restart(nowNanos, how, !clean);
    }

    /**
     * The program ended without an exit status that Corral could read (its helper was lost), or Corral killed it
     * because it stopped answering (its watchdog): an abnormal end, restarted like one that a signal ended
     * ({@code permanent}, {@code transient}), not under {@code temporary}. Always a failure.
     */
    public Decision abnormalEnd(long nowNanos, String why) {
        if (spec.restart() == RestartPolicy.TEMPORARY) {
            running = false;
            return new Decision(Action.STOP, Duration.ZERO, why + ", restart policy " + policy()
                    + " does not restart it", true);
        }
        return restart(nowNanos, why, true);
    }

    /** The program could not be started, or its readiness check did not pass in time. */
    public Decision failedStart(long nowNanos, String why) {
        if (spec.restart() == RestartPolicy.TEMPORARY) {
            running = false;
            return new Decision(Action.FAIL, Duration.ZERO, why, true);
        }
        return restart(nowNanos, why, true);
    }

    /** Restarts counted in the current intensity window at {@code nowNanos}. */
    public int restartsInWindow(long nowNanos) {
        prune(nowNanos);
        return restartTimes.size();
    }

    /** The delay the next restart would wait if the program ended now, ignoring stability. */
    public Duration nextDelay() {
        return delay(consecutive);
    }

    private String policy() {
        return spec.restart().name().toLowerCase(Locale.ROOT);
    }

    private Decision restart(long nowNanos, String how, boolean failure) {
        if (running && nowNanos - startedAt >= spec.maxRestartDelay().toNanos()) {
            consecutive = 0;
        }
        running = false;
        prune(nowNanos);
        if (restartTimes.size() >= spec.maxRestarts()) {
            return new Decision(Action.FAIL, Duration.ZERO, how + "; restarted " + restartTimes.size()
                    + " times within " + fmt(spec.restartWindow()) + " (intensity " + spec.maxRestarts()
                    + " per " + fmt(spec.restartWindow()) + " exceeded)", true);
        }
        restartTimes.addLast(nowNanos);
        Duration d = delay(consecutive);
        consecutive++;
        return new Decision(Action.RESTART, d, how + ", restarting in " + fmt(d), failure);
    }

    private void prune(long nowNanos) {
        long window = spec.restartWindow().toNanos();
        while (!restartTimes.isEmpty() && nowNanos - restartTimes.peekFirst() >= window) {
            restartTimes.removeFirst();
        }
    }

    private Duration delay(int k) {
        double nanos = spec.restartDelay().toNanos() * Math.pow(spec.backoffFactor(), k);
        long cap = spec.maxRestartDelay().toNanos();
        if (!(nanos < cap)) {
            return spec.maxRestartDelay();
        }
        return Duration.ofNanos((long) nanos);
    }

    /** {@code 250ms}, {@code 2s}, {@code 1m}, {@code 2h}: as the configuration writes them ({@link Values#format}). */
    static String fmt(Duration d) {
        return Values.format(d);
    }
}
