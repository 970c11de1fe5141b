package org.corral.web.internal;

import java.time.Duration;
import java.util.Locale;

/** How the page shows durations, sizes and cpu time (compact, as the console's table does). Pure. */
final class Fmt {

    static final String NONE = "-";

    private Fmt() {
    }

    /** {@code 850ms}, {@code 12s}, {@code 5m03s}, {@code 2h05m}, {@code 3d04h}. */
    static String duration(Duration d) {
        if (d == null || d.isNegative()) {
            return NONE;
        }
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

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 64.0 MiB}. */
    static String bytes(long n) {
        if (n < 0) {
            return NONE;
        }
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** CPU time in microseconds: {@code 0.004s}, {@code 1.23s}, {@code 2m03s}. */
    static String cpuMicros(long micros) {
        if (micros < 0) {
            return NONE;
        }
        if (micros < 60_000_000L) {
            double s = micros / 1_000_000.0;
            return String.format(Locale.ROOT, s < 10 ? "%.3fs" : "%.2fs", s);
        }
        return duration(Duration.ofNanos(micros * 1000));
    }
}
