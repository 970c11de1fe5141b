package org.corral.shell.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.corral.api.OutputConsumer;
import org.corral.api.StreamKind;

/**
 * A {@link ConsoleQueue} of a program's output (corral:run), holding at most {@code capacity} bytes; the
 * notice about dropped bytes goes to stderr, at the place they were lost.
 */
final class ChunkQueue extends ConsoleQueue<ChunkQueue.Chunk> implements OutputConsumer {

    /** One piece of output; a notice has no stream. */
    record Chunk(StreamKind stream, byte[] bytes) {
    }

    ChunkQueue(long capacity) {
        super(capacity, ChunkQueue::notice);
    }

    @Override
    public void accept(StreamKind stream, ByteBuffer data) {
        int n = data.remaining();
        if (n == 0) {
            return;
        }
        byte[] copy = new byte[n];
        data.get(copy);
        put(new Chunk(stream, copy), n);
    }

    /** No more output: {@link #take()} returns what is queued, then null. */
    void end() {
        end("the program ended");
    }

    private static Chunk notice(Dropped d) {
        long dropped = d.weight();
        String text = "\n[corral: " + dropped + " bytes of output dropped here: the console fell behind]\n";
        return new Chunk(null, text.getBytes(StandardCharsets.UTF_8));
    }
}
