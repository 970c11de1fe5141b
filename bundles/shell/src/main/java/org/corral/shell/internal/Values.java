package org.corral.shell.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the value formats the console accepts, the same ones daemon configurations use: durations
 * ({@code 500ms}, {@code 2s}, {@code 1m30s}; a unit is required), sizes ({@code 4096}, {@code 64K},
 * {@code 256M}, binary multiples) and cpu limits ({@code 50%} of one cpu, or {@code quota period} in
 * microseconds). Refusals are {@link IllegalArgumentException}s saying what was expected; the caller
 * names the option.
 */
final class Values {

    static final long CPU_PERIOD_MICROS = 100_000;

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:([kmgtp])(?:i?b)?|b)?",
            Pattern.CASE_INSENSITIVE);

    private Values() {
    }

    static Duration duration(String text) {
        String t = text == null ? "" : text.trim();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        if (t.isEmpty() || t.startsWith("-")) {
            throw new IllegalArgumentException("'" + t + "' is not a duration (expected e.g. 500ms, 2s, 1m30s)");
        }
        if (t.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + t + "' needs a unit: " + t + "ms or " + t + "s? (units: ms, s, m, h, d)");
        }
        Matcher m = DURATION_PART.matcher(t);
        int pos = 0;
        BigDecimal nanos = BigDecimal.ZERO;
        while (pos < t.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw new IllegalArgumentException("'" + t + "' is not a duration (expected e.g. 500ms, 2s, 1m30s)");
            }
            long unit;
            switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "ms": unit = 1_000_000L; break;
                case "s": unit = 1_000_000_000L; break;
                case "m": unit = 60_000_000_000L; break;
                case "h": unit = 3_600_000_000_000L; break;
                default: unit = 86_400_000_000_000L; break;
            }
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
            pos = m.end();
        }
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + t + "' is too long a duration");
        }
        return Duration.ofNanos(nanos.longValue());
    }

    static long size(String text) {
        String t = text == null ? "" : text.trim();
        Matcher m = SIZE.matcher(t);
        if (t.isEmpty() || !m.matches()) {
            throw new IllegalArgumentException("'" + t + "' is not a size (expected e.g. 4096, 64K, 256M, 1G)");
        }
        int shift = m.group(2) == null ? 0 : "kmgtp".indexOf(Character.toLowerCase(m.group(2).charAt(0))) * 10 + 10;
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + t + "' is too large a size");
        }
        return bytes.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** {@code {quota, period}} in microseconds from {@code 50%} or {@code "quota period"}. */
    static long[] cpuMax(String text) {
        String t = text == null ? "" : text.trim();
        String expected = "'" + t + "' is not a cpu limit (expected e.g. 50%, 150% or '50000 100000')";
        try {
            if (t.endsWith("%")) {
                BigDecimal pct = new BigDecimal(t.substring(0, t.length() - 1).trim());
                long quota = pct.multiply(BigDecimal.valueOf(CPU_PERIOD_MICROS)).divide(BigDecimal.valueOf(100))
                        .setScale(0, RoundingMode.HALF_UP).longValueExact();
                if (quota < 1000) {
                    throw new IllegalArgumentException("'" + t + "' is too small a cpu limit (at least 1%)");
                }
                return new long[] {quota, CPU_PERIOD_MICROS};
            }
            String[] parts = t.split("\\s+");
            if (parts.length == 2) {
                long quota = Long.parseLong(parts[0]);
                long period = Long.parseLong(parts[1]);
                if (quota < 1000 || period < 1000 || period > 1_000_000) {
                    throw new IllegalArgumentException("'" + t + "': quota must be >= 1000 us and period 1000..1000000 us");
                }
                return new long[] {quota, period};
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(expected);
        }
        throw new IllegalArgumentException(expected);
    }

    /** {@code NAME=value} → {NAME, value}. */
    static String[] keyValue(String text, String what) {
        int eq = text == null ? -1 : text.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("'" + text + "' is not " + what + " (expected NAME=value)");
        }
        return new String[] {text.substring(0, eq), text.substring(eq + 1)};
    }
}
