package org.corral.supervisor.internal.engine;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Collects one stream's output up to a cap, in blocks (no re-copying while it grows; one copy into the
 * final array). Not thread-safe: used by one thread at a time.
 */
final class Collector {

    private static final int FIRST_BLOCK = 4096;
    /** Below G1's humongous threshold (half a region: 512 KiB at the smallest region size). */
    private static final int MAX_BLOCK = 256 * 1024;

    private final long cap;
    private final List<byte[]> full = new ArrayList<>();
    private byte[] block;
    private int used;
    private long size;
    private boolean truncated;

    Collector(long cap) {
        this.cap = Math.min(cap, Integer.MAX_VALUE - 16);
    }

    /** Appends what fits under the cap from {@code buf[offset, offset + length)}; positions untouched. */
    void add(ByteBuffer buf, int offset, int length) {
        long room = cap - size;
        if (room <= 0) {
            truncated |= length > 0;
            return;
        }
        if (length > room) {
            truncated = true;
            length = (int) room;
        }
        while (length > 0) {
            if (block == null || used == block.length) {
                if (block != null) {
                    full.add(block);
                }
                int next = block == null ? FIRST_BLOCK : Math.min(MAX_BLOCK, block.length * 2);
                next = (int) Math.min(next, Math.max(FIRST_BLOCK, Math.min(cap - size, MAX_BLOCK)));
                block = new byte[Math.max(next, Math.min(length, MAX_BLOCK))];
                used = 0;
            }
            int n = Math.min(length, block.length - used);
            buf.get(offset, block, used, n);
            used += n;
            offset += n;
            length -= n;
            size += n;
        }
    }

    boolean truncated() {
        return truncated;
    }

    long size() {
        return size;
    }

    /** The collected bytes as one exact-size array. */
    byte[] toArray() {
        if (full.isEmpty()) {
            return block == null ? new byte[0] : (used == block.length ? block : Arrays.copyOf(block, used));
        }
        byte[] out = new byte[(int) Math.min(size, Integer.MAX_VALUE - 16)];
        int at = 0;
        for (byte[] b : full) {
            int n = Math.min(b.length, out.length - at);
            System.arraycopy(b, 0, out, at, n);
            at += n;
        }
        if (block != null) {
            System.arraycopy(block, 0, out, at, Math.min(used, out.length - at));
        }
        return out;
    }
}
