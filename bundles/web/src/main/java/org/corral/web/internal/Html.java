package org.corral.web.internal;

import org.corral.api.values.Printable;

/**
 * The one routine through which every piece of text reaches the page: {@link #text} makes control characters
 * visible with the API's {@link Printable#escape} (the routine the supervisor uses for daemon output at its source,
 * so output lines arrive already escaped and pass through unchanged), then escapes HTML.
 */
final class Html {

    private Html() {
    }

    /** {@code s} with every control character made visible as text: {@link Printable#escape}. */
    static String visible(String s) {
        return Printable.escape(s);
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
