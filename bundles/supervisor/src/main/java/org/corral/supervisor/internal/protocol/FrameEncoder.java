package org.corral.supervisor.internal.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Encodes the small frames the JVM sends (CREDIT, STDIN, STDIN_EOF, SIGNAL, STOP). */
public final class FrameEncoder {

    /** Size of a CREDIT frame. */
    public static final int CREDIT_SIZE = 4 + 1 + 5;
    /** Size of a SIGNAL frame. */
    public static final int SIGNAL_SIZE = 4 + 1 + 5;
    /** Size of a STOP frame. */
    public static final int STOP_SIZE = 4 + 1 + 8;
    /** Size of the STDIN header (payload follows). */
    public static final int STDIN_HDR_SIZE = 4 + 1;
    /** Size of a STDIN_EOF frame. */
    public static final int STDIN_EOF_SIZE = 4 + 1;

    private FrameEncoder() {
    }

    private static ByteBuffer hdr(ByteBuffer out, int type, int payload) {
        out.order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(payload + 1);
        out.put((byte) type);
        return out;
    }

    /** CREDIT: the JVM consumed {@code bytes} more of {@code stream}. */
    public static ByteBuffer credit(ByteBuffer out, int stream, int bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("credit must be positive: " + bytes);
        }
        return hdr(out, Protocol.T_CREDIT, 5).put((byte) stream).putInt(bytes);
    }

    /** SIGNAL to {@code target} (0 program, 1 process group, 2 every descendant). */
    public static ByteBuffer signal(ByteBuffer out, int target, int signo) {
        return hdr(out, Protocol.T_SIGNAL, 5).put((byte) target).putInt(signo);
    }

    /** STOP: start the teardown with this signal and grace. */
    public static ByteBuffer stop(ByteBuffer out, int signo, int graceMs) {
        return hdr(out, Protocol.T_STOP, 8).putInt(signo).putInt(graceMs);
    }

    /** STDIN header for {@code n} bytes (1 .. {@link Protocol#DATA_MAX}); the caller puts the bytes. */
    public static ByteBuffer stdinHeader(ByteBuffer out, int n) {
        if (n < 1 || n > Protocol.DATA_MAX) {
            throw new IllegalArgumentException("STDIN chunk must be 1.." + Protocol.DATA_MAX + " bytes: " + n);
        }
        return hdr(out, Protocol.T_STDIN, n);
    }

    /** STDIN_EOF. */
    public static ByteBuffer stdinEof(ByteBuffer out) {
        return hdr(out, Protocol.T_STDIN_EOF, 0);
    }

    /** Size of an ATTACH frame. */
    public static final int ATTACH_SIZE = 4 + 1 + 20;

    /**
     * DETACH (version 2): keep running without this connection, listen on {@code socketPath} for an ATTACH
     * with {@code secret} during {@code leaseMs}.
     */
    public static ByteBuffer detach(int leaseMs, byte[] secret, byte[] socketPath) {
        if (secret.length != Protocol.TOKEN_LEN) {
            throw new IllegalArgumentException("DETACH secret must be 16 bytes");
        }
        if (socketPath.length < 1 || socketPath.length > 107) {
            throw new IllegalArgumentException("DETACH socket path must be 1..107 bytes: " + socketPath.length);
        }
        ByteBuffer b = ByteBuffer.allocate(5 + 20 + socketPath.length);
        hdr(b, Protocol.T_DETACH, 20 + socketPath.length).putInt(leaseMs).put(secret).put(socketPath);
        return b.flip();
    }

    /** ATTACH (version 2): the first frame on a connection to a detached helper's socket. */
    public static ByteBuffer attach(byte[] secret, int window) {
        if (secret.length != Protocol.TOKEN_LEN) {
            throw new IllegalArgumentException("ATTACH secret must be 16 bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(ATTACH_SIZE);
        hdr(b, Protocol.T_ATTACH, 20).put(secret).putInt(window);
        return b.flip();
    }

    /** KILL_HELPER (version 3, to the broker): SIGKILL the helper forked for {@code token}, if it still runs. */
    public static ByteBuffer killHelper(byte[] token) {
        if (token.length != Protocol.TOKEN_LEN) {
            throw new IllegalArgumentException("KILL_HELPER token must be 16 bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(5 + Protocol.TOKEN_LEN);
        hdr(b, Protocol.T_KILL_HELPER, Protocol.TOKEN_LEN).put(token);
        return b.flip();
    }

    /** A whole frame of {@code type} with {@code payload} (for tests and simulated peers). */
    public static ByteBuffer frame(int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(5 + payload.length);
        hdr(b, type, payload.length).put(payload);
        return b.flip();
    }
}
