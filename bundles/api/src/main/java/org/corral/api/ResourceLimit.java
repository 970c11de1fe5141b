package org.corral.api;

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
