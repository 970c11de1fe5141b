package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.corral.api.StreamKind;
import org.junit.jupiter.api.Test;

class LineSplitterTest {

    private final List<String> lines = new ArrayList<>();

    private LineSplitter splitter(int max) {
        return new LineSplitter(StreamKind.STDOUT, max, (s, b, n) -> {
            assertEquals(StreamKind.STDOUT, s);
            lines.add(new String(b, 0, n, StandardCharsets.ISO_8859_1));
        });
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The bytes of {@code s} in UTF-8, one char per byte (as the lines are recorded). */
    private static String utf8(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    @Test
    void splitsAtNewlinesAcrossChunks() {
        LineSplitter sp = splitter(100);
        sp.feed(bytes("one\ntw"));
        sp.feed(bytes("o\n\nthr"));
        assertEquals(List.of("one", "two", ""), lines);
        assertEquals(3, sp.pending());
        sp.feed(bytes("ee\r\n"));
        assertEquals(List.of("one", "two", "", "three"), lines);
    }

    @Test
    void lastPartialLineIsFlushed() {
        LineSplitter sp = splitter(100);
        sp.feed(bytes("done\nno newline at the end"));
        sp.flush();
        sp.flush();
        assertEquals(List.of("done", "no newline at the end"), lines);
    }

    @Test
    void longLinesAreSplit() {
        LineSplitter sp = splitter(16);
        sp.feed(bytes("0123456789abcdefXYZ\n"));
        sp.feed(bytes("0123456789abcdef\n"));
        assertEquals(List.of("0123456789abcdef", "XYZ", "0123456789abcdef"), lines);
        lines.clear();
        sp.feed(bytes("x".repeat(1000) + "\n"));
        assertEquals(63, lines.size());
        assertEquals("x".repeat(8), lines.get(62));
    }

    @Test
    void splitDoesNotCutAMultiByteCharacter() {
        LineSplitter sp = splitter(16);
        // 14 ASCII bytes then a 3-byte character: a cut at 16 would fall inside it
        sp.feed(bytes("abcdefghijklmn\u20ac!\n"));
        assertEquals(List.of("abcdefghijklmn", utf8("\u20ac!")), lines);
        lines.clear();
        sp.feed(bytes("\u20ac".repeat(10) + "\n"));
        assertEquals(List.of(utf8("\u20ac".repeat(5)), utf8("\u20ac".repeat(5))), lines);
    }

    @Test
    void bytesArePassedOnAsWritten() {
        LineSplitter sp = splitter(100);
        sp.feed(ByteBuffer.wrap(new byte[] {'a', (byte) 0xff, 'b', (byte) 0xc3, 0x1b, '\n', (byte) 0xe2, (byte) 0x82}));
        sp.flush();
        assertEquals(List.of("a\u00ffb\u00c3\u001b", "\u00e2\u0082"), lines);
    }

    @Test
    void binaryGarbageAtMaxLengthStillSplits() {
        LineSplitter sp = splitter(16);
        byte[] junk = new byte[40];
        java.util.Arrays.fill(junk, (byte) 0x80); // continuation bytes only
        sp.feed(ByteBuffer.wrap(junk));
        sp.flush();
        int total = 0;
        for (String l : lines) {
            total += l.length();
        }
        assertEquals(40, total, lines.toString());
    }

    @Test
    void everyByteOfManySmallChunksArrives() {
        LineSplitter sp = splitter(64);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            expected.append("line ").append(i).append('\n');
        }
        byte[] all = expected.toString().getBytes(StandardCharsets.UTF_8);
        for (int off = 0; off < all.length; off += 7) {
            sp.feed(ByteBuffer.wrap(all, off, Math.min(7, all.length - off)));
        }
        assertEquals(500, lines.size());
        assertEquals("line 499", lines.get(499));
    }
}
