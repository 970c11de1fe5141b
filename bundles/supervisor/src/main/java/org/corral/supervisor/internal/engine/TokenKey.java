package org.corral.supervisor.internal.engine;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.HexFormat;

/** A 16-byte spawn/broker token as a map key. */
record TokenKey(long hi, long lo) {

    private static final SecureRandom RANDOM = new SecureRandom();

    static TokenKey random() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return of(b);
    }

    static TokenKey of(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b);
        return new TokenKey(bb.getLong(), bb.getLong());
    }

    byte[] bytes() {
        return ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
    }

    String hex() {
        return HexFormat.of().formatHex(bytes());
    }
}
