package org.corral.supervisor.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class FrameDecoderTest {

    /** Records frames as readable strings. */
    static class Recorder implements FrameHandler {
        final List<String> events = new ArrayList<>();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public void hello(int version, int role, long pid, byte[] token) {
            events.add("HELLO v" + version + " r" + role + " p" + pid + " t" + token[0] + "," + token[15]);
        }

        @Override
        public void spawned(long pid) {
            events.add("SPAWNED " + pid);
        }

        @Override
        public void spawnFailed(int errno, int stage, byte[] token, String text) {
            events.add("FAILED " + errno + " " + stage + " " + (token == null ? "-" : token[0]) + " " + text);
        }

        @Override
        public void data(int stream, ByteBuffer buffer, int offset, int length) {
            byte[] b = new byte[length];
            buffer.get(offset, b);
            out.writeBytes(b);
            events.add("DATA " + stream + " " + length);
        }

        @Override
        public void eof(int stream) {
            events.add("EOF " + stream);
        }

        @Override
        public void exit(int kind, int value, int flags) {
            events.add("EXIT " + kind + " " + value + " " + flags);
        }

        @Override
        public void message(int level, String text) {
            events.add("MSG " + level + " " + text);
        }

        @Override
        public void helperExit(byte[] token, long pid, int kind, int value) {
            events.add("HELPER_EXIT t" + token[0] + "," + token[15] + " p" + pid + " " + kind + " " + value);
        }

        @Override
        public void stopping(int signo, long graceMs) {
            events.add("STOPPING " + signo + " " + graceMs);
        }

        @Override
        public void stats(java.util.Map<String, String> files) {
            events.add("STATS " + files);
        }
    }

    /** A STATS payload: u16 name length, name, u32 value length, value per entry. */
    static byte[] statsPayload(String... nameValue) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < nameValue.length; i += 2) {
            byte[] n = nameValue[i].getBytes(StandardCharsets.UTF_8);
            byte[] v = nameValue[i + 1].getBytes(StandardCharsets.UTF_8);
            b.putShort((short) n.length).put(n).putInt(v.length).put(v);
        }
        byte[] a = new byte[b.position()];
        b.flip().get(a);
        return a;
    }

    @Test
    void statsEntriesArriveInOrderAndAnEmptyStatsIsNoFiles() throws Exception {
        Recorder r = new Recorder();
        ByteBuffer b = ByteBuffer.wrap(concat(frame(Protocol.T_STATS, statsPayload("cgroup.events",
                "populated 0\nfrozen 0\n", "cgroup.procs", "", "cpu.stat", "usage_usec 7\n")),
                frame(Protocol.T_STATS, new byte[0]))).order(ByteOrder.LITTLE_ENDIAN);
        assertTrue(FrameDecoder.decode(b, r, false));
        assertTrue(FrameDecoder.decode(b, r, false));
        assertEquals(List.of("STATS {cgroup.events=populated 0\nfrozen 0\n, cgroup.procs=, cpu.stat=usage_usec 7\n}",
                "STATS {}"), r.events);
    }

    @Test
    void malformedStatsEntriesAreProtocolErrors() {
        byte[] good = statsPayload("cpu.stat", "usage_usec 7\n");
        // truncated entry header, empty name, value running past the payload
        byte[][] bad = {
            java.util.Arrays.copyOf(good, good.length + 1),
            statsPayload("", "x"),
            java.util.Arrays.copyOf(good, good.length - 1),
        };
        String[] why = {"is truncated", "name length 0", "value length 13 exceeds the payload"};
        for (int i = 0; i < bad.length; i++) {
            ByteBuffer b = ByteBuffer.wrap(frame(Protocol.T_STATS, bad[i])).order(ByteOrder.LITTLE_ENDIAN);
            ProtocolException e = assertThrows(ProtocolException.class, () -> FrameDecoder.decode(b, new Recorder(), false));
            assertTrue(e.getMessage().contains(why[i]), e.getMessage());
        }
    }

    /** A handler that does not expect STATS refuses it (the spawn named no CGROUP_STATS). */
    @Test
    void statsIsRefusedByDefault() {
        FrameHandler h = new FrameHandler() {
            public void hello(int v, int r, long p, byte[] t) { }
            public void spawned(long pid) { }
            public void spawnFailed(int e, int s, byte[] t, String x) { }
            public void data(int s, ByteBuffer b, int o, int l) { }
            public void eof(int s) { }
            public void exit(int k, int v, int f) { }
            public void message(int l, String t) { }
        };
        ByteBuffer b = ByteBuffer.wrap(frame(Protocol.T_STATS, new byte[0])).order(ByteOrder.LITTLE_ENDIAN);
        assertThrows(ProtocolException.class, () -> FrameDecoder.decode(b, h, false));
    }

    static byte[] frame(int type, byte[] payload) {
        ByteBuffer b = FrameEncoder.frame(type, payload);
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    static byte[] data(int stream, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[1 + t.length];
        p[0] = (byte) stream;
        System.arraycopy(t, 0, p, 1, t.length);
        return frame(Protocol.T_DATA, p);
    }

    static byte[] exit(int kind, int value, int flags) {
        return frame(Protocol.T_EXIT, ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).put((byte) kind)
                .putInt(value).put((byte) flags).array());
    }

    static byte[] hello() {
        ByteBuffer b = ByteBuffer.allocate(23).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 1).put((byte) 2).putInt(4242);
        byte[] token = new byte[16];
        token[0] = 7;
        token[15] = 9;
        b.put(token);
        return frame(Protocol.T_HELLO, b.array());
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    /** Decodes everything, feeding the bytes in pieces of {@code step}, like partial reads. */
    static Recorder feed(byte[] all, int step) throws ProtocolException {
        Recorder r = new Recorder();
        ByteBuffer buf = ByteBuffer.allocateDirect(all.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        while (at < all.length) {
            int n = Math.min(step, all.length - at);
            buf.put(all, at, n);
            at += n;
            buf.flip();
            while (FrameDecoder.decode(buf, r, false)) {
                // all complete frames
            }
            buf.compact();
        }
        assertEquals(0, buf.position(), "bytes left over");
        return r;
    }

    @Test
    void severalFramesInOneRead() throws ProtocolException {
        byte[] all = concat(hello(), frame(Protocol.T_SPAWNED, new byte[] {1, 2, 0, 0}), data(1, "hello "),
                data(2, "oops"), data(1, "world"), frame(Protocol.T_EOF, new byte[] {1}),
                frame(Protocol.T_EOF, new byte[] {2}), exit(1, 9, 3));
        Recorder r = feed(all, all.length);
        assertEquals(List.of("HELLO v1 r2 p4242 t7,9", "SPAWNED 513", "DATA 1 6", "DATA 2 4", "DATA 1 5", "EOF 1",
                "EOF 2", "EXIT 1 9 3"), r.events);
        assertEquals("hello oopsworld", r.out.toString(StandardCharsets.UTF_8));
    }

    static byte[] helperExit(long pid, int kind, int value) {
        ByteBuffer b = ByteBuffer.allocate(25).order(ByteOrder.LITTLE_ENDIAN);
        byte[] token = new byte[16];
        token[0] = 3;
        token[15] = 4;
        b.put(token).putInt((int) pid).put((byte) kind).putInt(value);
        return frame(Protocol.T_HELPER_EXIT, b.array());
    }

    @Test
    void helperLossFramesOfVersion3() throws ProtocolException {
        byte[] stopping = frame(Protocol.T_STOPPING, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(15).putInt(-1).array());
        byte[] all = concat(helperExit(4_000_000_000L, 1, 9), stopping, helperExit(7, 0, 3));
        for (int step = 1; step <= all.length; step += 7) {
            assertEquals(List.of("HELPER_EXIT t3,4 p4000000000 1 9", "STOPPING 15 4294967295",
                    "HELPER_EXIT t3,4 p7 0 3"), feed(all, step).events, "step " + step);
        }
        ByteBuffer wrong = ByteBuffer.wrap(frame(Protocol.T_HELPER_EXIT, new byte[24])).order(ByteOrder.LITTLE_ENDIAN);
        ProtocolException e = assertThrows(ProtocolException.class, () -> FrameDecoder.decode(wrong, new Recorder(), true));
        assertTrue(e.getMessage().contains("HELPER_EXIT frame with payload size 24 (must be 25)"), e.getMessage());
        ByteBuffer kill = FrameEncoder.killHelper(new byte[16]);
        assertEquals(21, kill.remaining());
        assertEquals(Protocol.T_KILL_HELPER, kill.get(4));
        ProtocolException fromHelper = assertThrows(ProtocolException.class,
                () -> FrameDecoder.decode(kill.duplicate().order(ByteOrder.LITTLE_ENDIAN), new Recorder(), true));
        assertTrue(fromHelper.getMessage().contains("unknown frame type KILL_HELPER"), fromHelper.getMessage());
    }

    @Test
    void partialFramesByteByByte() throws ProtocolException {
        byte[] all = concat(hello(), data(1, "abc"), exit(0, 3, 0));
        for (int step = 1; step < 8; step++) {
            Recorder r = feed(all, step);
            assertEquals(List.of("HELLO v1 r2 p4242 t7,9", "DATA 1 3", "EXIT 0 3 0"), r.events, "step " + step);
        }
    }

    @Test
    void incompleteFrameLeavesPositionAlone() throws ProtocolException {
        byte[] f = data(1, "abcdef");
        ByteBuffer buf = ByteBuffer.wrap(f, 0, f.length - 1).slice();
        assertFalse(FrameDecoder.decode(buf, new Recorder(), false));
        assertEquals(0, buf.position());
        assertEquals(f.length, FrameDecoder.frameSize(buf));
    }

    @Test
    void badLengthsAreErrors() {
        ByteBuffer zero = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0).put((byte) 0x44).flip();
        ProtocolException e = assertThrows(ProtocolException.class, () -> FrameDecoder.decode(zero, new Recorder(), false));
        assertTrue(e.getMessage().contains("bad frame length 0"), e.getMessage());
        ByteBuffer huge = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(Protocol.FRAME_MAX + 1).flip();
        e = assertThrows(ProtocolException.class, () -> FrameDecoder.decode(huge, new Recorder(), false));
        assertTrue(e.getMessage().contains("bad frame length"), e.getMessage());
        ByteBuffer negative = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-5).flip();
        assertThrows(ProtocolException.class, () -> FrameDecoder.frameSize(negative));
    }

    @Test
    void wrongFixedSizesAndTypesAreErrors() {
        ByteBuffer spawned = ByteBuffer.wrap(frame(Protocol.T_SPAWNED, new byte[3]));
        ProtocolException e = assertThrows(ProtocolException.class, () -> FrameDecoder.decode(spawned, new Recorder(), false));
        assertTrue(e.getMessage().contains("SPAWNED frame with payload size 3 (must be 4)"), e.getMessage());
        ByteBuffer unknown = ByteBuffer.wrap(frame(0x55, new byte[1]));
        e = assertThrows(ProtocolException.class, () -> FrameDecoder.decode(unknown, new Recorder(), false));
        assertTrue(e.getMessage().contains("unknown frame type 0x55"), e.getMessage());
        ByteBuffer emptyData = ByteBuffer.wrap(frame(Protocol.T_DATA, new byte[] {1}));
        assertThrows(ProtocolException.class, () -> FrameDecoder.decode(emptyData, new Recorder(), false));
        ByteBuffer badStream = ByteBuffer.wrap(data(3, "x"));
        e = assertThrows(ProtocolException.class, () -> FrameDecoder.decode(badStream, new Recorder(), false));
        assertTrue(e.getMessage().contains("unknown stream 3"), e.getMessage());
    }

    @Test
    void headerCheckedBeforeThePayloadArrives() {
        // a DATA header announcing more than 1 MiB + 1 payload is refused from its first 5 bytes
        ByteBuffer b = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN).putInt(Protocol.DATA_MAX + 3)
                .put((byte) Protocol.T_DATA).flip();
        assertThrows(ProtocolException.class, () -> FrameDecoder.decode(b, new Recorder(), false));
    }

    @Test
    void spawnFailedInBothForms() throws ProtocolException {
        byte[] text = "execve /nope: No such file or directory".getBytes(StandardCharsets.UTF_8);
        ByteBuffer p = ByteBuffer.allocate(5 + text.length).order(ByteOrder.LITTLE_ENDIAN).putInt(2).put((byte) 7).put(text);
        Recorder r = new Recorder();
        assertTrue(FrameDecoder.decode(ByteBuffer.wrap(frame(Protocol.T_SPAWN_FAILED, p.array())), r, false));
        assertEquals("FAILED 2 7 - execve /nope: No such file or directory", r.events.get(0));
        byte[] token = new byte[16];
        token[0] = 5;
        ByteBuffer q = ByteBuffer.allocate(5 + 16 + 3).order(ByteOrder.LITTLE_ENDIAN).putInt(11).put((byte) 2).put(token)
                .put("boo".getBytes(StandardCharsets.UTF_8));
        assertTrue(FrameDecoder.decode(ByteBuffer.wrap(frame(Protocol.T_SPAWN_FAILED, q.array())), r, true));
        assertEquals("FAILED 11 2 5 boo", r.events.get(1));
    }

    @Test
    void versionTwoFrames() throws ProtocolException {
        Recorder r = new Recorder() {
            @Override
            public void stdinAck(long bytes) {
                events.add("ACK " + bytes);
            }

            @Override
            public void detached(long o, long e) {
                events.add("DETACHED " + o + " " + e);
            }

            @Override
            public void attached(long pid, boolean exited, int kind, int value, long o, long e, byte[] label) {
                events.add("ATTACHED " + pid + " " + exited + " " + kind + " " + value + " " + o + " " + e + " "
                        + new String(label, StandardCharsets.UTF_8));
            }
        };
        byte[] ack = frame(Protocol.T_STDIN_ACK, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(65536).array());
        byte[] det = frame(Protocol.T_DETACHED, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(5_000_000_000L)
                .putLong(7).array());
        byte[] att = frame(Protocol.T_ATTACHED, ByteBuffer.allocate(29).order(ByteOrder.LITTLE_ENDIAN).putInt(99)
                .put((byte) 1).put((byte) 1).putInt(9).putLong(10).putLong(20).put("web".getBytes(StandardCharsets.UTF_8))
                .array());
        ByteBuffer all = ByteBuffer.wrap(concat(ack, det, att));
        while (FrameDecoder.decode(all, r, false)) {
            // all
        }
        assertEquals(List.of("ACK 65536", "DETACHED 5000000000 7", "ATTACHED 99 true 1 9 10 20 web"), r.events);
        // a handler that did not ask for them refuses them
        assertThrows(ProtocolException.class, () -> FrameDecoder.decode(ByteBuffer.wrap(ack), new Recorder(), false));
        ByteBuffer d = FrameEncoder.detach(30_000, new byte[16], "/tmp/x.sock".getBytes(StandardCharsets.UTF_8))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1 + 4 + 16 + 11, d.getInt(0));
        assertEquals(Protocol.T_DETACH, d.get(4));
        assertEquals(30_000, d.getInt(5));
        ByteBuffer a = FrameEncoder.attach(new byte[16], 262144).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(FrameEncoder.ATTACH_SIZE, a.remaining());
        assertEquals(21, a.getInt(0));
        assertEquals(262144, a.getInt(21));
    }

    @Test
    void spawnFrameLayout() {
        ByteBuffer b = new SpawnFrame().field(Protocol.F_TOKEN, new byte[16]).field(Protocol.F_PATH, "/bin/true")
                .u32(Protocol.F_UID, 65534).u8(Protocol.F_STDERR_MODE, 1).stdin(Protocol.STDIN_FILE, "/x").build()
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(b.remaining() - 4, b.getInt(0));
        assertEquals(Protocol.T_SPAWN, b.get(4));
        int p = 5;
        assertEquals(Protocol.F_TOKEN, b.getShort(p));
        assertEquals(16, b.getInt(p + 2));
        p += 6 + 16;
        assertEquals(Protocol.F_PATH, b.getShort(p));
        assertEquals(9, b.getInt(p + 2));
        byte[] path = new byte[9];
        b.get(p + 6, path);
        assertArrayEquals("/bin/true".getBytes(StandardCharsets.UTF_8), path);
        p += 6 + 9;
        assertEquals(Protocol.F_UID, b.getShort(p));
        assertEquals(65534, b.getInt(p + 6));
        p += 10;
        assertEquals(Protocol.F_STDERR_MODE, b.getShort(p));
        assertEquals(1, b.get(p + 6));
        p += 7;
        assertEquals(Protocol.F_STDIN, b.getShort(p));
        assertEquals(3, b.getInt(p + 2));
        assertEquals(Protocol.STDIN_FILE, b.get(p + 6));
    }

    @Test
    void encodersWriteTheDocumentedSizes() {
        ByteBuffer c = FrameEncoder.credit(ByteBuffer.allocate(32), 2, 4096).flip().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(FrameEncoder.CREDIT_SIZE, c.remaining());
        assertEquals(6, c.getInt(0));
        assertEquals(Protocol.T_CREDIT, c.get(4));
        assertEquals(2, c.get(5));
        assertEquals(4096, c.getInt(6));
        ByteBuffer s = FrameEncoder.stop(ByteBuffer.allocate(32), 15, 500).flip().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(FrameEncoder.STOP_SIZE, s.remaining());
        assertEquals(500, s.getInt(9));
        assertThrows(IllegalArgumentException.class, () -> FrameEncoder.credit(ByteBuffer.allocate(32), 1, 0));
    }
}
