package org.corral.supervisor.internal.engine;

import java.time.Duration;

/**
 * One-shot timers run on the engine's IO thread, from a timer heap checked on every selector wake-up: no
 * thread per timer, no polling. Tasks must be short and must not block (hand longer work to
 * {@link Engine#controlExecutor()} or {@link Engine#deliverExecutor()}). A task that throws is logged and does not disturb the engine.
 */
public interface Timers {

    /**
     * Runs {@code task} once after {@code delay} (zero or negative: as soon as possible). Thread-safe.
     *
     * @return a handle to cancel it
     */
    Timer schedule(Duration delay, Runnable task);

    /** A scheduled task. */
    interface Timer {
        /**
         * Cancels the task if it has not started yet.
         *
         * @return true when it was cancelled before running
         */
        boolean cancel();
    }
}
