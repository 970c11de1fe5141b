package org.corral.shell.internal;

/** A {@link ConsoleQueue} of lines, holding at most {@code capacity} of them (corral:logs -f). */
final class LineQueue extends ConsoleQueue<String> {

    LineQueue(int capacity) {
        super(capacity, LineQueue::droppedNotice);
    }

    /** Adds a line; never blocks. Ignored after {@link #end}. */
    void offer(String line) {
        put(line, 1);
    }

    static String droppedNotice(long n) {
        return "[corral: " + n + (n == 1 ? " line" : " lines") + " dropped here: the console fell behind]";
    }
}
