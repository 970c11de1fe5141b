package org.corral.shell.internal;

/**
 * A {@link ConsoleQueue} of lines (corral:logs -f), bounded in bytes: each line weighs what it takes on the heap
 * ({@link #weight}), so that a follower of 1 MiB lines holds as little as one of short lines. Lines that do
 * not fit are dropped and counted; a notice says how many, where they were lost.
 */
final class LineQueue extends ConsoleQueue<String> {

    /** What a queued line costs besides its text: the queue entry, the String and its array. */
    static final int LINE_COST = 64;

    /** @param capacity bytes this queue may hold */
    LineQueue(long capacity) {
        super(capacity, LineQueue::droppedNotice);
    }

    /** @param pool the bytes all followers of the console may hold together */
    LineQueue(long capacity, Pool pool) {
        super(capacity, LineQueue::droppedNotice, pool);
    }

    /** Adds a line; never blocks. Ignored after {@link #end}. */
    void offer(String line) {
        put(line, weight(line));
    }

    /** The heap a line takes: one byte per character when all are below U+0100, else two. */
    static long weight(String line) {
        int n = line.length();
        for (int i = 0; i < n; i++) {
            if (line.charAt(i) > 0xFF) {
                return LINE_COST + 2L * n;
            }
        }
        return LINE_COST + n;
    }

    static String droppedNotice(Dropped d) {
        long n = d.items();
        return "[corral: " + n + (n == 1 ? " line" : " lines") + " dropped here: the console fell behind]";
    }
}
