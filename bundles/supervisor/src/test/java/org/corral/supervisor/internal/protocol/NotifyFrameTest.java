package org.corral.supervisor.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The sd_notify parts of the protocol on the JVM side: the NOTIFY field of SPAWN and the NOTIFY frame. */
class NotifyFrameTest {

    @Test
    void theNotifyFieldIsTag27WithTheWatchdogThenTheDirectory() {
        byte[] fields = new SpawnFrame().notify("/run/corral-notify", 30_000_000L).fieldBytes();
        ByteBuffer b = ByteBuffer.wrap(fields).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(27, b.getShort());
        assertEquals(8 + 18, b.getInt());
        assertEquals(30_000_000L, b.getLong());
        byte[] dir = new byte[18];
        b.get(dir);
        assertEquals("/run/corral-notify", new String(dir, StandardCharsets.UTF_8));
        assertEquals(0, b.remaining());
        // the longest directory that leaves room for <pid>-<16 hex>.sock in 107 bytes
        new SpawnFrame().notify("/" + "d".repeat(Protocol.NOTIFY_DIR_MAX - 1), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SpawnFrame().notify("/" + "d".repeat(Protocol.NOTIFY_DIR_MAX), 0));
        assertTrue(e.getMessage().contains("at most 77 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SpawnFrame().notify("run/x", 0));
    }

    private static byte[] notifyFrame(long pid, byte[] message) {
        ByteBuffer p = ByteBuffer.allocate(4 + message.length).order(ByteOrder.LITTLE_ENDIAN);
        p.putInt((int) pid).put(message);
        return FrameDecoderTest.frame(Protocol.T_NOTIFY, p.array());
    }

    @Test
    void notifyFramesAreDecodedWithTheirSender() throws ProtocolException {
        List<String> got = new ArrayList<>();
        FrameDecoderTest.Recorder r = new FrameDecoderTest.Recorder() {
            @Override
            public void notify(long pid, byte[] message) {
                got.add(pid + ": " + new String(message, StandardCharsets.UTF_8));
            }
        };
        byte[] max = new byte[Protocol.NOTIFY_MSG_MAX];
        java.util.Arrays.fill(max, (byte) 'x');
        byte[] all = FrameDecoderTest.concat(notifyFrame(4242, "READY=1\nSTATUS=up".getBytes(StandardCharsets.UTF_8)),
                FrameDecoderTest.data(1, "line\n"), notifyFrame(0xfffffffeL, max));
        ByteBuffer buf = ByteBuffer.allocate(all.length).order(ByteOrder.LITTLE_ENDIAN).put(all).flip();
        while (FrameDecoder.decode(buf, r, false)) {
            // every frame
        }
        assertEquals(List.of("4242: READY=1\nSTATUS=up", 0xfffffffeL + ": " + "x".repeat(4096)), got);
        assertEquals(List.of("DATA 1 5"), r.events);
    }

    @Test
    void notifyFramesOfABadSizeAndWithoutAListenerAreProtocolErrors() {
        byte[] empty = FrameDecoderTest.frame(Protocol.T_NOTIFY, new byte[] {1, 0, 0, 0});
        ProtocolException e = assertThrows(ProtocolException.class, () -> FrameDecoder.decode(
                ByteBuffer.wrap(empty).order(ByteOrder.LITTLE_ENDIAN), new FrameDecoderTest.Recorder(), false));
        assertEquals("NOTIFY frame with payload size 4 (must be 5..4100)", e.getMessage());
        byte[] big = FrameDecoderTest.frame(Protocol.T_NOTIFY, new byte[4 + 4097]);
        assertThrows(ProtocolException.class, () -> FrameDecoder.decode(ByteBuffer.wrap(big)
                .order(ByteOrder.LITTLE_ENDIAN), new FrameDecoderTest.Recorder(), false));
        byte[] ok = notifyFrame(1, new byte[] {'x'});
        e = assertThrows(ProtocolException.class, () -> FrameDecoder.decode(ByteBuffer.wrap(ok)
                .order(ByteOrder.LITTLE_ENDIAN), new FrameDecoderTest.Recorder(), false));
        assertEquals("unexpected NOTIFY frame (the spawn asked for no notify socket)", e.getMessage());
        assertArrayEquals(new long[] {5, 4100}, Protocol.payloadBounds(false, Protocol.T_NOTIFY));
        assertEquals(null, Protocol.payloadBounds(true, Protocol.T_NOTIFY), "the JVM never sends one");
    }
}
