package org.corral.api.values;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The escaping rule and the binary-line rule (issue 12.2). */
class PrintableTest {

    private static String line(String raw) {
        byte[] b = raw.getBytes(StandardCharsets.ISO_8859_1);
        return Printable.line(b, 0, b.length);
    }

    private static String utf8(String text) {
        return Printable.line(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void terminalControlSequencesBecomeText() {
        // the two sequences: retitle the terminal, clear the screen
        assertEquals("\\x1b]0;owned\\x07 \\x1b[2J", utf8("\u001b]0;owned\u0007 \u001b[2J"));
        assertEquals("\\x1b]0;owned\\x07 \\x1b[2J", Printable.escape("\u001b]0;owned\u0007 \u001b[2J"));
    }

    @Test
    void everyC0ControlButTabAndDel() {
        for (char c = 0; c < 0x20; c++) {
            String shown = Printable.escape("a" + c + "b");
            if (c == '\t') {
                assertEquals("a\tb", shown);
            } else {
                assertEquals(String.format("a\\x%02xb", (int) c), shown, "control " + (int) c);
            }
        }
        assertEquals("\\x7f", Printable.escape("\u007f"));
        assertEquals("a line\tb\\x0d\\x0a\\x00\\x7f with text", utf8("a line\tb\r\n\u0000\u007f with text"));
    }

    @Test
    void c1ControlsBidiOverridesAndLineSeparators() {
        assertEquals("\\u0085 \\u009b1m", Printable.escape("\u0085 \u009b1m"));
        assertEquals("next \\u0085 line, \\u009b1m bold", utf8("next \u0085 line, \u009b1m bold"));
        assertEquals("abc\\u202edcba \\u2066x\\u2069", Printable.escape("abc\u202edcba \u2066x\u2069"));
        assertEquals("one\\u2028two\\u2029", utf8("one\u2028two\u2029"));
        assertEquals("\\ud800x", Printable.escape("\ud800x"));
    }

    @Test
    void plainTextIsUnchangedAndNotCopied() {
        String s = "tick 42: héllo wörld, 温度 21°C 🐄\ttab";
        assertSame(s, Printable.escape(s));
        assertEquals(s, utf8(s));
        assertEquals("", Printable.escape(null));
        assertEquals("", Printable.line(new byte[0]));
        assertEquals("\\x1b[31mred", Printable.escape("\\x1b[31mred"), "backslashes are left alone");
    }

    @Test
    void bytesThatAreNotUtf8AreShownAsHex() {
        assertEquals("caf\\xe9 ok", line("caf\u00e9 ok")); // Latin-1 é
        assertEquals("an overlong \\xc0\\x80 NUL", line("an overlong \u00c0\u0080 NUL"));
        assertEquals("a surrogate \\xed\\xa0\\x80 encoded", line("a surrogate \u00ed\u00a0\u0080 encoded"));
        assertEquals("cut short at the end \\xe2\\x82", line("cut short at the end \u00e2\u0082"));
        assertEquals("\\xf4\\x90\\x80\\x80 is beyond U+10FFFF", line("\u00f4\u0090\u0080\u0080 is beyond U+10FFFF"));
    }

    @Test
    void colouredLinesAreTextNotBinary() {
        String coloured = "\u001b[1;31mERROR\u001b[0m: disk /dev/sda1 full";
        assertFalse(Printable.isBinary(bytes(coloured), 0, coloured.length()));
        assertEquals("\\x1b[1;31mERROR\\x1b[0m: disk /dev/sda1 full", utf8(coloured));
        // exactly a quarter is still text: ESC [ 2 J
        assertEquals("\\x1b[2J", utf8("\u001b[2J"));
    }

    @Test
    void binaryLinesAreSummarised() {
        byte[] random = new byte[4096];
        new Random(12).nextBytes(random);
        for (int i = 0; i < random.length; i++) {
            if (random[i] == '\n') {
                random[i] = 0; // one line
            }
        }
        assertTrue(Printable.isBinary(random, 0, random.length));
        assertEquals("[4096 bytes of binary output]", Printable.line(random));
        assertEquals("[10 bytes of binary output]", Printable.line("hello".getBytes(StandardCharsets.UTF_16LE)));
        assertEquals("[1 byte of binary output]", Printable.line(new byte[] {7}));
        assertEquals("[3 bytes of binary output]", line("\u0000\u0001\u0002"));
        // a C1 control counts with both of its bytes
        assertTrue(Printable.isBinary(bytes("ab\u0085"), 0, 4));
    }

    @Test
    void theRuleIsMoreThanAQuarter() {
        // 3 control bytes in 12: a quarter, text; 4 in 12: binary
        assertFalse(Printable.isBinary(bytes("\u0001\u0002\u0003abcdefghi"), 0, 12));
        assertTrue(Printable.isBinary(bytes("\u0001\u0002\u0003\u0004abcdefgh"), 0, 12));
        // invalid bytes count one each
        byte[] latin = "\u00e9\u00e9\u00e9abcdefghi".getBytes(StandardCharsets.ISO_8859_1);
        assertFalse(Printable.isBinary(latin, 0, latin.length));
    }

    @Test
    void aSliceOfABuffer() {
        byte[] b = "xx\u001b[2Jyy".getBytes(StandardCharsets.UTF_8);
        assertEquals("\\x1b[2J", Printable.line(b, 2, 4));
    }

    @Test
    void commandLines() {
        assertEquals("/bin/sh -c 'echo \"$HOME\" it'\\''s' '' plain", Printable.commandLine(
                java.util.List.of("/bin/sh", "-c", "echo \"$HOME\" it's", "", "plain")));
        assertEquals("printf '\\x1b[2J'", Printable.commandLine(java.util.List.of("printf", "\u001b[2J")));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
