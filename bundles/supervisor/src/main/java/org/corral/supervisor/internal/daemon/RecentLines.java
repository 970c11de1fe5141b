package org.corral.supervisor.internal.daemon;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.corral.api.StreamKind;

/**
 * The last N output lines of a daemon, stdout and stderr interleaved in arrival order, for the console.
 * Thread-safe. Each line gets a sequence number so that a follower can ask for what came after the last
 * line it saw.
 */
public final class RecentLines {

    /** One line. */
    public record Line(long seq, Instant at, StreamKind stream, String text) {
    }

    private Line[] ring;
    private int start;
    private int size;
    private long nextSeq = 1;
    private final List<Consumer<String>> followers = new ArrayList<>();

    public RecentLines(int capacity) {
        this.ring = new Line[Math.max(0, capacity)];
    }

    public synchronized void add(StreamKind stream, String text) {
        Line line = new Line(nextSeq++, Instant.now(), stream, text);
        for (Consumer<String> f : followers) {
            try {
                f.accept(text);
            } catch (RuntimeException e) {
                // a follower's failure is its own business; the others and the ring go on
            }
        }
        put(line);
    }

    /** Puts lines taken over from a previous supervisor version in front of what comes next (their times kept). */
    public synchronized void restore(List<Line> lines) {
        for (Line l : lines) {
            put(new Line(nextSeq++, l.at(), l.stream(), l.text()));
        }
    }

    private void put(Line line) {
        if (ring.length == 0) {
            return;
        }
        if (size < ring.length) {
            ring[(start + size) % ring.length] = line;
            size++;
        } else {
            ring[start] = line;
            start = (start + 1) % ring.length;
        }
    }

    /** Changes the capacity, keeping the newest lines that fit. */
    public synchronized void resize(int capacity) {
        int cap = Math.max(0, capacity);
        if (cap == ring.length) {
            return;
        }
        List<Line> keep = lines(cap, 0);
        ring = new Line[cap];
        start = 0;
        size = 0;
        for (Line l : keep) {
            ring[size++] = l;
        }
    }

    /** The text of the last {@code n} lines, oldest first. */
    public synchronized List<String> last(int n) {
        List<String> out = new ArrayList<>();
        for (Line l : lines(n, 0)) {
            out.add(l.text());
        }
        return out;
    }

    /** The last {@code n} lines with a sequence number greater than {@code afterSeq}, oldest first. */
    public synchronized List<Line> lines(int n, long afterSeq) {
        int count = Math.min(Math.max(0, n), size);
        List<Line> out = new ArrayList<>(count);
        for (int i = size - count; i < size; i++) {
            Line l = ring[(start + i) % ring.length];
            if (l.seq() > afterSeq) {
                out.add(l);
            }
        }
        return out;
    }

    /**
     * Gives {@code follower} the last {@code backlog} lines, then every new line, without gap or repetition
     * (both happen under this ring's lock), until the returned handle is run.
     */
    public synchronized Runnable follow(int backlog, Consumer<String> follower) {
        for (String l : last(backlog)) {
            follower.accept(l);
        }
        followers.add(follower);
        return () -> {
            synchronized (this) {
                followers.remove(follower);
            }
        };
    }

    public synchronized int capacity() {
        return ring.length;
    }
}
