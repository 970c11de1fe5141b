package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

import org.corral.api.StreamKind;
import org.junit.jupiter.api.Test;

class QueuesTest {

    @Test
    void linesComeOutInOrderThenTheEnd() throws Exception {
        LineQueue q = new LineQueue(10);
        q.offer("a");
        q.offer("b");
        q.end("gone");
        q.offer("after the end");
        assertEquals("a", q.take());
        assertEquals("b", q.take());
        assertNull(q.take());
        assertEquals("gone", q.endReason());
    }

    @Test
    void aFullQueueDropsAndSaysHowManyWhereTheyWereLost() throws Exception {
        LineQueue q = new LineQueue(2);
        q.offer("1");
        q.offer("2");
        q.offer("3");
        q.offer("4");
        assertEquals("1", q.take());
        q.offer("5");
        assertEquals("2", q.take());
        assertEquals(LineQueue.droppedNotice(2), q.take());
        assertEquals("5", q.take());
        q.offer("6");
        q.offer("7");
        q.offer("8");
        q.end("bye");
        assertEquals("6", q.take());
        assertEquals("7", q.take());
        assertEquals(LineQueue.droppedNotice(1), q.take());
        assertNull(q.take());
    }

    @Test
    void takeWaitsForAnotherThread() throws Exception {
        LineQueue q = new LineQueue(4);
        AtomicReference<String> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                got.set(q.take());
            } catch (InterruptedException e) {
                got.set("interrupted");
            }
        });
        t.start();
        q.offer("hello");
        t.join();
        assertEquals("hello", got.get());
    }

    @Test
    void takeEndsOnInterrupt() throws Exception {
        LineQueue q = new LineQueue(4);
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, q::take);
        assertTrue(!Thread.currentThread().isInterrupted());
    }

    @Test
    void chunksKeepStreamsAndBytes() throws Exception {
        ChunkQueue q = new ChunkQueue(16);
        q.accept(StreamKind.STDOUT, ByteBuffer.wrap("out\n".getBytes(StandardCharsets.UTF_8)));
        q.accept(StreamKind.STDERR, ByteBuffer.wrap(new byte[] {(byte) 0xff, 0}));
        q.end();
        ChunkQueue.Chunk a = q.take();
        assertEquals(StreamKind.STDOUT, a.stream());
        assertArrayEquals("out\n".getBytes(StandardCharsets.UTF_8), a.bytes());
        ChunkQueue.Chunk b = q.take();
        assertEquals(StreamKind.STDERR, b.stream());
        assertArrayEquals(new byte[] {(byte) 0xff, 0}, b.bytes());
        assertNull(q.take());
    }

    @Test
    void chunksBeyondTheCapacityAreDroppedAndCounted() throws Exception {
        ChunkQueue q = new ChunkQueue(8);
        q.accept(StreamKind.STDOUT, ByteBuffer.wrap(new byte[6]));
        q.accept(StreamKind.STDOUT, ByteBuffer.wrap(new byte[5]));
        assertEquals(5, q.dropped());
        assertEquals(6, q.take().bytes().length);
        q.accept(StreamKind.STDOUT, ByteBuffer.wrap(new byte[3]));
        ChunkQueue.Chunk notice = q.take();
        assertNull(notice.stream());
        assertTrue(new String(notice.bytes(), StandardCharsets.UTF_8).contains("5 bytes of output dropped"));
        assertEquals(3, q.take().bytes().length);
        q.end();
        assertNull(q.take());
    }
}
