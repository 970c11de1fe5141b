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

    /** The weight of a one-character line. */
    private static final long ONE = LineQueue.weight("x");

    @Test
    void linesComeOutInOrderThenTheEnd() throws Exception {
        LineQueue q = new LineQueue(10 * ONE);
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
        LineQueue q = new LineQueue(2 * ONE);
        q.offer("1");
        q.offer("2");
        q.offer("3");
        q.offer("4");
        assertEquals("1", q.take());
        q.offer("5");
        assertEquals("2", q.take());
        assertEquals(LineQueue.droppedNotice(new ConsoleQueue.Dropped(2, 2 * ONE)), q.take());
        assertEquals("5", q.take());
        q.offer("6");
        q.offer("7");
        q.offer("8");
        q.end("bye");
        assertEquals("6", q.take());
        assertEquals("7", q.take());
        assertEquals(LineQueue.droppedNotice(new ConsoleQueue.Dropped(1, ONE)), q.take());
        assertNull(q.take());
    }

    @Test
    void takeWaitsForAnotherThread() throws Exception {
        LineQueue q = new LineQueue(4 * ONE);
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
        LineQueue q = new LineQueue(4 * ONE);
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

    @Test
    void linesAreWeighedInBytesSoLongLinesFillAQueueSooner() throws Exception {
        LineQueue q = new LineQueue(1024 * 1024);
        String big = "x".repeat(300 * 1024);
        for (int i = 0; i < 5; i++) {
            q.offer(big); // three fit in 1 MiB, two are dropped
        }
        q.offer("short");
        q.end("done");
        for (int i = 0; i < 3; i++) {
            assertEquals(big, q.take());
        }
        assertEquals(LineQueue.droppedNotice(new ConsoleQueue.Dropped(2, 2 * LineQueue.weight(big))), q.take());
        assertEquals("short", q.take());
        assertNull(q.take());
        assertEquals(LineQueue.LINE_COST + 2 * 3, LineQueue.weight("\u20ac\u20ac\u20ac"), "two bytes a character above U+00FF");
    }

    @Test
    void queuesSharingAPoolStayWithinItsTotalAndGiveBackWhatTheyHeld() throws Exception {
        ConsoleQueue.Pool pool = new ConsoleQueue.Pool(3 * ONE);
        LineQueue a = new LineQueue(10 * ONE, pool);
        LineQueue b = new LineQueue(10 * ONE, pool);
        a.offer("1");
        a.offer("2");
        b.offer("3");
        b.offer("4"); // the pool is full: dropped although b has room
        assertEquals(3 * ONE, pool.used());
        assertEquals(ONE, b.dropped());
        assertEquals("1", a.take());
        b.offer("5"); // room again
        assertEquals(3 * ONE, pool.used());
        a.close(); // Ctrl-C: a's queued line goes back
        assertEquals(2 * ONE, pool.used());
        assertEquals("3", b.take());
        assertEquals(LineQueue.droppedNotice(new ConsoleQueue.Dropped(1, ONE)), b.take());
        assertEquals("5", b.take());
        assertEquals(0, pool.used());
    }
}
