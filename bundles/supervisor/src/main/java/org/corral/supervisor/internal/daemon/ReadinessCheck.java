package org.corral.supervisor.internal.daemon;

import java.time.Duration;
import java.util.function.Consumer;

import org.corral.api.Readiness;
import org.corral.supervisor.internal.engine.Timers;

/**
 * The readiness check of one program run, one small class per kind of {@link Readiness}: it calls its callback
 * once when the check passes, and never after {@link #cancel()}. Checks that wait run on the engine's
 * {@link Timers} (no thread of their own); the shell bounds them with the check's timeout.
 */
abstract class ReadinessCheck {

    private final Consumer<String> passed;
    private volatile boolean done;

    /** @param passed called once with a description of what passed (null: there was nothing to check) */
    ReadinessCheck(Consumer<String> passed) {
        this.passed = passed;
    }

    /** The check for {@code r}. */
    static ReadinessCheck of(Readiness r, Timers timers, Consumer<String> passed) {
        switch (r.kind()) {
            case LOG_LINE:
                return new LogLineCheck(LinePattern.compile(r.pattern().orElseThrow().pattern()), passed);
            case TCP_PORT:
                return new TcpPortCheck(r.port().getAsInt(), timers, passed);
            case FILE:
                return new FileCheck(r.file().orElseThrow(), timers, passed);
            case NOTIFY:
                return new NotifyCheck(passed);
            default:
                return new Immediate(passed);
        }
    }

    /** Starts checking (the program was spawned). */
    abstract void start();

    /** A line of the program's output (stdout or stderr). */
    void line(String text) {
    }

    /** Stops checking: the callback is not called any more. Idempotent. */
    void cancel() {
        done = true;
        cancelled();
    }

    /** Releases what a check holds (a pending connection). */
    void cancelled() {
    }

    /** Whether the check still runs. */
    final boolean active() {
        return !done;
    }

    /** The check passed: calls the callback, once. */
    final void pass(String how) {
        if (!done) {
            done = true;
            passed.accept(how);
        }
    }

    /** Schedules {@code task}; a closed engine schedules nothing (the daemon is being stopped anyway). */
    static void schedule(Timers timers, Duration delay, Runnable task) {
        try {
            timers.schedule(delay, task);
        } catch (RuntimeException e) {
            // the engine is closed: nothing is checked any more
        }
    }

    /** A check that looks again and again on the engine's timers until it passes or is cancelled. */
    abstract static class Probing extends ReadinessCheck {
        private final Timers timers;

        Probing(Timers timers, Consumer<String> passed) {
            super(passed);
            this.timers = timers;
        }

        @Override
        final void start() {
            later(Duration.ZERO, () -> probe(0));
        }

        /** Looks once ({@code attempt} counts from 0); calls {@link #pass} or {@link #later}. */
        abstract void probe(int attempt);

        /** Runs {@code task} after {@code delay} on the timers, unless the check is over by then. */
        final void later(Duration delay, Runnable task) {
            schedule(timers, delay, () -> {
                if (active()) {
                    task.run();
                }
            });
        }

        /** Runs {@code task} after {@code delay} on the timers, also when the check is over (to release what it holds). */
        final void always(Duration delay, Runnable task) {
            schedule(timers, delay, task);
        }
    }

    /** No check: ready as soon as it runs. */
    static final class Immediate extends ReadinessCheck {
        Immediate(Consumer<String> passed) {
            super(passed);
        }

        @Override
        void start() {
            pass(null);
        }
    }
}
