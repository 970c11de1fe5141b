package org.corral.api.values;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value forms Corral reads from people, in one place: durations, sizes, booleans, whole numbers and
 * daemon names, and how durations and sizes are shown. Daemon configuration files, the console and the
 * API's own text setters ({@link org.corral.api.CgroupLimits.Builder#set}, {@link org.corral.api.DaemonSpec})
 * all parse with these methods, so a value means the same wherever it is written. Signals are parsed by
 * {@link org.corral.api.Signal#parse}, cgroup limits by {@link org.corral.api.CgroupLimits.Builder#set} (whose
 * sizes come from here).
 *
 * <p>Every refusal is an {@link IllegalArgumentException} whose message says what was expected and never
 * repeats the text it was given: the caller names the key or option, and decides whether the value may be
 * shown (the values of environment variables never are).
 */
public final class Values {

    /** What a daemon name may be: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit. */
    public static final String DAEMON_NAME_RULE = "1-64 letters, digits, '.', '_' or '-', starting with a letter"
            + " or digit";

    private static final Pattern DAEMON_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:([kmgtp])(?:i?b)?|b)?",
            Pattern.CASE_INSENSITIVE);
    private static final String DURATION_EXAMPLES = "e.g. 500ms, 2s, 1m30s; units: ms, s, m, h, d";
    private static final String SIZE_EXAMPLES = "e.g. 4096, 64K, 256M, 1G";
    private static final long MS = 1_000_000L;

    private Values() {
    }

    /**
     * Parses a duration: one or more {@code <number><unit>} parts, optionally separated by spaces, with
     * units {@code ms}, {@code s}, {@code m}, {@code h}, {@code d} in any case ({@code 500ms}, {@code 1.5s},
     * {@code 1m30s}, {@code 1m 30s}); a bare {@code 0} is zero. Any other bare number is refused: its unit
     * would be a guess.
     */
    public static Duration duration(String text) {
        String t = text == null ? "" : text.trim();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty duration (expected " + DURATION_EXAMPLES + ")");
        }
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("a duration cannot be negative");
        }
        if (t.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("a duration needs a unit: " + t + "ms or " + t
                    + "s? (units: ms, s, m, h, d)");
        }
        Matcher m = DURATION_PART.matcher(t);
        int pos = 0;
        BigDecimal nanos = BigDecimal.ZERO;
        while (pos < t.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw new IllegalArgumentException("not a duration (expected " + DURATION_EXAMPLES + ")");
            }
            long perUnit;
            switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "ms": perUnit = MS; break;
                case "s": perUnit = 1000 * MS; break;
                case "m": perUnit = 60_000 * MS; break;
                case "h": perUnit = 3_600_000 * MS; break;
                default: perUnit = 86_400_000 * MS; break;
            }
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(perUnit)));
            pos = m.end();
            while (pos < t.length() && t.charAt(pos) == ' ') {
                pos++;
            }
        }
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("duration too long (at most about 292 years)");
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /**
     * A duration the way {@link #duration(String)} reads it back, in the largest unit that divides it
     * exactly, to the millisecond: {@code 250ms}, {@code 90s}, {@code 5m}, {@code 2h}; for messages about
     * configured values.
     */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms != 0 && ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms != 0 && ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms != 0 && ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    /**
     * A duration shown briefly, to its two largest units (cut, not rounded): {@code 850ms}, {@code 12s},
     * {@code 5m03s}, {@code 2h05m}, {@code 3d04h}; for uptimes and elapsed times. Also read by
     * {@link #duration(String)}.
     */
    public static String formatBrief(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s < 60) {
            return s + "s";
        }
        long m = s / 60;
        if (m < 60) {
            return String.format(Locale.ROOT, "%dm%02ds", m, s % 60);
        }
        long h = m / 60;
        if (h < 24) {
            return String.format(Locale.ROOT, "%dh%02dm", h, m % 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", h / 24, h % 24);
    }

    /**
     * Parses a size in bytes: a number, decimals allowed, with an optional binary multiple {@code K},
     * {@code M}, {@code G}, {@code T}, {@code P} (1024-based; also written {@code KB} or {@code KiB}, any
     * case) or {@code B}: {@code 4096}, {@code 64K}, {@code 256M}, {@code 1.5G}, {@code 100B}. A fraction of
     * a byte is rounded to the nearest byte.
     */
    public static long size(String text) {
        return size(text, SIZE_EXAMPLES);
    }

    /** {@link #size(String)}, or {@code max} in any case, which gives {@code -1}. */
    public static long sizeOrMax(String text) {
        if (text != null && text.trim().equalsIgnoreCase("max")) {
            return -1;
        }
        return size(text, SIZE_EXAMPLES + " or max");
    }

    private static long size(String text, String examples) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty size (expected " + examples + ")");
        }
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("a size cannot be negative");
        }
        Matcher m = SIZE.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size (expected " + examples + ")");
        }
        int shift = m.group(2) == null ? 0 : ("kmgtp".indexOf(Character.toLowerCase(m.group(2).charAt(0))) + 1) * 10;
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("size too large");
        }
        return bytes.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /**
     * A size in binary units with one decimal, for people: {@code 512 B}, {@code 1.5 KiB}, {@code 64.0 MiB}
     * (not meant to be read back).
     *
     * @throws IllegalArgumentException for a negative size
     */
    public static String formatSize(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size cannot be negative");
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /**
     * CPU time for people: seconds with three decimals below 10 s ({@code 0.004s}), two below a minute
     * ({@code 12.34s}), then as {@link #formatBrief} ({@code 2m03s}). For the cpu usage of processes and
     * cgroups. @since 1.1
     *
     * @throws IllegalArgumentException for a negative time
     */
    public static String formatCpu(Duration cpu) {
        if (cpu.isNegative()) {
            throw new IllegalArgumentException("a cpu time cannot be negative");
        }
        if (cpu.compareTo(Duration.ofMinutes(1)) < 0) {
            double s = cpu.toNanos() / 1e9;
            return String.format(Locale.ROOT, s < 10 ? "%.3fs" : "%.2fs", s);
        }
        return formatBrief(cpu);
    }

    /** Parses a boolean: {@code true}/{@code false}, {@code yes}/{@code no}, {@code on}/{@code off}, {@code 1}/{@code 0}, any case. */
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

    /** Parses a whole number (decimal, optional sign) within {@code [min, max]}. */
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

    /** Parses a decimal number within {@code [min, max]} (no NaN, no infinity). */
    public static double number(String text, double min, double max) {
        double v;
        try {
            v = Double.parseDouble(text == null ? "" : text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number");
        }
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException("must be between " + plain(min) + " and " + plain(max));
        }
        return v;
    }

    /**
     * What the program of a configuration or a console command may be: an absolute path, or a name looked up in
     * {@code PATH}; never a relative path, which would be resolved against the JVM's working directory.
     *
     * @since 1.1
     */
    public static final String PROGRAM_RULE = "must be an absolute path (/usr/bin/foo) or a name looked up in PATH"
            + " (foo), not a relative path";

    /** Whether {@code program} is an absolute path or a bare name ({@link #PROGRAM_RULE}). @since 1.1 */
    public static boolean isProgram(String program) {
        return program != null && !program.isEmpty() && (program.startsWith("/") || program.indexOf('/') < 0);
    }

    /** Whether {@code name} is a valid daemon name ({@link #DAEMON_NAME_RULE}). */
    public static boolean isDaemonName(String name) {
        return name != null && DAEMON_NAME.matcher(name).matches();
    }

    /**
     * Checks a daemon name ({@link #DAEMON_NAME_RULE}); surrounding blanks are dropped.
     *
     * @return the name, trimmed
     */
    public static String daemonName(String text) {
        String n = text == null ? "" : text.trim();
        if (!isDaemonName(n)) {
            throw new IllegalArgumentException("not a valid daemon name (" + DAEMON_NAME_RULE + ")");
        }
        return n;
    }

    /**
     * The edits (insert, delete, replace, swap of two neighbours: the optimal string alignment distance)
     * that turn {@code a} into {@code b}, case-sensitive; for "did you mean" suggestions. @since 1.1
     */
    public static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
