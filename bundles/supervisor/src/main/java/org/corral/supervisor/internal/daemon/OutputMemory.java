package org.corral.supervisor.internal.daemon;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The output memory of all daemons of one engine against {@link OutputBudget#total()}: the bytes of every
 * daemon's recent lines and of the partial lines beyond their small initial buffers. Over the total, the
 * daemon whose recent lines hold the most gives up its oldest lines first (down to a little below the total,
 * so that this is not done for every line), and a partial line that cannot grow is cut (see
 * {@link LineSplitter}). Thread-safe; it never calls a ring while holding anything, and rings call it outside
 * their own locks, so no lock is ever taken inside another.
 */
public final class OutputMemory {

    private final AtomicLong used = new AtomicLong();
    private final Set<RecentLines> rings = ConcurrentHashMap.newKeySet();
    private volatile OutputBudget budget;

    public OutputMemory(OutputBudget budget) {
        this.budget = budget;
    }

    public OutputBudget budget() {
        return budget;
    }

    /** Uses other budgets from now on (daemons created before keep the per-daemon limits they were given). */
    public void budget(OutputBudget b) {
        this.budget = b;
        relieve();
    }

    /** Bytes held now by all daemons' output. */
    public long used() {
        return used.get();
    }

    void register(RecentLines ring) {
        rings.add(ring);
    }

    void unregister(RecentLines ring) {
        rings.remove(ring);
    }

    /** Counts {@code n} bytes more (negative: fewer). Call {@link #relieve()} afterwards, outside any lock. */
    void add(long n) {
        used.addAndGet(n);
    }

    /**
     * Reserves {@code n} bytes for a growing partial line: true when they fit in the total, if need be after
     * older recent lines were dropped; false (nothing counted) when they do not.
     */
    boolean reserve(long n) {
        if (used.addAndGet(n) <= budget.total()) {
            return true;
        }
        relieve();
        if (used.get() <= budget.total()) {
            return true;
        }
        used.addAndGet(-n);
        return false;
    }

    /**
     * While over the total: the largest ring drops its oldest lines (at most half of what it holds at a time),
     * down to 1/16 below the total.
     */
    void relieve() {
        long total = budget.total();
        if (used.get() <= total) {
            return;
        }
        long target = total - total / 16;
        while (used.get() > target) {
            RecentLines largest = null;
            long most = 0;
            for (RecentLines r : rings) {
                long b = r.bytes();
                if (b > most) {
                    most = b;
                    largest = r;
                }
            }
            // at most half of the largest at a time: several large rings share the cut
            if (largest == null || largest.shed(Math.min(used.get() - target, Math.max(most / 2, 1))) == 0) {
                return; // nothing left to drop: what remains is partial lines, bounded per daemon
            }
        }
    }
}
