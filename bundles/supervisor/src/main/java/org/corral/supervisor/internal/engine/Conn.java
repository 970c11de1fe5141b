package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Arrays;

import org.corral.api.ProcessException;
import org.corral.supervisor.internal.protocol.FrameDecoder;
import org.corral.supervisor.internal.protocol.FrameEncoder;
import org.corral.supervisor.internal.protocol.FrameHandler;
import org.corral.supervisor.internal.protocol.Protocol;
import org.corral.supervisor.internal.protocol.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted connection from a broker or a helper. Reads frames into a pooled direct buffer and decodes
 * them in place; when the program has an output consumer the buffer is lent to the program's delivery lane
 * (reading pauses until the consumer returned, so credit flows back only after consumption). Writes are queued when
 * the socket is full. Reads and frame handling happen on the IO thread (or, lent, on the program's lane);
 * {@link #send} is thread-safe.
 */
final class Conn implements IoLoop.Handler, FrameHandler {

    private static final Logger LOG = LoggerFactory.getLogger(Conn.class);

    enum Role { UNKNOWN, BROKER, HELPER }

    private final HelperEngine engine;
    private final SocketChannel ch;
    private SelectionKey key;
    private Role role = Role.UNKNOWN;
    /** The broker this connection is, when {@link Role#BROKER}. */
    private Broker broker;
    /** The program this connection runs, when {@link Role#HELPER}. */
    private HelperProgram program;
    /** The program whose helper this connection re-attaches to (known before HELLO), else null. */
    private final HelperProgram attachFor;
    private long peerPid;

    /**
     * Who owns the read buffer {@link #rb}, and what is left to do with the connection. Changed only by the
     * buffer's owner, except that the IO thread may close at any time ({@link #close()}).
     */
    enum State {
        /** The IO thread owns the buffer and reads whenever the socket is readable. */
        READING,
        /** The program's delivery lane owns the buffer (an output consumer runs); the IO thread does not read. */
        LENT,
        /** Lent, and the peer's end of stream was seen: hang up once the buffer is back. */
        LENT_AT_EOF,
        /** Lent, and the last frame (EXIT or DETACHED) was handled: close once the buffer is back. */
        LENT_LAST_FRAME,
        /** The IO thread owns the buffer and handled the last frame: close after this round of processing. */
        LAST_FRAME,
        /** Closed. The buffer went back to the pool, or goes when the delivery lane returns it. */
        CLOSED;

        boolean lent() {
            return this == LENT || this == LENT_AT_EOF || this == LENT_LAST_FRAME;
        }
    }

    private final java.util.concurrent.atomic.AtomicReference<State> state =
            new java.util.concurrent.atomic.AtomicReference<>(State.READING);
    private ReadBuf rb;
    /** Accepted on ctl.sock and no HELLO yet: its deadline (IO thread), else null. */
    private Timers.Timer helloDeadline;
    /** When bytes last came from the peer (System.nanoTime); written by the thread that reads. */
    private volatile long lastRead = System.nanoTime();
    private final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    private final ByteBuffer small = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    /** Bytes of received-but-uncredited data per stream; written by the processing thread. */
    private final int[] uncredited = new int[3];

    /** @param attachFor the program whose helper this connection re-attaches to, or null (accepted on ctl.sock) */
    Conn(HelperEngine engine, SocketChannel ch, HelperProgram attachFor) {
        this.engine = engine;
        this.ch = ch;
        this.attachFor = attachFor;
    }

    void register(SelectionKey key) {
        this.key = key;
    }

    boolean isClosed() {
        return state.get() == State.CLOSED;
    }

    /** Counts as waiting for its HELLO until it says it or closes; {@code deadline} closes it (IO thread). */
    void awaitHello(Timers.Timer deadline) {
        helloDeadline = deadline;
    }

    /** The HELLO deadline passed (IO thread). */
    void helloOverdue() {
        if (helloDeadline != null && state.get() != State.CLOSED) {
            LOG.debug("corral: closing a control connection that sent no HELLO in time");
            close();
        }
    }

    private void helloSettled() {
        Timers.Timer t = helloDeadline;
        if (t != null) {
            helloDeadline = null;
            t.cancel();
            engine.helloDone(this);
        }
    }

    /** Reads what is there when this connection has not said HELLO yet (IO thread). */
    void readIfUnidentified() {
        if (role == Role.UNKNOWN && attachFor == null && state.get() == State.READING) {
            onReadable();
        }
    }

    /** When bytes last came from the peer (System.nanoTime). */
    long lastReadNanos() {
        return lastRead;
    }

    /** Whether reading waits for the JVM (an output consumer holds the buffer), not for the peer. */
    boolean readPaused() {
        return state.get().lent();
    }

    /** The last frame was handled (by the buffer's owner): nothing more is read. */
    private void lastFrame() {
        while (true) {
            State s = state.get();
            State next = s == State.READING ? State.LAST_FRAME : s.lent() ? State.LENT_LAST_FRAME : s;
            if (next == s || state.compareAndSet(s, next)) {
                return;
            }
        }
    }

    /** Bytes currently held in this connection's read buffer (data not yet processed or being delivered). */
    int buffered() {
        ReadBuf r = rb;
        return r == null ? 0 : r.buffered;
    }

    // ---------------------------------------------------------------- reading (IO thread)

    @Override
    public void ready(SelectionKey k) {
        if (!k.isValid()) {
            return;
        }
        if (k.isWritable()) {
            flush();
        }
        if (k.isValid() && k.isReadable() && state.get() == State.READING) {
            onReadable();
        }
    }

    void onReadable() {
        if (rb == null) {
            rb = engine.pool().acquire(readSize());
        }
        ByteBuffer buf = rb.buf;
        int n;
        try {
            n = ch.read(buf);
        } catch (IOException e) {
            n = -1;
        }
        if (n > 0) {
            lastRead = System.nanoTime();
        }
        rb.buffered = buf.position();
        if (program != null) {
            program.noteBuffered(rb.buffered);
        }
        buf.flip();
        process();
        if (n < 0) {
            if (state.get() == State.READING) {
                hangUp(null);
            } else {
                state.compareAndSet(State.LENT, State.LENT_AT_EOF); // lent meanwhile: hang up when it is back
            }
        }
    }

    private int readSize() {
        return program != null ? program.readBufferSize() : 4096;
    }

    /** Decodes what is in the buffer (read mode) until it is empty, a frame is partial, or it was lent. */
    private void process() {
        ByteBuffer buf = rb.buf;
        try {
            while (state.get() == State.READING) {
                if (program != null && program.hasConsumer()) {
                    if (buf.remaining() >= Protocol.HDR_LEN && FrameDecoder.frameSize(buf) <= buf.remaining()) {
                        lend();
                        return;
                    }
                    break;
                }
                if (!FrameDecoder.decode(buf, this, role == Role.BROKER)) {
                    break;
                }
            }
        } catch (ProtocolException e) {
            protocolError(e);
            return;
        }
        afterProcessing();
    }

    /**
     * Credit goes back once this fraction of the window was consumed: often enough that the helper rarely
     * waits for it, rarely enough that CREDIT frames cost nothing (a 10-byte write per window/8).
     */
    private static final int CREDIT_DIVISOR = 8;

    /**
     * Most output a program delivers in one turn of its lane before the other lanes get theirs: one pipe's
     * worth (the default pipe buffer of Linux). It bounds how long one flooding program can keep a delivery
     * thread from another program's output to the time its consumer needs for 64 KiB (plus one frame).
     */
    static final int TURN_BYTES = 64 * 1024;

    /** Output bytes delivered in the current turn (the buffer's owner). */
    private int turnBytes;

    /**
     * Hands the buffer to the program's delivery lane; the IO thread stops reading this connection until it
     * comes back. While the program keeps writing, the lane reads on by itself (non-blocking) and returns
     * credit as it goes, so a flood costs no thread hand-over per chunk; after {@link #TURN_BYTES} of output
     * it queues the rest as its next turn, behind the other lanes, still holding the buffer.
     */
    private void lend() {
        state.compareAndSet(State.READING, State.LENT);
        setInterest(false);
        program.lane().execute(this::deliverLoop);
    }

    /** A turn of the program's lane: owns {@link #rb} (read mode on entry and on exit). */
    private void deliverLoop() {
        ProtocolException err = null;
        Throwable failure = null;
        boolean again = false;
        turnBytes = 0;
        try {
            while (state.get() != State.CLOSED) {
                ByteBuffer buf = rb.buf;
                while (turnBytes < TURN_BYTES && FrameDecoder.decode(buf, this, false)) {
                    // complete frames are handled (DATA goes to the consumer) until the turn is used up
                }
                State s = state.get();
                if (turnBytes >= TURN_BYTES) {
                    // the rest waits for the next turn; complete frames left (the exit, say) are handled then
                    again = s == State.LENT || (s.lent() && hasCompleteFrame(buf));
                    break;
                }
                if (s != State.LENT) {
                    break; // end of stream or the last frame: every complete frame was handled, hand back
                }
                sendCredits();
                int want = Math.max(FrameDecoder.frameSize(buf), readSize());
                if (want > buf.capacity()) {
                    ReadBuf bigger = engine.pool().acquire(want);
                    bigger.buf.put(buf);
                    engine.pool().release(rb);
                    rb = bigger;
                } else {
                    buf.compact();
                }
                int n;
                try {
                    n = ch.read(rb.buf);
                } catch (IOException e) {
                    n = -1;
                }
                if (n > 0) {
                    lastRead = System.nanoTime();
                }
                rb.buffered = rb.buf.position();
                program.noteBuffered(rb.buffered);
                rb.buf.flip();
                if (n < 0) {
                    state.compareAndSet(State.LENT, State.LENT_AT_EOF); // decode the rest, then hand back
                } else if (n == 0) {
                    break; // nothing more for now (everything complete was handled before the read)
                }
            }
        } catch (ProtocolException e) {
            err = e;
        } catch (Throwable t) {
            // not the consumer's (ProgramBase catches those): a frame could not be handled; the connection is
            // hung up rather than left lent for ever (the helper tears its program down)
            Delivery.failed("delivering the output of " + program.describe(), t);
            failure = t;
        }
        if (again) {
            sendCredits();
            program.lane().execute(this::deliverLoop);
            return;
        }
        final ProtocolException error = err;
        final Throwable failed = failure;
        engine.loop().execute(() -> returned(error, failed));
    }

    private static boolean hasCompleteFrame(ByteBuffer buf) throws ProtocolException {
        return buf.remaining() >= Protocol.HDR_LEN && FrameDecoder.frameSize(buf) <= buf.remaining();
    }

    /** The delivery lane is done with the buffer (IO thread). */
    private void returned(ProtocolException err, Throwable failure) {
        State was;
        while (true) {
            was = state.get();
            State back = was == State.LENT_LAST_FRAME ? State.LAST_FRAME : was.lent() ? State.READING : was;
            if (state.compareAndSet(was, back)) {
                break;
            }
        }
        if (was == State.CLOSED) { // closed while lent: the buffer is released now
            releaseBuffer();
            return;
        }
        if (err != null) {
            protocolError(err);
            return;
        }
        if (failure != null) {
            hangUp(new ProcessException("delivering its output failed: " + failure));
            return;
        }
        afterProcessing();
        if (state.get() == State.READING) {
            if (was == State.LENT_AT_EOF) {
                hangUp(null);
            } else {
                setInterest(true);
            }
        }
    }

    private void afterProcessing() {
        State s = state.get();
        if (s == State.CLOSED) {
            return;
        }
        ByteBuffer buf = rb.buf;
        sendCredits();
        if (s == State.LAST_FRAME) {
            close();
            return;
        }
        int need;
        try {
            need = buf.remaining() >= 4 ? FrameDecoder.frameSize(buf) : Protocol.HDR_LEN;
        } catch (ProtocolException e) {
            protocolError(e);
            return;
        }
        if (!buf.hasRemaining()) {
            releaseBuffer();
            return;
        }
        int want = Math.max(need, readSize());
        if (want > buf.capacity()) {
            ReadBuf bigger = engine.pool().acquire(want);
            bigger.buf.put(buf);
            engine.pool().release(rb);
            rb = bigger;
        } else {
            buf.compact();
        }
        rb.buffered = rb.buf.position();
    }

    private void releaseBuffer() {
        if (rb != null) {
            engine.pool().release(rb);
            rb = null;
        }
    }

    private void setInterest(boolean read) {
        if (key == null || !key.isValid()) {
            return;
        }
        int ops = read ? SelectionKey.OP_READ : 0;
        synchronized (this) {
            if (!out.isEmpty()) {
                ops |= SelectionKey.OP_WRITE;
            }
        }
        key.interestOps(ops);
    }

    private void protocolError(ProtocolException e) {
        String who = role == Role.BROKER ? "broker" : program != null ? "helper of " + program.describe() : "peer";
        LOG.error("corral: protocol error from {} (pid {}): {}; closing the connection", who, peerPid, e.getMessage());
        hangUp(e);
    }

    /** Hangs up on the peer as if it had gone (IO thread): its program ends with {@code cause}. */
    void hangUpNow(Exception cause) {
        hangUp(cause);
    }

    /** The peer is gone or broke the protocol (IO thread). */
    private void hangUp(Exception cause) {
        if (state.get() == State.CLOSED) {
            return;
        }
        close();
        switch (role) {
            case BROKER:
                engine.brokerGone(broker, cause);
                break;
            case HELPER:
                program.helperGone(cause);
                break;
            default:
                if (attachFor != null) {
                    engine.attachRefused(attachFor, cause);
                }
                break;
        }
    }

    /** Closes the channel and releases the buffer, unless it is lent: then when it comes back (IO thread). */
    void close() {
        State was;
        synchronized (this) {
            was = state.getAndSet(State.CLOSED);
            out.clear();
        }
        if (was == State.CLOSED) {
            return;
        }
        if (key != null) {
            key.cancel();
        }
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (!was.lent()) {
            releaseBuffer();
        }
        helloSettled();
        engine.connClosed(this);
    }

    // ---------------------------------------------------------------- credits

    /** Records consumed output (processing thread). */
    private void consumed(int stream, int n) {
        uncredited[stream] += n;
    }

    private void sendCredits() {
        if (program == null) {
            return;
        }
        int threshold = Math.max(1, program.window() / CREDIT_DIVISOR);
        for (int s = Protocol.STREAM_STDOUT; s <= Protocol.STREAM_STDERR; s++) {
            int n = uncredited[s];
            if (n >= threshold) {
                uncredited[s] = 0;
                sendCredit(s, n);
            }
        }
    }

    private void sendCredit(int stream, int n) {
        synchronized (this) {
            if (state.get() == State.CLOSED) {
                return;
            }
            if (out.isEmpty()) {
                small.clear();
                FrameEncoder.credit(small, stream, n).flip();
                try {
                    ch.write(small);
                } catch (IOException e) {
                    return; // the read side sees the hang-up
                }
                if (!small.hasRemaining()) {
                    return;
                }
                ByteBuffer rest = ByteBuffer.allocate(small.remaining()).put(small).flip();
                queue(rest);
                return;
            }
            queue(FrameEncoder.credit(ByteBuffer.allocate(FrameEncoder.CREDIT_SIZE), stream, n).flip());
        }
    }

    // ---------------------------------------------------------------- writing (any thread)

    /**
     * Sends whole buffers in order (ownership passes to the connection).
     *
     * @return false when the connection is closed
     */
    boolean send(ByteBuffer... frames) {
        synchronized (this) {
            if (state.get() == State.CLOSED) {
                return false;
            }
            int i = 0;
            if (out.isEmpty()) {
                try {
                    while (i < frames.length) {
                        ch.write(frames[i]);
                        if (frames[i].hasRemaining()) {
                            break;
                        }
                        i++;
                    }
                } catch (ClosedChannelException e) {
                    return false;
                } catch (IOException e) {
                    return true; // the read side sees the hang-up and reports it
                }
            }
            for (; i < frames.length; i++) {
                queue(frames[i]);
            }
            return true;
        }
    }

    /** Queues a buffer and asks for write readiness (caller holds the lock). */
    private void queue(ByteBuffer b) {
        boolean wasEmpty = out.isEmpty();
        out.add(b);
        if (wasEmpty) {
            if (engine.loop().inLoop()) {
                if (key != null && key.isValid()) {
                    key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                }
            } else {
                engine.loop().later(() -> {
                    synchronized (this) {
                        if (!out.isEmpty() && key != null && key.isValid()) {
                            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                        }
                    }
                });
            }
        }
    }

    private void flush() {
        synchronized (this) {
            try {
                while (!out.isEmpty()) {
                    ByteBuffer b = out.peek();
                    ch.write(b);
                    if (b.hasRemaining()) {
                        return;
                    }
                    out.poll();
                }
            } catch (IOException e) {
                out.clear();
            }
            if (key.isValid()) {
                key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
            }
        }
    }

    // ---------------------------------------------------------------- frames (processing thread)

    @Override
    public void hello(int version, int role, long pid, byte[] token) throws ProtocolException {
        if (this.role != Role.UNKNOWN) {
            throw new ProtocolException("second HELLO on one connection");
        }
        if (version < Protocol.MIN_VERSION || version > Protocol.VERSION) {
            throw new ProtocolException("HELLO with protocol version " + version + " (this JVM speaks "
                    + Protocol.MIN_VERSION + ".." + Protocol.VERSION + "): the helper does not match this Corral version");
        }
        peerPid = pid;
        helloSettled();
        TokenKey t = TokenKey.of(token);
        if (role == Protocol.ROLE_BROKER) {
            Broker b = engine.brokerHello(t, this);
            if (b == null) {
                throw new ProtocolException("broker HELLO with an unknown token");
            }
            this.role = Role.BROKER;
            this.broker = b;
        } else if (role == Protocol.ROLE_HELPER) {
            HelperProgram p = engine.helperHello(t);
            if (p == null) {
                throw new ProtocolException("helper HELLO with an unknown or expired token");
            }
            this.role = Role.HELPER;
            this.program = p;
            p.attached(this, pid, version);
        } else {
            throw new ProtocolException("HELLO with unknown role " + role);
        }
    }

    private HelperProgram program(String frame) throws ProtocolException {
        if (program == null) {
            throw new ProtocolException(frame + " frame " + (role == Role.BROKER ? "from the broker" : "before HELLO"));
        }
        return program;
    }

    @Override
    public void spawned(long pid) throws ProtocolException {
        program("SPAWNED").spawned(pid);
    }

    @Override
    public void spawnFailed(int errno, int stage, byte[] token, String text) throws ProtocolException {
        if (role == Role.BROKER) {
            engine.brokerSpawnFailed(TokenKey.of(token), errno, stage, text);
            return;
        }
        program("SPAWN_FAILED").spawnFailed(errno, stage, text);
    }

    @Override
    public void data(int stream, ByteBuffer buffer, int offset, int length) throws ProtocolException {
        HelperProgram p = program("DATA");
        ByteBuffer view = rb.view;
        view.clear();
        view.position(offset);
        view.limit(offset + length);
        p.data(stream, buffer, offset, length, view);
        consumed(stream, length);
        turnBytes += length;
    }

    @Override
    public void eof(int stream) throws ProtocolException {
        program("EOF").eof(stream);
    }

    @Override
    public void exit(int kind, int value, int flags) throws ProtocolException {
        HelperProgram p = program("EXIT");
        lastFrame();
        p.exited(kind, value, flags);
    }

    @Override
    public void detached(long stdoutBytes, long stderrBytes) throws ProtocolException {
        HelperProgram p = program("DETACHED");
        lastFrame(); // the last frame on this connection: it is closed after processing
        p.detachedFrame(stdoutBytes, stderrBytes);
    }

    @Override
    public void attached(long pid, boolean exited, int kind, int value, long stdoutBytes, long stderrBytes,
            byte[] label) throws ProtocolException {
        HelperProgram p = program("ATTACHED");
        if (!p.isAdopted()) {
            throw new ProtocolException("ATTACHED frame on a connection that did not ATTACH");
        }
        p.attachedFrame(pid, exited, stdoutBytes, stderrBytes);
    }

    @Override
    public void stats(java.util.Map<String, String> files) throws ProtocolException {
        program("STATS").statsFrame(files);
    }

    @Override
    public void notify(long pid, byte[] message) throws ProtocolException {
        program("NOTIFY").notifyFrame(pid, message);
    }

    @Override
    public void helperExit(byte[] token, long pid, int kind, int value) throws ProtocolException {
        if (role != Role.BROKER) {
            throw new ProtocolException("HELPER_EXIT frame from a helper (only the broker sends it)");
        }
        engine.helperExited(broker, TokenKey.of(token), pid, kind, value);
    }

    @Override
    public void stopping(int signo, long graceMs) throws ProtocolException {
        program("STOPPING").stopping(signo, graceMs);
    }

    @Override
    public void message(int level, String text) {
        if (level == Protocol.LVL_ERROR && program != null && text.startsWith("DETACH refused")) {
            program.detachRefused(text);
        }
        String who = (role == Role.BROKER ? "broker" : "helper") + " (pid " + peerPid + ")"
                + (program != null ? " of " + program.describe() : "");
        switch (level) {
            case Protocol.LVL_ERROR:
                LOG.error("{}: {}", who, text);
                break;
            case Protocol.LVL_WARN:
                engine.warnOnce(who + ": " + text, text);
                break;
            case Protocol.LVL_INFO:
                LOG.info("{}: {}", who, text);
                break;
            default:
                LOG.debug("{}: {}", who, text);
        }
    }

    /** A pooled direct read buffer with its read-only view (handed to consumers). */
    static final class ReadBuf {
        final ByteBuffer buf;
        final ByteBuffer view;
        /** Bytes held (for accounting), updated by the IO thread. */
        volatile int buffered;

        ReadBuf(int capacity) {
            buf = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
            view = buf.asReadOnlyBuffer();
        }
    }

    /** Read buffers by capacity (IO thread, and delivery lanes while their buffer is lent). */
    static final class Pool {
        private static final int KEEP = 4;
        private final java.util.HashMap<Integer, ArrayDeque<ReadBuf>> free = new java.util.HashMap<>();

        static int sizeFor(int need) {
            int c = Math.max(64 * 1024, need);
            return (c + 4095) & ~4095;
        }

        synchronized ReadBuf acquire(int need) {
            int cap = sizeFor(need);
            ArrayDeque<ReadBuf> q = free.get(cap);
            ReadBuf r = q == null ? null : q.poll();
            if (r == null) {
                r = new ReadBuf(cap);
            }
            r.buf.clear();
            r.buffered = 0;
            return r;
        }

        synchronized void release(ReadBuf r) {
            r.buffered = 0;
            ArrayDeque<ReadBuf> q = free.computeIfAbsent(r.buf.capacity(), k -> new ArrayDeque<>());
            if (q.size() < KEEP) {
                q.add(r);
            }
        }

        @Override
        public String toString() {
            return "Pool" + Arrays.toString(free.keySet().toArray());
        }
    }
}
