package org.corral.api.values;

/**
 * Text from programs and configurations made safe to show on a terminal, in a log file or on a web page: the
 * one routine every Corral view uses (the daemon logs and recent lines, the console, JMX, the web console).
 *
 * <h2>The rule</h2>
 * <ul>
 * <li><b>Control characters are made visible as text</b>: C0 controls other than TAB (U+0000..U+001F, so also
 *     ESC, CR, BEL, backspace) and DEL (U+007F) as {@code \xNN} (ESC is {@code \x1b}); C1 controls
 *     (U+0080..U+009F, which some terminals obey like ESC sequences), the Unicode bidirectional embeddings,
 *     overrides and isolates (U+202A..U+202E, U+2066..U+2069, which make a line read other than it is), the line
 *     and paragraph separators (U+2028, U+2029) and unpaired surrogates as {@code \\uNNNN}. A program can therefore
 *     neither move the cursor, clear, retitle or reprogram a terminal, nor forge the start of another log line.
 *     Backslashes are left as they are: {@code \x1b} in the output may be an escaped ESC or those four
 *     characters; the exact bytes are where a program asks for them (below).</li>
 * <li><b>Bytes that are not UTF-8</b> (a Latin-1 {@code é}, a stray byte) are shown as {@code \xNN} too, rather
 *     than as U+FFFD, so that nothing is lost from view.</li>
 * <li><b>Binary lines are summarised</b>: a line of which more than a quarter of the bytes are not text (bytes
 *     that are not UTF-8, control characters other than TAB, DEL, C1 controls) is shown as
 *     {@code [4096 bytes of binary output]} instead, the way journald shows a binary message as a blob. A line
 *     with a few colour codes ({@code \x1b[31mERROR\x1b[0m: disk full}) is text, escaped; random bytes, a
 *     compressed stream or UTF-16 text are summaries.</li>
 * </ul>
 *
 * <p>Only what is shown goes through here. The exact bytes stay available where a program asks for them: a
 * {@code ProcessResult}, an {@code OutputConsumer}, and the console's {@code corral:run}, which writes a program's
 * output to the terminal of the administrator who runs it.
 *
 * @since 1.1
 */
public final class Printable {

    /** A line is binary when more than this share of its bytes are not text: 1 in {@value}. */
    public static final int BINARY_ONE_IN = 4;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Printable() {
    }

    /**
     * {@code s} with every control character made visible ({@link Printable the rule}); the same string when
     * there is none. Null gives "".
     */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                if (sb != null) {
                    sb.append(c).append(s.charAt(i + 1));
                }
                i++;
                continue;
            }
            if (!needsEscape(c)) {
                if (sb != null) {
                    sb.append(c);
                }
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            appendEscaped(sb, c);
        }
        return sb == null ? s : sb.toString();
    }

    /**
     * One line of program output (without its line end) as it is shown: decoded as UTF-8 and escaped, or the
     * summary {@code [N bytes of binary output]} for a binary line ({@link Printable the rule}).
     */
    public static String line(byte[] bytes, int offset, int length) {
        checkRange(bytes, offset, length);
        if (isBinary(bytes, offset, length)) {
            return summary(length);
        }
        StringBuilder sb = new StringBuilder(length + 8);
        int end = offset + length;
        int i = offset;
        while (i < end) {
            int b = bytes[i] & 0xff;
            if (b < 0x80) {
                if (needsEscape((char) b)) {
                    appendEscaped(sb, (char) b);
                } else {
                    sb.append((char) b);
                }
                i++;
                continue;
            }
            int n = sequence(bytes, i, end);
            if (n == 0) {
                appendHexByte(sb, b);
                i++;
                continue;
            }
            int cp = codePoint(bytes, i, n);
            if (cp < 0x10000) {
                char c = (char) cp;
                if (needsEscape(c)) {
                    appendEscaped(sb, c);
                } else {
                    sb.append(c);
                }
            } else {
                sb.appendCodePoint(cp);
            }
            i += n;
        }
        return sb.toString();
    }

    /** {@link #line(byte[], int, int)} of a whole array. */
    public static String line(byte[] bytes) {
        return line(bytes, 0, bytes.length);
    }

    /**
     * Whether a line is binary: more than one in {@value #BINARY_ONE_IN} of its bytes are not text (bytes of no
     * valid UTF-8 sequence, C0 controls other than TAB, DEL, C1 controls). An empty line is text.
     */
    public static boolean isBinary(byte[] bytes, int offset, int length) {
        checkRange(bytes, offset, length);
        int end = offset + length;
        int notText = 0;
        int i = offset;
        while (i < end) {
            int b = bytes[i] & 0xff;
            if (b < 0x80) {
                if ((b < 0x20 && b != '\t') || b == 0x7f) {
                    notText++;
                }
                i++;
                continue;
            }
            int n = sequence(bytes, i, end);
            if (n == 0) {
                notText++;
                i++;
                continue;
            }
            if (n == 2 && codePoint(bytes, i, n) <= 0x9f) {
                notText += 2; // a C1 control
            }
            i += n;
        }
        return (long) notText * BINARY_ONE_IN > length;
    }

    /**
     * A command line for people: each word {@link #escape escaped}, and quoted the way a POSIX shell would need
     * it ({@code 'two words'}, {@code ''} for an empty word), separated by spaces: {@code /bin/sh -c 'echo hi'}.
     */
    public static String commandLine(java.util.List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String word : argv) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            String w = escape(word);
            if (w.isEmpty()) {
                sb.append("''");
            } else if (w.chars().allMatch(c -> Character.isLetterOrDigit(c) || "@%+=:,./_-".indexOf(c) >= 0)) {
                sb.append(w);
            } else {
                sb.append('\'').append(w.replace("'", "'\\''")).append('\'');
            }
        }
        return sb.toString();
    }

    /** What a binary line of {@code length} bytes is shown as: {@code [4096 bytes of binary output]}. */
    public static String summary(int length) {
        return "[" + length + (length == 1 ? " byte" : " bytes") + " of binary output]";
    }

    // ---------------------------------------------------------------- the pieces

    private static boolean needsEscape(char c) {
        return (c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e)
                || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c);
    }

    private static void appendEscaped(StringBuilder sb, char c) {
        if (c < 0x80) {
            appendHexByte(sb, c);
        } else {
            sb.append("\\u").append(HEX[(c >> 12) & 0xf]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf])
                    .append(HEX[c & 0xf]);
        }
    }

    private static void appendHexByte(StringBuilder sb, int b) {
        sb.append("\\x").append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
    }

    /**
     * The length (2..4) of the valid UTF-8 sequence that starts at {@code i} with a lead byte >= 0x80, or 0 when
     * none does (a continuation byte, an overlong form, a surrogate, beyond U+10FFFF, or cut short).
     */
    private static int sequence(byte[] b, int i, int end) {
        int lead = b[i] & 0xff;
        int n;
        int min;
        if (lead >= 0xc2 && lead <= 0xdf) {
            n = 2;
            min = 0x80;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            n = 3;
            min = 0x800;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            n = 4;
            min = 0x10000;
        } else {
            return 0;
        }
        if (i + n > end) {
            return 0;
        }
        for (int k = 1; k < n; k++) {
            if ((b[i + k] & 0xc0) != 0x80) {
                return 0;
            }
        }
        int cp = codePoint(b, i, n);
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        return n;
    }

    private static int codePoint(byte[] b, int i, int n) {
        int cp = (b[i] & 0xff) & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
        for (int k = 1; k < n; k++) {
            cp = (cp << 6) | (b[i + k] & 0x3f);
        }
        return cp;
    }

    private static void checkRange(byte[] bytes, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > bytes.length) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + " of " + bytes.length);
        }
    }
}
