package org.corral.supervisor.internal.daemon;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

import org.corral.api.DaemonSpec;
import org.corral.api.RestartPolicy;
import org.corral.api.values.Values;

/**
 * Decides what happens when a daemon's program ends on its own or fails to start: restart after a
 * delay, stay stopped, or fail. Pure logic on a caller-supplied monotonic time; not thread-safe (the
 * daemon calls it under its lock).
 *
 * <ul>
 * <li><b>Policy</b>: {@code permanent} restarts every end; {@code transient} only a non-zero exit or a
 *     signal (or a lost helper); {@code temporary} none (the daemon is then STOPPED). A failed start (the
 *     program could not be started, or its readiness check did not pass in time) counts as an abnormal end;
 *     under {@code temporary} it makes the daemon FAILED.</li>
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

    /** A decision: the action, the delay before a restart, and a reason for the log and events. */
    public record Decision(Action action, Duration delay, String reason) {
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

    /** The program ended by itself at {@code nowNanos}. */
    public Decision ended(long nowNanos, int exitCode, boolean signaled) {
        String how = signaled ? "killed by a signal" : "exited with code " + exitCode;
        if (!spec.restart().restarts(exitCode, signaled)) {
            running = false;
            return new Decision(Action.STOP, Duration.ZERO, how + ", restart policy "
                    + spec.restart().name().toLowerCase(java.util.Locale.ROOT) + " does not restart it");
        }
        return restart(nowNanos, how);
    }

    /**
     * The program ended without an exit status that Corral could read (its helper was lost): an abnormal end,
     * restarted like one that a signal ended ({@code permanent}, {@code transient}), not under
     * {@code temporary}.
     */
    public Decision abnormalEnd(long nowNanos, String why) {
        if (!spec.restart().restarts(-1, true)) {
            running = false;
            return new Decision(Action.STOP, Duration.ZERO, why + ", restart policy "
                    + spec.restart().name().toLowerCase(java.util.Locale.ROOT) + " does not restart it");
        }
        return restart(nowNanos, why);
    }

    /** The program could not be started, or its readiness check did not pass in time. */
    public Decision failedStart(long nowNanos, String why) {
        if (spec.restart() == RestartPolicy.TEMPORARY) {
            running = false;
            return new Decision(Action.FAIL, Duration.ZERO, why);
        }
        return restart(nowNanos, why);
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

    private Decision restart(long nowNanos, String how) {
        if (running && nowNanos - startedAt >= spec.maxRestartDelay().toNanos()) {
            consecutive = 0;
        }
        running = false;
        prune(nowNanos);
        if (restartTimes.size() >= spec.maxRestarts()) {
            return new Decision(Action.FAIL, Duration.ZERO, how + "; restarted " + restartTimes.size()
                    + " times within " + fmt(spec.restartWindow()) + " (intensity " + spec.maxRestarts()
                    + " per " + fmt(spec.restartWindow()) + " exceeded)");
        }
        restartTimes.addLast(nowNanos);
        Duration d = delay(consecutive);
        consecutive++;
        return new Decision(Action.RESTART, d, how + ", restarting in " + fmt(d));
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
