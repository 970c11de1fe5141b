package org.corral.itests.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded waits for conditions that nothing notifies (a file's content, a process table). Each wait has a
 * bound so that a hang fails the test instead of blocking CI; the bound is a hang guard, not a
 * performance assertion, and is generous on purpose (shared 2-core machines).
 */
public final class Await {

    /** The default bound for anything that should happen "within seconds". */
    public static final Duration SECONDS = Duration.ofSeconds(30);

    private Await() {
    }

    /**
     * Waits until {@code condition} holds, checking every 50 ms.
     *
     * @param what what is awaited, for the failure message
     * @param details evaluated on failure only: the state that was seen (and log excerpts)
     */
    public static void until(String what, Duration bound, BooleanSupplier condition, Supplier<String> details) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("gave up after " + bound.toSeconds() + " s waiting for " + what
                        + (details == null ? "" : "\n" + details.get()));
            }
            sleep(50);
        }
    }

    public static void until(String what, Duration bound, BooleanSupplier condition) {
        until(what, bound, condition, null);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
