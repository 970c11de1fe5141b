package org.corral.shell.internal;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;

import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.corral.api.values.Printable;
import org.corral.api.values.Values;

/** How the console shows durations, sizes, cpu time, argv and cgroup values. Pure functions. */
final class Format {

    static final String NONE = "-";

    private Format() {
    }

    /** An uptime or elapsed time, briefly ({@link Values#formatBrief}: {@code 850ms}, {@code 5m03s}), or {@link #NONE}. */
    static String duration(Duration d) {
        return d == null || d.isNegative() ? NONE : Values.formatBrief(d);
    }

    /** A configured duration, exactly as a configuration would write it ({@link Values#format}), or {@link #NONE}. */
    static String setting(Duration d) {
        return d == null || d.isNegative() ? NONE : Values.format(d);
    }

    /** Bytes in binary units ({@link Values#formatSize}: {@code 512 B}, {@code 1.5 KiB}), or {@link #NONE}. */
    static String bytes(long n) {
        return n < 0 ? NONE : Values.formatSize(n);
    }

    /** CPU time given in microseconds ({@link Values#formatCpu}: {@code 0.004s}, {@code 1.23s}, {@code 2m03s}), or {@link #NONE}. */
    static String cpuMicros(long micros) {
        return micros < 0 ? NONE : Values.formatCpu(Duration.of(micros, ChronoUnit.MICROS));
    }

    /** The value of {@code memory.current} in the statistics, or -1. */
    static long memoryCurrent(CgroupStats stats) {
        if (stats == null) {
            return -1;
        }
        return stats.get("memory.current").map(v -> v instanceof CgroupValue.Single
                ? ((CgroupValue.Single) v).number().orElse(-1) : -1L).orElse(-1L);
    }

    /** {@code cpu.stat usage_usec} in the statistics, or -1. */
    static long cpuUsageMicros(CgroupStats stats) {
        if (stats == null) {
            return -1;
        }
        return stats.get("cpu.stat").map(v -> v instanceof CgroupValue.FlatKeyed
                ? ((CgroupValue.FlatKeyed) v).values().getOrDefault("usage_usec", -1L) : -1L).orElse(-1L);
    }

    static String pid(OptionalLong pid) {
        return pid.isPresent() ? Long.toString(pid.getAsLong()) : NONE;
    }

    /** argv the way a POSIX shell would read it back (single quotes where needed): the {@code args} of a file. */
    static String argv(List<String> argv) {
        return argv.stream().map(Format::shellQuote).collect(Collectors.joining(" "));
    }

    /**
     * argv for the terminal: {@link #argv} with control characters made visible ({@link #text}), so that a
     * configuration cannot reach the terminal through its arguments.
     */
    static String shownArgv(List<String> argv) {
        return Printable.commandLine(argv);
    }

    /** Text from a configuration or a program, safe for the terminal: {@link Printable#escape}. */
    static String text(Object value) {
        return Printable.escape(value == null ? "" : value instanceof Object[]
                ? List.of((Object[]) value).toString() : String.valueOf(value));
    }

    /**
     * Quotes one word so that a POSIX shell (and the supervisor's {@code args} splitter, which follows the
     * same rules without expansion) reads it back unchanged.
     */
    static String shellQuote(String word) {
        if (word.isEmpty()) {
            return "''";
        }
        boolean plain = true;
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (!(Character.isLetterOrDigit(c) || "@%+=:,./_-".indexOf(c) >= 0)) {
                plain = false;
                break;
            }
        }
        if (plain) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** The lines {@code corral:stats} prints for one interface file (indented by the caller). */
    static List<String> cgroupValue(String file, CgroupValue value) {
        if (value instanceof CgroupValue.Single) {
            return List.of(file + " = " + value.raw());
        }
        if (value instanceof CgroupValue.FlatKeyed) {
            Map<String, Long> values = ((CgroupValue.FlatKeyed) value).values();
            if (values.isEmpty()) {
                return List.of(file + " = (empty)");
            }
            return prefixed(file, new java.util.TreeMap<>(values).entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.toList()));
        }
        if (value instanceof CgroupValue.NestedKeyed) {
            Map<String, Map<String, String>> values = ((CgroupValue.NestedKeyed) value).values();
            if (values.isEmpty()) {
                return List.of(file + " = (empty)");
            }
            return prefixed(file, new java.util.TreeMap<>(values).entrySet().stream()
                    .map(e -> e.getKey() + " " + new java.util.TreeMap<>(e.getValue()).entrySet().stream()
                            .map(s -> s.getKey() + "=" + s.getValue()).collect(Collectors.joining(" ")))
                    .collect(Collectors.toList()));
        }
        if (value instanceof CgroupValue.Pressure) {
            CgroupValue.Pressure p = (CgroupValue.Pressure) value;
            java.util.ArrayList<String> lines = new java.util.ArrayList<>();
            if (p.some() != null) {
                lines.add("some " + psi(p.some()));
            }
            if (p.full() != null) {
                lines.add("full " + psi(p.full()));
            }
            return prefixed(file, lines);
        }
        return List.of(file + " = " + (value == null ? "" : value.raw()));
    }

    private static String psi(CgroupValue.Psi psi) {
        return String.format(Locale.ROOT, "avg10=%.2f%% avg60=%.2f%% avg300=%.2f%% total=%s", psi.avg10(),
                psi.avg60(), psi.avg300(), cpuMicros(psi.totalMicros()));
    }

    private static List<String> prefixed(String file, List<String> lines) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>(lines.size() + 1);
        out.add(file + ":");
        for (String l : lines) {
            out.add("  " + l);
        }
        return out;
    }
}
