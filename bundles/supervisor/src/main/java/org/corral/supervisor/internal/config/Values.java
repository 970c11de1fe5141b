package org.corral.supervisor.internal.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsers for the value formats of daemon configurations: durations ({@code 500ms}, {@code 2s},
 * {@code 1m30s}) and human sizes ({@code 256M}, binary multiples). Every refusal is an {@link IllegalArgumentException} whose message says what
 * was expected; the caller adds the key and the configuration. (cgroup limit values are parsed by
 * {@link org.corral.api.CgroupLimits.Builder#set}.)
 */
public final class Values {

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]?)(i?b)?",
            Pattern.CASE_INSENSITIVE);

    private Values() {
    }

    /**
     * Parses a duration: one or more {@code <number><unit>} parts with units {@code ms}, {@code s},
     * {@code m}, {@code h}, {@code d} ({@code 500ms}, {@code 1.5s}, {@code 1m30s}); a bare {@code 0} is zero.
     * A bare other number is refused (its unit would be a guess).
     */
    public static Duration duration(String text) {
        String t = text == null ? "" : text.trim();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty duration (expected e.g. 500ms, 2s, 1m)");
        }
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("a duration cannot be negative");
        }
        if (t.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("a duration needs a unit: " + t + "ms or " + t + "s? (units: ms, s, m, h, d)");
        }
        Matcher m = DURATION_PART.matcher(t);
        int pos = 0;
        BigDecimal nanos = BigDecimal.ZERO;
        while (pos < t.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw new IllegalArgumentException("not a duration (expected e.g. 500ms, 2s, 1m30s; units: ms, s, m, h, d)");
            }
            BigDecimal n = new BigDecimal(m.group(1));
            long unit;
            switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "ms": unit = 1_000_000L; break;
                case "s": unit = 1_000_000_000L; break;
                case "m": unit = 60_000_000_000L; break;
                case "h": unit = 3_600_000_000_000L; break;
                default: unit = 86_400_000_000_000L; break;
            }
            nanos = nanos.add(n.multiply(BigDecimal.valueOf(unit)));
            pos = m.end();
            while (pos < t.length() && t.charAt(pos) == ' ') {
                pos++;
            }
        }
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("duration too long");
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /** Formats a duration the way {@link #duration(String)} reads it (for messages and the console). */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms != 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms != 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0 && ms != 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    /**
     * Parses a size in bytes: a number with an optional binary multiple {@code K}, {@code M}, {@code G},
     * {@code T}, {@code P} (1024-based; {@code KB}, {@code KiB} and lower case accepted): {@code 256M},
     * {@code 1.5G}, {@code 4096}.
     */
    public static long size(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty size (expected e.g. 4096, 64K, 256M, 1G)");
        }
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("a size cannot be negative");
        }
        Matcher m = SIZE.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size (expected e.g. 4096, 64K, 256M, 1G)");
        }
        int shift = "_kmgtp".indexOf(m.group(2).isEmpty() ? '_' : Character.toLowerCase(m.group(2).charAt(0))) * 10;
        if (m.group(2).isEmpty() && m.group(3) != null && m.group(3).length() == 2) {
            throw new IllegalArgumentException("not a size (expected e.g. 4096, 64K, 256M, 1G)");
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("size too large");
        }
        return bytes.setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
    }

    /** {@link #size(String)}, or {@code max} (any case) → {@code -1}. */
    public static long sizeOrMax(String text) {
        if (text != null && text.trim().equalsIgnoreCase("max")) {
            return -1;
        }
        return size(text);
    }

    /** Parses a boolean: true/false, yes/no, on/off, 1/0 (any case). */
    public static boolean bool(String text) {
        switch (text == null ? "" : text.trim().toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": case "1":
                return true;
            case "false": case "no": case "off": case "0":
                return false;
            default:
                throw new IllegalArgumentException("not a boolean (expected true or false)");
        }
    }

    /** Parses a whole number within {@code [min, max]}. */
    public static long integer(String text, long min, long max) {
        long v;
        try {
            v = Long.parseLong(text == null ? "" : text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a whole number");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException("must be between " + min + " and " + max);
        }
        return v;
    }
}
