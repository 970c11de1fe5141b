package org.corral.supervisor.internal.daemon;

import java.nio.ByteBuffer;

import org.corral.api.StreamKind;

/**
 * Cuts one output stream into lines: at {@code \n} (a {@code \r} before it is dropped), and a line longer
 * than the maximum is split into pieces of at most that many bytes (at a UTF-8 character boundary when one
 * is near). Lines are handed on as the bytes the program wrote; turning them into text to show is the sink's
 * business ({@link DaemonOutput}: {@link org.corral.api.values.Printable#line}). {@link #flush()} emits the
 * last partial line (a program's final words without a newline are not lost). Not thread-safe: one
 * instance per stream, fed by one thread at a time (the engine's delivery calls never overlap).
 */
public final class LineSplitter {

    /** Receives lines. */
    @FunctionalInterface
    public interface Sink {
        /**
         * One line without its end: {@code length} bytes at the start of {@code bytes}, which the splitter reuses
         * after the call (copy what you keep).
         */
        void line(StreamKind stream, byte[] bytes, int length);
    }

    private final StreamKind stream;
    private final Sink sink;
    private final int max;
    private byte[] buf;
    private int len;

    public LineSplitter(StreamKind stream, int maxLineBytes, Sink sink) {
        if (maxLineBytes < 4) {
            throw new IllegalArgumentException("max line length must be >= 4 bytes, got " + maxLineBytes);
        }
        this.stream = stream;
        this.sink = sink;
        this.buf = new byte[Math.min(maxLineBytes, 256)];
        this.max = maxLineBytes;
    }

    /** Feeds a chunk; complete lines are emitted before this returns. The buffer's position is advanced. */
    public void feed(ByteBuffer data) {
        while (data.hasRemaining()) {
            byte b = data.get();
            if (b == '\n') {
                emit(len > 0 && buf[len - 1] == '\r' ? len - 1 : len);
                len = 0;
                continue;
            }
            if (len == max) {
                int cut = boundary();
                emit(cut);
                System.arraycopy(buf, cut, buf, 0, len - cut);
                len -= cut;
            }
            if (len == buf.length) {
                byte[] bigger = new byte[Math.min(max, buf.length * 2)];
                System.arraycopy(buf, 0, bigger, 0, len);
                buf = bigger;
            }
            buf[len++] = b;
        }
    }

    /** Emits the pending partial line, if any (at the program's exit). */
    public void flush() {
        if (len > 0) {
            emit(len);
            len = 0;
        }
    }

    /** Bytes of the pending partial line. */
    public int pending() {
        return len;
    }

    /** A copy of the pending partial line (handed to the next supervisor version at a hand-over). */
    public byte[] pendingBytes() {
        return java.util.Arrays.copyOf(buf, len);
    }

    /** Starts with {@code partial} as the pending partial line (taken over from a previous version). */
    public void prime(byte[] partial) {
        feed(ByteBuffer.wrap(partial));
    }

    /** Where to cut a full buffer: before an incomplete UTF-8 sequence at its end, else at its end. */
    private int boundary() {
        int i = len - 1;
        int back = 0;
        while (i > 0 && back < 3 && (buf[i] & 0xC0) == 0x80) {
            i--;
            back++;
        }
        int lead = buf[i] & 0xFF;
        int need = lead >= 0xF0 && lead < 0xF8 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (lead >= 0xC0 && i + need > len && i > 0) {
            return i;
        }
        return len;
    }

    private void emit(int n) {
        sink.line(stream, buf, n);
    }
}
