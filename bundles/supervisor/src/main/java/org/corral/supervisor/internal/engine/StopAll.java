package org.corral.supervisor.internal.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Stop them all, then wait until one deadline": every stop starts at once, so stopping N programs or
 * daemons costs the longest grace, not the sum. Used by the engines' close, a {@code ProcessService}'s
 * close and a daemon supervisor's close.
 */
public final class StopAll {

    private static final Logger LOG = LoggerFactory.getLogger(StopAll.class);

    private StopAll() {
    }

    /**
     * Starts {@code stop} on every item, then waits for all of the returned futures until
     * {@code longest grace + margin} after the start. Waiting is not cut short by an interrupt (the flag is
     * kept): the bound is what keeps it short. A stop that throws or completes exceptionally counts as ended.
     *
     * @param items what to stop
     * @param stop starts the stop of one item; the future completes when it ended
     * @param grace the grace of one item (between its kill signal and SIGKILL)
     * @param margin the time allowed beyond the longest grace
     * @return the items that had not ended at the deadline (empty when all did)
     */
    public static <T> List<T> stopAndAwait(Collection<? extends T> items, Function<? super T, CompletableFuture<?>> stop,
            Function<? super T, Duration> grace, Duration margin) {
        List<T> all = new ArrayList<>(items);
        List<CompletableFuture<?>> ends = new ArrayList<>(all.size());
        Duration longest = Duration.ZERO;
        for (T item : all) {
            CompletableFuture<?> f;
            try {
                f = stop.apply(item);
            } catch (RuntimeException e) {
                LOG.warn("stopping {} failed", item, e);
                f = CompletableFuture.completedFuture(null);
            }
            ends.add(f == null ? CompletableFuture.completedFuture(null) : f);
            Duration g = grace.apply(item);
            if (g != null && g.compareTo(longest) > 0) {
                longest = g;
            }
        }
        long deadline = System.nanoTime() + saturatedNanos(longest.plus(margin));
        boolean interrupted = false;
        List<T> left = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            CompletableFuture<?> f = ends.get(i);
            while (true) {
                try {
                    f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException | CancellationException e) {
                    break;
                } catch (TimeoutException e) {
                    left.add(all.get(i));
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return left;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
