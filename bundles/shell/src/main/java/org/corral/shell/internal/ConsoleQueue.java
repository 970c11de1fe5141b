package org.corral.shell.internal;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Hands items from a producer that must never block (one of Corral's threads, which serve every program and
 * daemon) to the console thread that prints them. Holds items up to a total weight (bytes, lines); items
 * arriving while it is full are dropped and their weight counted, and a notice saying how much was lost takes
 * their place in the sequence (notices weigh nothing). The console thread waits in {@link #take()} (no
 * polling) until an item, the end, or an interrupt (Ctrl-C) arrives. Queues may also share a {@link Pool}:
 * a total weight for all of them together (every console session that follows output), beyond which items are
 * dropped as when the queue itself is full.
 */
class ConsoleQueue<T> {

    private record Entry<T>(T item, long weight) {
    }

    /** What was dropped since the last notice: items and their weight. */
    record Dropped(long items, long weight) {
    }

    /** A total weight shared by several queues. Thread-safe. */
    static final class Pool {
        private final AtomicLong used = new AtomicLong();
        private volatile long total;

        Pool(long total) {
            this.total = total;
        }

        /** Changes the total (what is held stays). */
        void total(long t) {
            total = t;
        }

        long used() {
            return used.get();
        }

        boolean take(long weight) {
            if (used.addAndGet(weight) <= total) {
                return true;
            }
            used.addAndGet(-weight);
            return false;
        }

        void give(long weight) {
            used.addAndGet(-weight);
        }
    }

    private static final Pool UNSHARED = new Pool(Long.MAX_VALUE);

    private final long capacity;
    private final Function<Dropped, T> notice;
    private final Pool pool;
    private final ArrayDeque<Entry<T>> entries = new ArrayDeque<>();
    private long queued;
    private long dropped;
    private long droppedItems;
    private String endReason;

    /**
     * @param capacity the most weight held
     * @param notice the item that says how much was dropped
     */
    ConsoleQueue(long capacity, Function<Dropped, T> notice) {
        this(capacity, notice, UNSHARED);
    }

    /** @param pool the total this queue shares with others */
    ConsoleQueue(long capacity, Function<Dropped, T> notice, Pool pool) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1");
        }
        this.capacity = capacity;
        this.notice = notice;
        this.pool = pool;
    }

    /**
     * Adds an item of this weight; never blocks. Dropped (and counted) when this queue or the shared pool is
     * full, ignored after {@link #end}.
     */
    synchronized void put(T item, long weight) {
        if (endReason != null) {
            return;
        }
        if (queued + weight > capacity || !pool.take(weight)) {
            dropped += weight;
            droppedItems++;
            return;
        }
        if (droppedItems > 0) {
            entries.add(new Entry<>(notice.apply(new Dropped(droppedItems, dropped)), 0));
            dropped = 0;
            droppedItems = 0;
        }
        entries.add(new Entry<>(item, weight));
        queued += weight;
        notifyAll();
    }

    /** The reader is gone (Ctrl-C): what is queued is dropped and its weight given back to the pool. */
    synchronized void close() {
        end("closed");
        pool.give(queued);
        queued = 0;
        entries.clear();
    }

    /** Nothing more will come: {@link #take()} returns what is queued, then null. */
    synchronized void end(String reason) {
        if (endReason == null) {
            endReason = reason;
            notifyAll();
        }
    }

    /** Why the sequence ended, once {@link #take()} returned null. */
    synchronized String endReason() {
        return endReason;
    }

    /** How much weight was dropped and not yet reported. */
    synchronized long dropped() {
        return dropped;
    }

    /**
     * The next item (or notice) in order, waiting for one; null once the queue has ended and is empty.
     *
     * @throws InterruptedException the waiting thread was interrupted (Ctrl-C in the console)
     */
    synchronized T take() throws InterruptedException {
        while (true) {
            Entry<T> e = entries.poll();
            if (e != null) {
                queued -= e.weight();
                pool.give(e.weight());
                return e.item();
            }
            if (droppedItems > 0) {
                T n = notice.apply(new Dropped(droppedItems, dropped));
                dropped = 0;
                droppedItems = 0;
                return n;
            }
            if (endReason != null) {
                return null;
            }
            wait();
        }
    }
}
