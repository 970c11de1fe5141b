package org.corral.api;

/** The life cycle of a supervised daemon. */
public enum DaemonState {
    /** The program is being started (or waits for the daemons it depends on). */
    STARTING,
    /** The program runs; its readiness check has not passed yet. */
    RUNNING,
    /** The program runs and its readiness check passed (or it has none). */
    READY,
    /** A stop was requested; the program and its descendants are being killed. */
    STOPPING,
    /** The program ended and will be restarted after the back-off delay. */
    BACKING_OFF,
    /** Restarted too often (intensity exceeded) or cannot start: stays down until started again or reconfigured. */
    FAILED,
    /** Stopped on request, or ended under a policy that does not restart it. */
    STOPPED,
    /**
     * Its configuration cannot run as it is ({@link Daemon#problems()} says why): a key with a bad value, a program
     * that does not exist, a daemon name another daemon holds, or a {@code depends.on} cycle. No program runs; it
     * starts by itself once the configuration is fixed, the name is free or the cycle is broken.
     *
     * @since 1.2
     */
    INVALID;

    /** Whether a program of this daemon may be running in this state. */
    public boolean isAlive() {
        return this == STARTING || this == RUNNING || this == READY || this == STOPPING;
    }
}
