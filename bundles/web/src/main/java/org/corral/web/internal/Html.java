package org.corral.web.internal;

/**
 * The one routine through which every piece of text reaches the page: {@link #text} makes control characters
 * visible, then escapes HTML. Output lines arrive already escaped once issue 12's escaping is at their source
 * (ESC as the four characters {@code \x1b}); passing them through here again leaves them as they are, and a raw
 * control character that still arrives is made visible the same way.
 */
final class Html {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Html() {
    }

    /**
     * {@code s} with every control character made visible as text: C0 controls except TAB and DEL as
     * {@code \xNN}, C1 controls (U+0080..U+009F) and the Unicode bidirectional overrides and isolates
     * (U+202A..U+202E, U+2066..U+2069, which can make a line read other than it is) as {@code \\uNNNN}.
     */
    static String visible(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String rep = null;
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                rep = "\\x" + HEX[c >> 4] + HEX[c & 0xf];
            } else if ((c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
                rep = String.format("\\u%04x", (int) c);
            }
            if (rep != null) {
                if (sb == null) {
                    sb = new StringBuilder(s.length() + 16).append(s, 0, i);
                }
                sb.append(rep);
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    /**
     * {@code s} for an HTML text node or a quoted attribute value: {@link #visible} first, then {@code & < > " '}
     * as entities, and {@code $} as {@code &#36;} (the web console's writer replaces {@code ${...}} in HTML
     * responses with its own variables, so a program's {@code ${brand.name}} would otherwise not show as written).
     */
    static String text(String s) {
        String v = visible(s);
        StringBuilder sb = null;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            String rep;
            switch (c) {
                case '&': rep = "&amp;"; break;
                case '<': rep = "&lt;"; break;
                case '>': rep = "&gt;"; break;
                case '"': rep = "&quot;"; break;
                case '\'': rep = "&#39;"; break;
                case '$': rep = "&#36;"; break;
                default: rep = null;
            }
            if (rep != null) {
                if (sb == null) {
                    sb = new StringBuilder(v.length() + 16).append(v, 0, i);
                }
                sb.append(rep);
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? v : sb.toString();
    }

    /** {@code s} as one URL query parameter value (UTF-8, percent-encoded). */
    static String query(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
}
