package org.corral.supervisor.internal.daemon;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.corral.api.StreamKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last output lines of a daemon, stdout and stderr interleaved in arrival order, for the console. Bounded
 * twice: at most {@code capacity} lines and at most {@code maxBytes} bytes (each line counted as
 * {@link OutputBudget#LINE_COST} plus its text: one byte per character when every character is below U+0100,
 * else two, as the JVM stores it); the oldest lines go first. With an {@link OutputMemory}, its bytes also
 * count against the total of all daemons, which may take its oldest lines ({@link #shed}). Thread-safe. Each
 * line gets a sequence number so that a follower can ask for what came after the last line it saw.
 */
public final class RecentLines {

    private static final Logger LOG = LoggerFactory.getLogger(RecentLines.class);

    /** One line. */
    public record Line(long seq, Instant at, StreamKind stream, String text) {
    }

    /** A follower, and whether its failure was reported. */
    private static final class Follower {
        final Consumer<String> consumer;
        boolean reported;

        Follower(Consumer<String> consumer) {
            this.consumer = consumer;
        }
    }

    private Line[] ring;
    private int start;
    private int size;
    private long bytes;
    private long maxBytes;
    private long nextSeq = 1;
    private final List<Follower> followers = new ArrayList<>();
    private volatile OutputMemory memory;

    /** At most {@code capacity} lines, bytes unbounded (tests, tools). */
    public RecentLines(int capacity) {
        this(capacity, Long.MAX_VALUE, null);
    }

    /**
     * @param memory where the bytes count against the total of all daemons (null: nowhere)
     */
    public RecentLines(int capacity, long maxBytes, OutputMemory memory) {
        this.ring = new Line[Math.max(0, capacity)];
        this.maxBytes = Math.max(0, maxBytes);
        this.memory = memory;
        if (memory != null) {
            memory.register(this);
        }
    }

    /** The bytes {@code text} takes in a ring. */
    static long weight(String text) {
        int n = text.length();
        for (int i = 0; i < n; i++) {
            if (text.charAt(i) > 0xFF) {
                return OutputBudget.LINE_COST + 2L * n;
            }
        }
        return OutputBudget.LINE_COST + n;
    }

    /** A new line: to every follower (in this thread, in order), then into the ring. */
    public void add(StreamKind stream, String text) {
        long w = weight(text);
        long delta;
        synchronized (this) {
            Line line = new Line(nextSeq++, Instant.now(), stream, text);
            for (Follower f : followers) {
                tell(f, text);
            }
            delta = put(line, w);
            count(delta);
        }
        counted(delta);
    }

    /** Calls one follower; what it throws (an Error too) is its own business, reported once. */
    private static void tell(Follower f, String text) {
        try {
            f.consumer.accept(text);
        } catch (Throwable t) {
            if (!f.reported) {
                f.reported = true;
                try {
                    LOG.warn("corral: a follower of a daemon's output lines ({}) threw {}; it keeps getting lines, "
                            + "further failures are not reported", f.consumer, t.toString(), t);
                } catch (Throwable again) {
                    // no memory even for the message
                }
            }
        }
    }

    /** Puts lines taken over from a previous supervisor version in front of what comes next (their times kept). */
    public void restore(List<Line> lines) {
        long delta = 0;
        synchronized (this) {
            for (Line l : lines) {
                delta += put(new Line(nextSeq++, l.at(), l.stream(), l.text()), weight(l.text()));
            }
            count(delta);
        }
        counted(delta);
    }

    /** Adds a line of weight {@code w}, dropping the oldest ones that no longer fit; the change of bytes. */
    private long put(Line line, long w) {
        if (ring.length == 0) {
            return 0;
        }
        long before = bytes;
        while (size > 0 && (size == ring.length || bytes + w > maxBytes)) {
            dropOldest();
        }
        ring[(start + size) % ring.length] = line;
        size++;
        bytes += w;
        return bytes - before;
    }

    private void dropOldest() {
        Line l = ring[start];
        ring[start] = null;
        start = (start + 1) % ring.length;
        size--;
        bytes -= weight(l.text());
    }

    /** Counts a change of bytes in the total (under this ring's lock: a plain atomic add, no lock taken). */
    private void count(long delta) {
        OutputMemory m = memory;
        if (m != null && delta != 0) {
            m.add(delta);
        }
    }

    /** After a ring grew, outside its lock: the total may need relief (which may take lines of this ring). */
    private void counted(long delta) {
        OutputMemory m = memory;
        if (m != null && delta > 0) {
            m.relieve();
        }
    }

    /**
     * Drops the oldest lines until at least {@code want} bytes were freed or none is left (the total of all
     * daemons is exceeded); returns the bytes freed.
     */
    long shed(long want) {
        long freed;
        synchronized (this) {
            long before = bytes;
            while (size > 0 && before - bytes < want) {
                dropOldest();
            }
            freed = before - bytes;
            count(-freed);
        }
        return freed;
    }

    /** Bytes held now. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Changes the bounds, keeping the newest lines that fit. */
    public void resize(int capacity, long maxBytes) {
        long delta;
        synchronized (this) {
            long before = bytes;
            int cap = Math.max(0, capacity);
            List<Line> keep = lines(cap, 0);
            ring = new Line[cap];
            start = 0;
            size = 0;
            bytes = 0;
            this.maxBytes = Math.max(0, maxBytes);
            for (Line l : keep) {
                put(l, weight(l.text()));
            }
            delta = bytes - before;
            count(delta);
        }
        counted(delta);
    }

    /** Changes the number of lines, keeping the newest lines that fit. */
    public void resize(int capacity) {
        long max;
        synchronized (this) {
            max = maxBytes;
        }
        resize(capacity, max);
    }

    /**
     * Stops counting against the total of all daemons (the daemon is gone: closed or handed over). The lines
     * stay readable for whoever still holds the daemon.
     */
    void leaveBudget() {
        OutputMemory m;
        synchronized (this) {
            m = memory;
            memory = null;
            if (m != null) {
                m.add(-bytes);
            }
        }
        if (m != null) {
            m.unregister(this);
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
        Follower f = new Follower(follower);
        for (String l : last(backlog)) {
            tell(f, l);
        }
        followers.add(f);
        return () -> {
            synchronized (this) {
                followers.remove(f);
            }
        };
    }

    public synchronized int capacity() {
        return ring.length;
    }
}
