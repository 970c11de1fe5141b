package org.corral.shell.internal;

import java.util.ArrayDeque;

/**
 * Hands lines from a producer that must never block (a Corral thread) to the console thread that prints
 * them. Holds at most {@code capacity} lines; lines arriving while it is full are dropped and counted, and
 * a notice saying how many takes their place in the sequence. The console thread waits in {@link #take()}
 * (no polling) until a line, the end, or an interrupt (Ctrl-C) arrives.
 */
final class LineQueue {

    private final int capacity;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private long dropped;
    private String endReason;

    LineQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1");
        }
        this.capacity = capacity;
    }

    /** Adds a line; never blocks. Ignored after {@link #end}. */
    synchronized void offer(String line) {
        if (endReason != null) {
            return;
        }
        if (lines.size() >= capacity) {
            dropped++;
            return;
        }
        if (dropped > 0) {
            lines.add(droppedNotice(dropped));
            dropped = 0;
        }
        lines.add(line);
        notifyAll();
    }

    /** No more lines will come: {@link #take()} returns what is queued, then null. */
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

    /**
     * The next line (or dropped-lines notice) in order, waiting for one; null once the queue has ended and
     * is empty.
     *
     * @throws InterruptedException the waiting thread was interrupted (Ctrl-C in the console)
     */
    synchronized String take() throws InterruptedException {
        while (true) {
            if (!lines.isEmpty()) {
                return lines.poll();
            }
            if (dropped > 0) {
                String notice = droppedNotice(dropped);
                dropped = 0;
                return notice;
            }
            if (endReason != null) {
                return null;
            }
            wait();
        }
    }

    static String droppedNotice(long n) {
        return "[corral: " + n + (n == 1 ? " line" : " lines") + " dropped here: the console fell behind]";
    }
}
