package org.corral.supervisor.internal.daemon;

import java.util.function.BiConsumer;
import java.util.function.Function;

import org.corral.api.values.Values;

/**
 * How much heap the daemons' output may hold: per daemon and for all daemons of an engine together. What
 * counts is what lives on after a line was logged: the ring of recent lines ({@link RecentLines}, each line
 * with its {@link #LINE_COST fixed cost}) and the two partial lines a daemon's output is cut from
 * ({@link LineSplitter}, up to {@code log.maxline} bytes each). Output in flight is bounded by flow control
 * (the stdio window) and is not counted here.
 *
 * <p>Rules (checked by the {@code .cfg} parser and for programmatic daemons, with an error naming the
 * setting and the budget):
 * <ul>
 * <li>{@code log.maxline} at most a quarter of the per-daemon budget: the two partial lines take up to half of
 *     it, and the recent lines keep at least the other half;</li>
 * <li>{@code log.lines} times {@link #LINE_COST} at most the per-daemon budget: even empty lines must fit.</li>
 * </ul>
 * The recent lines of one daemon are bounded by {@code log.lines} and by {@link #ringBytes}, whichever binds
 * first (the oldest lines go). When all daemons together exceed {@link #total}, the daemon with the largest
 * ring gives up its oldest lines first, and a partial line that cannot grow is cut into a shorter line.
 *
 * @param perDaemon bytes one daemon's output may hold
 * @param total bytes the output of all daemons of one engine may hold together
 */
public record OutputBudget(long perDaemon, long total) {

    /** System or framework property of {@link #perDaemon}. */
    public static final String DAEMON_PROPERTY = "org.corral.output.memory.daemon";
    /** System or framework property of {@link #total}. */
    public static final String TOTAL_PROPERTY = "org.corral.output.memory.total";

    /**
     * The cost of a recent line besides its text, in bytes: the entry (32), its time stamp (24), the
     * {@code String} (24) and its array header (16), on a 64-bit JVM with compressed pointers; a 32-bit ARM JVM
     * needs less.
     */
    public static final int LINE_COST = 96;

    /** Smallest budget of one daemon: 4 times the smallest {@code log.maxline}, and a few lines. */
    public static final long MIN_PER_DAEMON = 16 * 1024;

    /**
     * 1 MiB per daemon, 16 MiB for all: on a 512 MB board the JVM's default heap is 128 MB, of which Karaf
     * takes half; 16 MiB is an eighth. A daemon with the defaults ({@code log.lines = 200},
     * {@code log.maxline = 4K}) fits even with 200 lines of 4 KiB ASCII text (about 840 KiB); 100 daemons of
     * 200 typical 100-byte lines take about 4 MiB.
     */
    public static final OutputBudget DEFAULT = new OutputBudget(1024 * 1024, 16 * 1024 * 1024);

    public OutputBudget {
        if (perDaemon < MIN_PER_DAEMON) {
            throw new IllegalArgumentException("the output budget of a daemon must be at least "
                    + fmt(MIN_PER_DAEMON) + ", got " + fmt(perDaemon));
        }
        if (total < perDaemon) {
            throw new IllegalArgumentException("the total output budget (" + fmt(total)
                    + ") must be at least the budget of one daemon (" + fmt(perDaemon) + ")");
        }
    }

    /**
     * The budgets set by {@link #DAEMON_PROPERTY} and {@link #TOTAL_PROPERTY} (sizes such as {@code 2M});
     * an unset property keeps its default, a bad one is reported to {@code error} (property, value, why) and
     * the default is used.
     */
    public static OutputBudget fromProperties(Function<String, String> property, BiConsumer<String, String> error) {
        long daemon = size(property, DAEMON_PROPERTY, DEFAULT.perDaemon(), error);
        long total = size(property, TOTAL_PROPERTY, Math.max(DEFAULT.total(), daemon), error);
        try {
            return new OutputBudget(daemon, total);
        } catch (IllegalArgumentException e) {
            error.accept(TOTAL_PROPERTY, e.getMessage() + "; using " + fmt(daemon) + " for it");
            return new OutputBudget(daemon, daemon);
        }
    }

    private static long size(Function<String, String> property, String name, long dflt, BiConsumer<String, String> error) {
        String v = property.apply(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            long n = Values.size(v);
            if (n < MIN_PER_DAEMON) {
                error.accept(name, "'" + v + "' is below the smallest budget, " + fmt(MIN_PER_DAEMON)
                        + "; using " + fmt(dflt));
                return dflt;
            }
            return n;
        } catch (IllegalArgumentException e) {
            error.accept(name, "'" + v + "': " + e.getMessage() + "; using " + fmt(dflt));
            return dflt;
        }
    }

    /** A size as a configuration writes it: {@code 1M}, {@code 256K}, {@code 1500}. */
    static String fmt(long bytes) {
        if (bytes >= 1 << 30 && bytes % (1 << 30) == 0) {
            return bytes / (1 << 30) + "G";
        }
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return bytes / (1 << 20) + "M";
        }
        if (bytes >= 1024 && bytes < 1 << 20 && bytes % 1024 == 0) {
            return bytes / 1024 + "K";
        }
        if (bytes >= 1 << 20) {
            return String.format(java.util.Locale.ROOT, "%.1fM", bytes / (double) (1 << 20));
        }
        if (bytes >= 1024) {
            return String.format(java.util.Locale.ROOT, "%.1fK", bytes / 1024.0);
        }
        return Long.toString(bytes);
    }

    /** The longest {@code log.maxline} this budget allows. */
    public int maxLineLimit() {
        return (int) Math.min(1 << 20, perDaemon / 4);
    }

    /** The most {@code log.lines} this budget allows. */
    public int linesLimit() {
        return (int) Math.min(100_000, perDaemon / LINE_COST);
    }

    /** Why {@code maxLine} (bytes) does not fit, or null when it does. */
    public String maxLineProblem(int maxLine) {
        if (maxLine <= maxLineLimit()) {
            return null;
        }
        return "a daemon's two partial lines and its recent lines need at least 4 times log.maxline ("
                + fmt(4L * maxLine) + "), above the output budget of a daemon, "
                + fmt(perDaemon) + " (" + DAEMON_PROPERTY + "): at most "
                + fmt(maxLineLimit()) + " here";
    }

    /** Why {@code lines} recent lines do not fit, or null when they do. */
    public String linesProblem(int lines) {
        if (lines <= linesLimit()) {
            return null;
        }
        return lines + " lines take at least " + fmt((long) lines * LINE_COST) + " (" + LINE_COST
                + " bytes each besides their text), above the output budget of a daemon, "
                + fmt(perDaemon) + " (" + DAEMON_PROPERTY + "): at most " + linesLimit() + " here";
    }

    /** The bytes the recent lines of a daemon with this {@code log.maxline} may hold. */
    public long ringBytes(int maxLine) {
        return Math.max(perDaemon / 2, perDaemon - 2L * maxLine);
    }
}
