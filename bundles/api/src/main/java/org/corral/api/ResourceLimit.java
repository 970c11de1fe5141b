package org.corral.api;

import java.time.Duration;
import java.util.Locale;

import org.corral.api.values.Values;

/**
 * The soft and hard value of one {@link Rlimit}: the kernel enforces the soft value; the program may raise
 * it up to the hard value, and lower the hard value, never raise it. {@link Rlimit#UNLIMITED} ({@code -1})
 * is no limit and counts as larger than any number.
 *
 * @param soft the soft limit, 0 or more, or {@link Rlimit#UNLIMITED}
 * @param hard the hard limit, 0 or more, or {@link Rlimit#UNLIMITED}; not below {@code soft}
 * @since 1.2
 */
public record ResourceLimit(long soft, long hard) {

    /** No limit at all (both values {@link Rlimit#UNLIMITED}). */
    public static final ResourceLimit UNLIMITED = new ResourceLimit(Rlimit.UNLIMITED, Rlimit.UNLIMITED);

    /**
     * @throws IllegalArgumentException a value below {@link Rlimit#UNLIMITED}, or soft above hard
     */
    public ResourceLimit {
        if (soft < Rlimit.UNLIMITED || hard < Rlimit.UNLIMITED) {
            throw new IllegalArgumentException("a resource limit is 0 or more, or unlimited (-1); got " + format(soft)
                    + ":" + format(hard));
        }
        if (above(soft, hard)) {
            throw new IllegalArgumentException("the soft limit " + format(soft) + " is above the hard limit "
                    + format(hard));
        }
    }

    /** Soft and hard the same. */
    public static ResourceLimit of(long both) {
        return new ResourceLimit(both, both);
    }

    /** The given soft and hard values. */
    public static ResourceLimit of(long soft, long hard) {
        return new ResourceLimit(soft, hard);
    }

    /**
     * Parses a limit as the {@code rlimit.<key>} configuration keys write it: one value for soft and hard, or
     * {@code soft:hard}; a value is {@code unlimited} (or {@code infinity}) or a number in the resource's
     * {@link Rlimit#unit() unit}: a size for bytes ({@code 4096}, {@code 64K}, {@code 1G}, see
     * {@link Values#size}), a whole number for counts, a duration or a bare number of seconds for
     * {@link Rlimit#CPU} ({@code 90}, {@code 1m30s}), a duration or a bare number of microseconds for
     * {@link Rlimit#RTTIME} ({@code 500000}, {@code 500ms}). Examples: {@code nofile = 1024:4096},
     * {@code core = 0}, {@code memlock = 64M:unlimited}, {@code cpu = 1h}.
     *
     * @throws IllegalArgumentException saying what was expected (without repeating the text)
     * @since 1.2
     */
    public static ResourceLimit parse(Rlimit resource, String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty limit (expected " + examples(resource) + ")");
        }
        String[] parts = t.split(":", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException("more than one ':' (expected " + examples(resource) + ")");
        }
        long soft = value(resource, parts[0], "soft");
        long hard = parts.length == 2 ? value(resource, parts[1], "hard") : soft;
        return new ResourceLimit(soft, hard);
    }

    private static long value(Rlimit r, String part, String which) {
        String v = part.trim();
        String lower = v.toLowerCase(Locale.ROOT);
        if (lower.equals("unlimited") || lower.equals("infinity")) {
            return Rlimit.UNLIMITED;
        }
        if (v.isEmpty()) {
            throw new IllegalArgumentException("the " + which + " value is empty (expected " + examples(r) + ")");
        }
        if (v.startsWith("-")) {
            throw new IllegalArgumentException("a limit cannot be negative (unlimited: no limit)");
        }
        boolean digits = v.chars().allMatch(Character::isDigit);
        try {
            switch (r.unit()) {
                case BYTES:
                    return Values.size(v);
                case SECONDS:
                    return digits ? Long.parseLong(v) : whole(Values.duration(v), 1_000_000_000L, "whole seconds");
                case MICROSECONDS:
                    return digits ? Long.parseLong(v) : whole(Values.duration(v), 1_000L, "whole microseconds");
                default:
                    if (!digits) {
                        throw new IllegalArgumentException("not a whole number (expected " + examples(r) + ")");
                    }
                    return Long.parseLong(v);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("number too large");
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration too long");
        }
    }

    private static long whole(Duration d, long nanosPerUnit, String what) {
        long nanos = d.toNanos();
        if (nanos % nanosPerUnit != 0) {
            throw new IllegalArgumentException("the limit counts " + what);
        }
        return nanos / nanosPerUnit;
    }

    private static String examples(Rlimit r) {
        switch (r.unit()) {
            case BYTES:
                return "a size such as 64M, unlimited, or soft:hard such as 8M:64M";
            case SECONDS:
                return "seconds or a duration such as 1h, unlimited, or soft:hard such as 60:120";
            case MICROSECONDS:
                return "microseconds or a duration such as 500ms, unlimited, or soft:hard";
            default:
                return "a whole number, unlimited, or soft:hard such as 1024:4096";
        }
    }

    private static boolean above(long a, long b) {
        return b != Rlimit.UNLIMITED && (a == Rlimit.UNLIMITED || a > b);
    }

    private static String format(long v) {
        return v == Rlimit.UNLIMITED ? "unlimited" : Long.toString(v);
    }

    /** {@code soft:hard} ({@code 1024:4096}, {@code 0:unlimited}), or one value when both are the same. */
    @Override
    public String toString() {
        return soft == hard ? format(soft) : format(soft) + ":" + format(hard);
    }
}
