package org.corral.supervisor.internal.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decodes frames sent by a broker or helper from a little-endian buffer in read mode, without copying
 * DATA payloads and without allocating for DATA/EOF/CREDIT-sized frames. Stateless: partial frames stay
 * in the buffer until more bytes arrive.
 */
public final class FrameDecoder {

    private FrameDecoder() {
    }

    /**
     * Total size (header included) of the frame starting at the buffer's position, or {@link Protocol#HDR_LEN}
     * when its header is not complete yet. Use it to size the read buffer.
     *
     * @throws ProtocolException the length field is out of range
     */
    public static int frameSize(ByteBuffer buf) throws ProtocolException {
        if (buf.remaining() < 4) {
            return Protocol.HDR_LEN;
        }
        int len = buf.order(ByteOrder.LITTLE_ENDIAN).getInt(buf.position());
        checkLength(len);
        return len + 4;
    }

    private static void checkLength(int len) throws ProtocolException {
        if (len < 1 || len > Protocol.FRAME_MAX) {
            throw new ProtocolException("bad frame length " + Integer.toUnsignedString(len)
                    + " (must be 1.." + Protocol.FRAME_MAX + ")");
        }
    }

    /**
     * Decodes the frame at the buffer's position if it is complete, hands it to {@code h} and advances the
     * position past it.
     *
     * @param fromBroker decode SPAWN_FAILED in the broker's form (token first)
     * @return true when a frame was decoded, false when more bytes are needed (position unchanged)
     * @throws ProtocolException bad length, unknown type, or wrong payload size (position unchanged)
     */
    public static boolean decode(ByteBuffer buf, FrameHandler h, boolean fromBroker) throws ProtocolException {
        int pos = buf.position();
        int avail = buf.limit() - pos;
        if (avail < 4) {
            return false;
        }
        buf.order(ByteOrder.LITTLE_ENDIAN);
        int len = buf.getInt(pos);
        checkLength(len);
        if (avail < 5) {
            return false;
        }
        int type = buf.get(pos + 4) & 0xff;
        int plen = len - 1;
        int p = pos + Protocol.HDR_LEN;
        // check the header as soon as it is there
        long[] bounds = Protocol.payloadBounds(false, type);
        if (bounds == null) {
            throw new ProtocolException("unknown frame type " + Protocol.typeName(type) + " (length " + len + ")");
        }
        long min = bounds[0] + (type == Protocol.T_SPAWN_FAILED && fromBroker ? Protocol.TOKEN_LEN : 0);
        if (type == Protocol.T_DATA && (plen < min || plen > bounds[1])) {
            throw new ProtocolException("DATA frame with bad payload size " + plen
                    + " (must be " + min + ".." + bounds[1] + ")");
        }
        if (plen < min || plen > bounds[1]) {
            throw new ProtocolException(Protocol.typeName(type) + " frame with payload size " + plen
                    + (min == bounds[1] ? " (must be " + min + ")" : bounds[1] == Protocol.ANY
                    ? " (must be at least " + min + ")" : " (must be " + min + ".." + bounds[1] + ")"));
        }
        if (avail < len + 4) {
            return false;
        }
        buf.position(pos + 4 + len);
        switch (type) {
            case Protocol.T_HELLO: {
                int version = buf.getShort(p) & 0xffff;
                int role = buf.get(p + 2) & 0xff;
                long pid = buf.getInt(p + 3) & 0xffffffffL;
                byte[] token = new byte[Protocol.TOKEN_LEN];
                buf.get(p + 7, token);
                h.hello(version, role, pid, token);
                break;
            }
            case Protocol.T_SPAWNED:
                h.spawned(buf.getInt(p) & 0xffffffffL);
                break;
            case Protocol.T_SPAWN_FAILED: {
                int errno = buf.getInt(p);
                int stage = buf.get(p + 4) & 0xff;
                int tp = p + 5;
                byte[] token = null;
                if (fromBroker) {
                    token = new byte[Protocol.TOKEN_LEN];
                    buf.get(tp, token);
                    tp += Protocol.TOKEN_LEN;
                }
                h.spawnFailed(errno, stage, token, text(buf, tp, pos + 4 + len - tp));
                break;
            }
            case Protocol.T_DATA: {
                int stream = buf.get(p) & 0xff;
                checkStream(stream);
                h.data(stream, buf, p + 1, plen - 1);
                break;
            }
            case Protocol.T_EOF: {
                int stream = buf.get(p) & 0xff;
                checkStream(stream);
                h.eof(stream);
                break;
            }
            case Protocol.T_EXIT:
                h.exit(buf.get(p) & 0xff, buf.getInt(p + 1), buf.get(p + 5) & 0xff);
                break;
            case Protocol.T_MESSAGE:
                h.message(buf.get(p) & 0xff, text(buf, p + 1, plen - 1));
                break;
            case Protocol.T_STDIN_ACK:
                h.stdinAck(buf.getInt(p) & 0xffffffffL);
                break;
            case Protocol.T_DETACHED:
                h.detached(buf.getLong(p), buf.getLong(p + 8));
                break;
            case Protocol.T_ATTACHED: {
                byte[] label = new byte[plen - 26];
                buf.get(p + 26, label);
                h.attached(buf.getInt(p) & 0xffffffffL, buf.get(p + 4) != 0, buf.get(p + 5) & 0xff, buf.getInt(p + 6),
                        buf.getLong(p + 10), buf.getLong(p + 18), label);
                break;
            }
            case Protocol.T_STATS:
                h.stats(stats(buf, p, plen));
                break;
            case Protocol.T_HELPER_EXIT: {
                byte[] token = new byte[Protocol.TOKEN_LEN];
                buf.get(p, token);
                h.helperExit(token, buf.getInt(p + 16) & 0xffffffffL, buf.get(p + 20) & 0xff, buf.getInt(p + 21));
                break;
            }
            case Protocol.T_STOPPING:
                h.stopping(buf.getInt(p), buf.getInt(p + 4) & 0xffffffffL);
                break;
            case Protocol.T_NOTIFY: {
                byte[] message = new byte[plen - 4];
                buf.get(p + 4, message);
                h.notify(buf.getInt(p) & 0xffffffffL, message);
                break;
            }
            default:
                throw new AssertionError(type);
        }
        return true;
    }

    /** The entries of a STATS payload: {@code u16 name length, name, u32 value length, value}, in order. */
    private static Map<String, String> stats(ByteBuffer buf, int p, int plen) throws ProtocolException {
        Map<String, String> files = new LinkedHashMap<>();
        int at = p;
        int end = p + plen;
        while (at < end) {
            if (end - at < 2) {
                throw new ProtocolException("STATS entry at payload offset " + (at - p) + " is truncated");
            }
            int nl = buf.getShort(at) & 0xffff;
            if (nl == 0 || end - at - 2 < nl + 4) {
                throw new ProtocolException("STATS entry at payload offset " + (at - p) + ": name length " + nl
                        + (nl == 0 ? " (must be at least 1)" : " exceeds the payload"));
            }
            String name = text(buf, at + 2, nl);
            long vl = buf.getInt(at + 2 + nl) & 0xffffffffL;
            if (vl > end - at - 6 - nl) {
                throw new ProtocolException("STATS entry '" + name + "': value length " + vl + " exceeds the payload");
            }
            files.put(name, text(buf, at + 6 + nl, (int) vl));
            at += 6 + nl + (int) vl;
        }
        return files;
    }

    private static void checkStream(int stream) throws ProtocolException {
        if (stream != Protocol.STREAM_STDOUT && stream != Protocol.STREAM_STDERR) {
            throw new ProtocolException("unknown stream " + stream + " (1 stdout, 2 stderr)");
        }
    }

    private static String text(ByteBuffer buf, int at, int n) {
        byte[] b = new byte[n];
        buf.get(at, b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
