package org.corral.web.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.OptionalLong;

import org.corral.api.values.Values;

/**
 * How the page shows elapsed times, sizes and cpu time: the forms of {@link Values} that {@code corral:status}
 * uses, with {@link #NONE} for what is not known. Configured durations are shown with {@link Values#format}.
 * Pure.
 */
final class Fmt {

    static final String NONE = "-";

    private Fmt() {
    }

    /** The time from {@code from} to {@code now}, briefly ({@link Values#formatBrief}: {@code 5m03s}); 0ms when the clock went back. */
    static String since(Instant from, Instant now) {
        Duration d = Duration.between(from, now);
        return Values.formatBrief(d.isNegative() ? Duration.ZERO : d);
    }

    /** A byte count in binary units ({@link Values#formatSize}: {@code 1.5 KiB}), or {@link #NONE} when unknown. */
    static String bytes(OptionalLong n) {
        return n.isPresent() && n.getAsLong() >= 0 ? Values.formatSize(n.getAsLong()) : NONE;
    }

    /** CPU time given in microseconds ({@link Values#formatCpu}: {@code 0.004s}, {@code 2m03s}), or {@link #NONE}. */
    static String cpu(OptionalLong micros) {
        return micros.isPresent() && micros.getAsLong() >= 0
                ? Values.formatCpu(Duration.of(micros.getAsLong(), ChronoUnit.MICROS)) : NONE;
    }
}
