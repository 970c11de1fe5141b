package org.corral.web.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the Prometheus text exposition format (version 0.0.4): each metric family once, with its
 * {@code # HELP} and {@code # TYPE} lines, its samples together, label values escaped. Families without a
 * sample are left out.
 */
final class PromText {

    /** The content type a scraper expects for this format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final class Family {
        final String type;
        final String help;
        final List<String> samples = new ArrayList<>();

        Family(String type, String help) {
            this.type = type;
            this.help = help;
        }
    }

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** Declares a family (a gauge or counter); samples are added with {@link #sample}. */
    PromText family(String name, String type, String help) {
        families.putIfAbsent(name, new Family(type, help));
        return this;
    }

    /** A sample of a declared family; {@code labels} are name, value pairs. */
    PromText sample(String name, String value, String... labels) {
        Family f = families.get(name);
        if (f == null) {
            throw new IllegalArgumentException("metric family " + name + " was not declared");
        }
        StringBuilder sb = new StringBuilder(name);
        if (labels.length > 0) {
            sb.append('{');
            for (int i = 0; i + 1 < labels.length; i += 2) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(labels[i]).append("=\"").append(labelValue(labels[i + 1])).append('"');
            }
            sb.append('}');
        }
        f.samples.add(sb.append(' ').append(value).toString());
        return this;
    }

    PromText sample(String name, long value, String... labels) {
        return sample(name, Long.toString(value), labels);
    }

    /** The exposition text. */
    String render() {
        StringBuilder sb = new StringBuilder(4096);
        for (Map.Entry<String, Family> e : families.entrySet()) {
            Family f = e.getValue();
            if (f.samples.isEmpty()) {
                continue;
            }
            sb.append("# HELP ").append(e.getKey()).append(' ').append(help(f.help)).append('\n');
            sb.append("# TYPE ").append(e.getKey()).append(' ').append(f.type).append('\n');
            for (String s : f.samples) {
                sb.append(s).append('\n');
            }
        }
        return sb.toString();
    }

    /** Microseconds as seconds, exactly, without exponent notation ({@code 1234567} gives {@code 1.234567}). */
    static String seconds(long micros) {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }

    /** Milliseconds since the epoch as seconds ({@code 1700000000123} gives {@code 1700000000.123}). */
    static String epochSeconds(long millis) {
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
    }

    static String labelValue(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String help(String h) {
        return h.replace("\\", "\\\\").replace("\n", "\\n");
    }
}
