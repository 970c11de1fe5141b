package org.corral.supervisor.internal.daemon;

import java.util.function.Consumer;

/**
 * Ready when the program sends {@code READY=1} over sd_notify ({@link org.corral.api.Readiness#notifySocket()}). A
 * {@code READY=1} that comes before {@link #start()} (a datagram can be forwarded before the spawn is handled)
 * passes the check at the start, as {@link LogLineCheck} does with an early line.
 */
final class NotifyCheck extends ReadinessCheck {

    static final String HOW = "sd_notify READY=1";

    private boolean started;
    private boolean early;

    NotifyCheck(Consumer<String> passed) {
        super(passed);
    }

    @Override
    void start() {
        boolean ready;
        synchronized (this) {
            started = true;
            ready = early;
        }
        if (ready) {
            pass(HOW);
        }
    }

    /** The program sent {@code READY=1}. */
    void ready() {
        if (!active()) {
            return;
        }
        synchronized (this) {
            if (!started) {
                early = true;
                return;
            }
        }
        pass(HOW); // outside the lock: the callback takes the daemon's
    }
}
