package org.corral.supervisor.internal.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import org.corral.api.Capability;
import org.corral.api.CommandSpec;
import org.corral.api.ResourceLimit;
import org.corral.api.Rlimit;

/**
 * Builds one SPAWN frame: a header and a sequence of fields {@code u16 tag, u32 len, bytes}. Call the
 * field methods in any order, then {@link #build()}.
 */
public final class SpawnFrame {

    private byte[] buf = new byte[512];
    private int n = Protocol.HDR_LEN;

    private void ensure(int more) {
        if (n + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + more));
        }
    }

    private void putU16(int v) {
        buf[n++] = (byte) v;
        buf[n++] = (byte) (v >>> 8);
    }

    private void putU32(int v) {
        buf[n++] = (byte) v;
        buf[n++] = (byte) (v >>> 8);
        buf[n++] = (byte) (v >>> 16);
        buf[n++] = (byte) (v >>> 24);
    }

    /** A field with raw bytes. */
    public SpawnFrame field(int tag, byte[] value) {
        ensure(6 + value.length);
        putU16(tag);
        putU32(value.length);
        System.arraycopy(value, 0, buf, n, value.length);
        n += value.length;
        return this;
    }

    /** A string field (UTF-8, must not contain NUL). */
    public SpawnFrame field(int tag, String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("SPAWN field " + tag + " contains NUL");
        }
        return field(tag, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A u32 field. */
    public SpawnFrame u32(int tag, int value) {
        ensure(10);
        putU16(tag);
        putU32(4);
        putU32(value);
        return this;
    }

    /** A u64 field. */
    public SpawnFrame u64(int tag, long value) {
        ensure(14);
        putU16(tag);
        putU32(8);
        putU32((int) value);
        putU32((int) (value >>> 32));
        return this;
    }

    /** An RLIMIT field: resource number, soft, hard ({@link Rlimit#UNLIMITED} is all ones, as in the protocol). */
    public SpawnFrame rlimit(int resource, long soft, long hard) {
        ensure(6 + 17);
        putU16(Protocol.F_RLIMIT);
        putU32(17);
        buf[n++] = (byte) resource;
        putU32((int) soft);
        putU32((int) (soft >>> 32));
        putU32((int) hard);
        putU32((int) (hard >>> 32));
        return this;
    }

    /**
     * The hardening fields (19..24) of {@code spec}: only those it sets, so that a spec without hardening
     * gives the frame it always gave.
     */
    public SpawnFrame hardening(CommandSpec spec) {
        if (spec.noNewPrivileges()) {
            field(Protocol.F_NO_NEW_PRIVS, new byte[0]);
        }
        spec.capabilities().ifPresent(caps -> {
            long bits = 0;
            for (Capability c : caps) {
                bits |= 1L << c.number();
            }
            u64(Protocol.F_CAPS, bits);
        });
        for (Map.Entry<Rlimit, ResourceLimit> e : spec.rlimits().entrySet()) {
            rlimit(e.getKey().number(), e.getValue().soft(), e.getValue().hard());
        }
        spec.nice().ifPresent(v -> u32(Protocol.F_NICE, v));
        spec.oomScoreAdj().ifPresent(v -> u32(Protocol.F_OOM_SCORE_ADJ, v));
        spec.umask().ifPresent(v -> u32(Protocol.F_UMASK, v));
        return this;
    }

    /** A u8 field. */
    /**
     * The NOTIFY field: the helper makes the program an sd_notify socket in {@code dir} (absolute, at most
     * {@link Protocol#NOTIFY_DIR_MAX} bytes) and passes {@code NOTIFY_SOCKET}, and with {@code watchdogUsec > 0}
     * also {@code WATCHDOG_USEC} and {@code WATCHDOG_PID}.
     */
    public SpawnFrame notify(String dir, long watchdogUsec) {
        byte[] d = dir.getBytes(StandardCharsets.UTF_8);
        if (d.length == 0 || d[0] != '/' || d.length > Protocol.NOTIFY_DIR_MAX) {
            throw new IllegalArgumentException("notify socket directory '" + dir + "' must be absolute and at most "
                    + Protocol.NOTIFY_DIR_MAX + " bytes");
        }
        if (watchdogUsec < 0) {
            throw new IllegalArgumentException("watchdog " + watchdogUsec + " us");
        }
        byte[] v = new byte[8 + d.length];
        ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(watchdogUsec).put(d);
        return field(Protocol.F_NOTIFY, v);
    }

    public SpawnFrame u8(int tag, int value) {
        ensure(7);
        putU16(tag);
        putU32(1);
        buf[n++] = (byte) value;
        return this;
    }

    /** A u32 array field. */
    public SpawnFrame u32s(int tag, int[] values) {
        ensure(6 + 4 * values.length);
        putU16(tag);
        putU32(4 * values.length);
        for (int v : values) {
            putU32(v);
        }
        return this;
    }

    /** STDIN field: mode, then (mode 2) the file path. */
    public SpawnFrame stdin(int mode, String file) {
        byte[] path = file == null ? new byte[0] : file.getBytes(StandardCharsets.UTF_8);
        byte[] v = new byte[1 + path.length];
        v[0] = (byte) mode;
        System.arraycopy(path, 0, v, 1, path.length);
        return field(Protocol.F_STDIN, v);
    }

    /** Appends fields encoded by another {@link SpawnFrame} ({@link #fieldBytes()}). */
    public SpawnFrame raw(byte[] fields) {
        ensure(fields.length);
        System.arraycopy(fields, 0, buf, n, fields.length);
        n += fields.length;
        return this;
    }

    /** The fields written so far, without the header (for {@link #raw}). */
    public byte[] fieldBytes() {
        return Arrays.copyOfRange(buf, Protocol.HDR_LEN, n);
    }

    /** Size of the frame so far. */
    public int size() {
        return n;
    }

    /**
     * The finished frame, ready to write.
     *
     * @throws IllegalStateException the frame is larger than the protocol allows
     */
    public ByteBuffer build() {
        int len = n - 4;
        if (len > Protocol.FRAME_MAX) {
            throw new IllegalStateException("SPAWN request too large: " + len + " bytes (limit "
                    + Protocol.FRAME_MAX + "); shorten argv or the environment");
        }
        ByteBuffer b = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, len);
        b.put(4, (byte) Protocol.T_SPAWN);
        return b;
    }
}
