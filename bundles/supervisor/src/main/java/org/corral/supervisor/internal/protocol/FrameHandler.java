package org.corral.supervisor.internal.protocol;

import java.nio.ByteBuffer;

/**
 * Receives the frames a broker or helper sends, decoded by {@link FrameDecoder}. DATA is handed on without
 * copying: as the read buffer plus offset and length, valid only during the call.
 */
public interface FrameHandler {

    /** HELLO. {@code token} is a fresh 16-byte array. */
    void hello(int version, int role, long pid, byte[] token) throws ProtocolException;

    /** SPAWNED with the program's pid. */
    void spawned(long pid) throws ProtocolException;

    /**
     * SPAWN_FAILED. {@code token} is the 16-byte token in the broker's form (fork failed), else null
     * ({@code fromBroker} decides which form is decoded).
     */
    void spawnFailed(int errno, int stage, byte[] token, String text) throws ProtocolException;

    /**
     * DATA: {@code length} bytes of {@code stream} at absolute index {@code offset} of {@code buffer}.
     * Valid only during the call; do not change the buffer's position or limit.
     */
    void data(int stream, ByteBuffer buffer, int offset, int length) throws ProtocolException;

    /** EOF of a stream. */
    void eof(int stream) throws ProtocolException;

    /** EXIT: kind (0 exited, 1 signaled), value (code or signal), flags. */
    void exit(int kind, int value, int flags) throws ProtocolException;

    /** MESSAGE. */
    void message(int level, String text) throws ProtocolException;

    /** STDIN_ACK (only when the SPAWN asked for it): {@code bytes} more STDIN payload bytes were written or dropped. */
    default void stdinAck(long bytes) throws ProtocolException {
        throw new ProtocolException("unexpected STDIN_ACK frame (the spawn did not ask for acknowledgements)");
    }

    /** DETACHED (version 2): the DETACH was honoured; DATA payload totals per stream since SPAWNED. */
    default void detached(long stdoutBytes, long stderrBytes) throws ProtocolException {
        throw new ProtocolException("unexpected DETACHED frame (no DETACH was sent)");
    }

    /**
     * ATTACHED (version 2), right after HELLO on a re-attach connection.
     *
     * @param exited whether the program was reaped already ({@code kind}/{@code value} as in EXIT)
     * @param label the SPAWN's LABEL bytes (a fresh array, possibly empty)
     */
    default void attached(long pid, boolean exited, int kind, int value, long stdoutBytes, long stderrBytes,
            byte[] label) throws ProtocolException {
        throw new ProtocolException("unexpected ATTACHED frame (no ATTACH was sent)");
    }

    /**
     * STATS: the interface files of the spawn's CGROUP_STATS cgroup (name to content), read by the helper once
     * the program's cgroup was empty, just before EXIT.
     */
    default void stats(java.util.Map<String, String> files) throws ProtocolException {
        throw new ProtocolException("unexpected STATS frame (the spawn named no CGROUP_STATS)");
    }

    /**
     * NOTIFY: a datagram that process {@code pid} of the program sent to its sd_notify socket (only when the
     * SPAWN had a NOTIFY field). {@code message} is a fresh array of 1..4096 bytes.
     */
    default void notify(long pid, byte[] message) throws ProtocolException {
        throw new ProtocolException("unexpected NOTIFY frame (the spawn asked for no notify socket)");
    }

    /**
     * HELPER_EXIT (version 3, from the broker): the helper forked for {@code token} was reaped with this
     * wait status ({@code kind} and {@code value} as in EXIT).
     */
    default void helperExit(byte[] token, long pid, int kind, int value) throws ProtocolException {
        throw new ProtocolException("unexpected HELPER_EXIT frame (only a broker sends it)");
    }

    /** STOPPING (version 3): the helper read a STOP and tears down with this signal and grace. */
    default void stopping(int signo, long graceMs) throws ProtocolException {
        throw new ProtocolException("unexpected STOPPING frame (no STOP was sent)");
    }
}
