package org.corral.shell.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

import org.corral.api.OutputConsumer;
import org.corral.api.StreamKind;

/**
 * Hands a program's output from Corral's delivery thread (which serves every program and daemon and so must
 * never wait on a console) to the console thread that prints it. Holds at most {@code capacity} bytes;
 * output arriving while it is full is dropped and counted, and a notice on stderr says how much, at the place
 * it was lost. The console thread waits in {@link #take()} (no polling).
 */
final class ChunkQueue implements OutputConsumer {

    /** One piece of output. */
    record Chunk(StreamKind stream, byte[] bytes) {
    }

    private final long capacity;
    private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
    private long queued;
    private long dropped;
    private boolean ended;

    ChunkQueue(long capacity) {
        this.capacity = capacity;
    }

    @Override
    public synchronized void accept(StreamKind stream, ByteBuffer data) {
        int n = data.remaining();
        if (ended || n == 0) {
            return;
        }
        if (queued + n > capacity) {
            dropped += n;
            return;
        }
        if (dropped > 0) {
            chunks.add(notice());
        }
        byte[] copy = new byte[n];
        data.get(copy);
        chunks.add(new Chunk(stream, copy));
        queued += n;
        notifyAll();
    }

    /** No more output: {@link #take()} returns what is queued, then null. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    /** How many bytes were dropped and not yet reported. */
    synchronized long dropped() {
        return dropped;
    }

    /** The next chunk in order, waiting for one; null once ended and empty. */
    synchronized Chunk take() throws InterruptedException {
        while (true) {
            Chunk c = chunks.poll();
            if (c != null) {
                queued -= c.stream() == null ? 0 : c.bytes().length;
                return c;
            }
            if (dropped > 0) {
                return notice();
            }
            if (ended) {
                return null;
            }
            wait();
        }
    }

    /** A stderr notice about dropped bytes (it does not count against the capacity). */
    private Chunk notice() {
        String text = "\n[corral: " + dropped + " bytes of output dropped here: the console fell behind]\n";
        dropped = 0;
        return new Chunk(null, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
