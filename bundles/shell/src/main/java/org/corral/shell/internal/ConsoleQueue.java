package org.corral.shell.internal;

import java.util.ArrayDeque;
import java.util.function.LongFunction;

/**
 * Hands items from a producer that must never block (one of Corral's threads, which serve every program and
 * daemon) to the console thread that prints them. Holds items up to a total weight (bytes, lines); items
 * arriving while it is full are dropped and their weight counted, and a notice saying how much was lost takes
 * their place in the sequence (notices weigh nothing). The console thread waits in {@link #take()} (no
 * polling) until an item, the end, or an interrupt (Ctrl-C) arrives.
 */
class ConsoleQueue<T> {

    private record Entry<T>(T item, long weight) {
    }

    private final long capacity;
    private final LongFunction<T> notice;
    private final ArrayDeque<Entry<T>> entries = new ArrayDeque<>();
    private long queued;
    private long dropped;
    private String endReason;

    /**
     * @param capacity the most weight held
     * @param notice the item that says how much weight was dropped
     */
    ConsoleQueue(long capacity, LongFunction<T> notice) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1");
        }
        this.capacity = capacity;
        this.notice = notice;
    }

    /** Adds an item of this weight; never blocks. Dropped (and counted) when full, ignored after {@link #end}. */
    synchronized void put(T item, long weight) {
        if (endReason != null) {
            return;
        }
        if (queued + weight > capacity) {
            dropped += weight;
            return;
        }
        if (dropped > 0) {
            entries.add(new Entry<>(notice.apply(dropped), 0));
            dropped = 0;
        }
        entries.add(new Entry<>(item, weight));
        queued += weight;
        notifyAll();
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
                return e.item();
            }
            if (dropped > 0) {
                T n = notice.apply(dropped);
                dropped = 0;
                return n;
            }
            if (endReason != null) {
                return null;
            }
            wait();
        }
    }
}
