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

    /**
     * Where the buffer's growth beyond its first {@value #FIRST} bytes is counted (the total of all daemons'
     * output): a growth that is refused cuts the pending line where it is, as if it had reached the maximum.
     */
    public interface Memory {
        /** Whether {@code bytes} more may be held (then they are counted). */
        boolean grow(int bytes);

        /** {@code bytes} fewer are held. */
        void shrink(int bytes);

        /** No limit, nothing counted. */
        Memory UNLIMITED = new Memory() {
            @Override
            public boolean grow(int bytes) {
                return true;
            }

            @Override
            public void shrink(int bytes) {
            }
        };
    }

    /** The buffer's first size, and the size it returns to after a long line. */
    static final int FIRST = 256;
    /** A buffer larger than this goes back to {@link #FIRST} once its line was emitted. */
    private static final int KEEP = 4096;

    private final StreamKind stream;
    private final Sink sink;
    private final int max;
    private final Memory memory;
    private byte[] buf;
    private int len;

    public LineSplitter(StreamKind stream, int maxLineBytes, Sink sink) {
        this(stream, maxLineBytes, sink, Memory.UNLIMITED);
    }

    public LineSplitter(StreamKind stream, int maxLineBytes, Sink sink, Memory memory) {
        if (maxLineBytes < 4) {
            throw new IllegalArgumentException("max line length must be >= 4 bytes, got " + maxLineBytes);
        }
        this.stream = stream;
        this.sink = sink;
        this.buf = new byte[Math.min(maxLineBytes, FIRST)];
        this.max = maxLineBytes;
        this.memory = memory;
    }

    /** Feeds a chunk; complete lines are emitted before this returns. The buffer's position is advanced. */
    public void feed(ByteBuffer data) {
        while (data.hasRemaining()) {
            byte b = data.get();
            if (b == '\n') {
                int n = len > 0 && buf[len - 1] == '\r' ? len - 1 : len;
                len = 0;
                emit(n);
                shrinkIfLarge();
                continue;
            }
            if (len == max || (len == buf.length && !grow())) {
                cut();
            }
            buf[len++] = b;
        }
    }

    /** Emits what is pending as a line of its own, keeping an incomplete UTF-8 character for the next one. */
    private void cut() {
        int cut = boundary();
        int rest = len - cut;
        len = 0;
        emit(cut);
        System.arraycopy(buf, cut, buf, 0, rest);
        len = rest;
    }

    /** Doubles the buffer (up to the maximum) when the memory allows it. */
    private boolean grow() {
        int size = Math.min(max, buf.length * 2);
        if (!memory.grow(size - buf.length)) {
            return false;
        }
        byte[] bigger;
        try {
            bigger = new byte[size];
        } catch (OutOfMemoryError e) {
            memory.shrink(size - buf.length);
            return false; // the heap is full anyway: cut the line here rather than fail
        }
        System.arraycopy(buf, 0, bigger, 0, len);
        buf = bigger;
        return true;
    }

    private void shrinkIfLarge() {
        if (buf.length > KEEP && len == 0) {
            memory.shrink(buf.length - FIRST);
            buf = new byte[FIRST];
        }
    }

    /** Emits the pending partial line, if any (at the program's exit), and gives back a large buffer. */
    public void flush() {
        if (len > 0) {
            int n = len;
            len = 0;
            emit(n);
        }
        shrinkIfLarge();
    }

    /**
     * Forgets the pending partial line (its bytes are lost) and gives back a large buffer: after a failure
     * while a line was handled, the next line starts clean.
     */
    public void reset() {
        len = 0;
        shrinkIfLarge();
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
