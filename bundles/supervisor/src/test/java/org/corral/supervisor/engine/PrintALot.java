package org.corral.supervisor.engine;

import java.nio.ByteBuffer;

import org.corral.api.OutputConsumer;
import org.corral.api.StreamKind;

/** The output pattern of the print_a_lot test program, and a consumer that counts and checks it. */
final class PrintALot implements OutputConsumer {

    static final byte[] PATTERN = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx\n"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    long count;
    long chunks;
    long firstBadAt = -1;
    private int phase;

    static String expected(long from, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (long i = from; i < from + n; i++) {
            sb.append((char) PATTERN[(int) (i % PATTERN.length)]);
        }
        return sb.toString();
    }

    @Override
    public void accept(StreamKind stream, ByteBuffer data) {
        chunks++;
        int n = data.remaining();
        int p = data.position();
        int ph = phase;
        if (firstBadAt < 0) {
            for (int i = 0; i < n; i++) {
                if (data.get(p + i) != PATTERN[ph]) {
                    firstBadAt = count + i;
                    break;
                }
                ph = ph == PATTERN.length - 1 ? 0 : ph + 1;
            }
        }
        count += n;
        phase = (int) (count % PATTERN.length);
    }
}
