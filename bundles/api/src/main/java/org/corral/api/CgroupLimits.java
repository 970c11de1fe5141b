package org.corral.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import org.corral.api.values.Values;

/**
 * cgroup v2 limits for one program, as the interface files and values that will be written
 * ({@code memory.max = 268435456}, {@code cpu.max = 50000 100000}, ...). Typed setters validate and
 * convert; {@link Builder#set} parses the human form of any supported key (as used in configuration
 * files); {@link Builder#raw} writes any other interface file unchecked.
 *
 * <p>Supported keys (those of MuonTrap 2) and their forms:
 * <table>
 * <caption>limit keys</caption>
 * <tr><th>file</th><th>typed setter</th><th>{@link Builder#set} text</th></tr>
 * <tr><td>cpu.weight</td><td>{@link Builder#cpuWeight}</td><td>1..10000 (default 100)</td></tr>
 * <tr><td>cpu.max</td><td>{@link Builder#cpuMax(long, long)}, {@link Builder#cpuMaxPercent},
 * {@link Builder#cpuMaxUnlimited}</td><td>{@code 50%}, {@code 20000 100000} (quota period, us),
 * {@code 20000} (quota, period 100000), {@code max}, {@code max 100000}</td></tr>
 * <tr><td>cpu.idle</td><td>{@link Builder#cpuIdle}</td><td>0/1, true/false</td></tr>
 * <tr><td>memory.min, memory.low, memory.high, memory.max, memory.swap.max</td><td>{@link Builder#memoryMax(long)}
 * etc.</td><td>bytes with binary suffix: {@code 4096}, {@code 64K}, {@code 256M}, {@code 1.5G}, or {@code max}</td></tr>
 * <tr><td>memory.oom.group</td><td>{@link Builder#memoryOomGroup}</td><td>0/1, true/false</td></tr>
 * <tr><td>pids.max</td><td>{@link Builder#pidsMax(long)}</td><td>a count or {@code max}</td></tr>
 * <tr><td>io.weight</td><td>{@link Builder#ioWeight}</td><td>1..10000 (written as {@code default N})</td></tr>
 * <tr><td>cpuset.cpus, cpuset.mems</td><td>{@link Builder#cpusetCpus}, {@link Builder#cpusetMems}</td>
 * <td>a list such as {@code 0-2,4}</td></tr>
 * </table>
 */
public final class CgroupLimits {

    /** cpu.max period used when only a quota or a percentage is given: 100 ms, the kernel's default. */
    public static final long DEFAULT_CPU_PERIOD_MICROS = 100_000;

    private static final Pattern CPU_LIST = Pattern.compile("\\d+(-\\d+)?(,\\d+(-\\d+)?)*");
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)+");
    private static final java.util.Set<String> MANAGED = java.util.Set.of("cgroup.procs", "cgroup.threads",
            "cgroup.subtree_control", "cgroup.kill", "cgroup.type", "cgroup.freeze");

    private final Map<String, String> files;

    private CgroupLimits(Map<String, String> files) {
        this.files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Interface file name to value, in the order they are written. */
    public Map<String, String> files() {
        return files;
    }

    /** Whether no limit is set. */
    public boolean isEmpty() {
        return files.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CgroupLimits && ((CgroupLimits) o).files.equals(files);
    }

    @Override
    public int hashCode() {
        return files.hashCode();
    }

    @Override
    public String toString() {
        return "CgroupLimits" + files;
    }

    /**
     * Parses a human size into the text the kernel takes: {@code 256M} → {@code 268435456}; binary
     * multiples K, M, G, T, P (also {@code KB}, {@code KiB}, any case), decimals allowed ({@code 1.5G});
     * {@code max} (when {@code allowMax}) stays {@code max}.
     *
     * @param key the limit being parsed, named in the error
     * @throws InvalidCommandException naming the key and the text when it is not a size
     */
    public static String parseSize(String key, String text, boolean allowMax) {
        try {
            long bytes = allowMax ? Values.sizeOrMax(text) : Values.size(text);
            return bytes < 0 ? "max" : Long.toString(bytes);
        } catch (IllegalArgumentException e) {
            throw new InvalidCommandException("cgroup limit " + key + ": '" + text + "': " + e.getMessage());
        }
    }

    /**
     * Parses a cpu.max limit into the kernel's {@code quota period} form: {@code 50%} (of one cpu; 200% is
     * two cpus) → {@code 50000 100000}; {@code 20000 100000} as is; {@code 20000} → quota with the default
     * period; {@code max} or {@code max 100000}.
     *
     * @throws InvalidCommandException naming cpu.max and the text when it is none of these
     */
    public static String parseCpuMax(String text) {
        String t = text == null ? "" : text.trim();
        String expected = " (expected e.g. 50%, '20000 100000' (quota and period in microseconds) or max)";
        if (t.isEmpty()) {
            throw new InvalidCommandException("cgroup limit cpu.max: empty value" + expected);
        }
        if (t.endsWith("%")) {
            double percent;
            try {
                percent = Double.parseDouble(t.substring(0, t.length() - 1).trim());
            } catch (NumberFormatException e) {
                throw new InvalidCommandException("cgroup limit cpu.max: '" + text + "' is not a percentage" + expected);
            }
            return quotaFromPercent(percent, text);
        }
        String[] parts = t.split("\\s+");
        if (parts.length > 2) {
            throw new InvalidCommandException("cgroup limit cpu.max: '" + text + "' has too many parts" + expected);
        }
        long period = DEFAULT_CPU_PERIOD_MICROS;
        if (parts.length == 2) {
            period = parseLong("cpu.max", parts[1], text, expected);
        }
        if (parts[0].equalsIgnoreCase("max")) {
            checkPeriod(period, text);
            return "max " + period;
        }
        long quota = parseLong("cpu.max", parts[0], text, expected);
        return checkQuotaPeriod(quota, period, text);
    }

    /** Parses a boolean flag as the kernel writes it: {@code 0}/{@code 1}, {@code true}/{@code false}, {@code yes}/{@code no}. */
    public static boolean parseFlag(String key, String text) {
        try {
            return Values.bool(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidCommandException("cgroup limit " + key + ": '" + text + "' is not a flag (expected 0, 1, true or false)");
        }
    }

    private static String quotaFromPercent(double percent, String text) {
        if (!(percent > 0) || Double.isInfinite(percent)) {
            throw new InvalidCommandException("cgroup limit cpu.max: '" + text + "' must be a percentage above 0 (100% is one whole cpu)");
        }
        long quota = Math.round(percent / 100.0 * DEFAULT_CPU_PERIOD_MICROS);
        if (quota < 1000) {
            throw new InvalidCommandException("cgroup limit cpu.max: '" + text + "' is below the kernel's minimum of 1% (quota 1000 us per 100000 us)");
        }
        return quota + " " + DEFAULT_CPU_PERIOD_MICROS;
    }

    private static String checkQuotaPeriod(long quota, long period, String text) {
        checkPeriod(period, text);
        if (quota < 1000) {
            throw new InvalidCommandException("cgroup limit cpu.max: quota must be >= 1000 us, got " + quota + " in '" + text + "'");
        }
        return quota + " " + period;
    }

    private static void checkPeriod(long period, String text) {
        if (period < 1000 || period > 1_000_000) {
            throw new InvalidCommandException("cgroup limit cpu.max: period must be 1000..1000000 us, got " + period + " in '" + text + "'");
        }
    }

    private static long parseLong(String key, String part, String text, String expected) {
        try {
            long v = Long.parseLong(part.trim());
            if (v < 0) {
                throw new InvalidCommandException("cgroup limit " + key + ": '" + text + "' must not be negative" + expected);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new InvalidCommandException("cgroup limit " + key + ": '" + text + "' is not a number" + expected);
        }
    }

    /** Builds limits; each setter checks its value and names it when refused. */
    public static final class Builder {
        private final Map<String, String> files = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Writes {@code value} to the interface file {@code file} (e.g. {@code memory.swap.high}) as is; the
         * kernel checks it when it is written. The file name must be a plain interface file name
         * ({@code controller.name}), never a path.
         */
        public Builder raw(String file, String value) {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(value, "value");
            if (!FILE_NAME.matcher(file).matches()) {
                throw new InvalidCommandException("not a cgroup interface file name: '" + file + "'");
            }
            if (MANAGED.contains(file)) {
                throw new InvalidCommandException("cgroup core file '" + file + "' is managed by Corral and cannot be set as a limit");
            }
            if (value.indexOf('\n') >= 0 || value.indexOf('\0') >= 0) {
                throw new InvalidCommandException("cgroup limit " + file + ": the value must be one line, got '" + value + "'");
            }
            files.put(file, value);
            return this;
        }

        /**
         * Sets a limit from its text form, as written in a configuration file: the typed keys of this class
         * are parsed and validated ({@code memory.max = 256M}, {@code cpu.max = 50%}, {@code pids.max = max},
         * {@code memory.oom.group = true}, ...); any other interface file is written {@link #raw raw}.
         */
        public Builder set(String file, String text) {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(text, "text of " + file);
            switch (file) {
                case "cpu.weight": return cpuWeight(parseInt(file, text));
                case "cpu.max": return raw(file, parseCpuMax(text));
                case "cpu.idle": return cpuIdle(parseFlag(file, text));
                case "memory.min":
                case "memory.low":
                case "memory.high":
                case "memory.max":
                case "memory.swap.max":
                    return raw(file, parseSize(file, text, true));
                case "memory.oom.group": return memoryOomGroup(parseFlag(file, text));
                case "pids.max": return pidsMax(text);
                case "io.weight": {
                    String t = text.trim();
                    return ioWeight(parseInt(file, t.startsWith("default ") ? t.substring(8) : t));
                }
                case "cpuset.cpus": return cpusetCpus(text);
                case "cpuset.mems": return cpusetMems(text);
                default: return raw(file, text.trim());
            }
        }

        /** {@code cpu.weight}: relative share, 1..10000 (default 100). */
        public Builder cpuWeight(int weight) {
            return raw("cpu.weight", Integer.toString(requireRange("cpu.weight", weight, 1, 10000)));
        }

        /** {@code cpu.max} as quota and period in microseconds (quota >= 1000, period 1000..1000000). */
        public Builder cpuMax(long quotaMicros, long periodMicros) {
            if (quotaMicros < 1000 || periodMicros < 1000 || periodMicros > 1_000_000) {
                throw new InvalidCommandException("cpu.max: quota must be >= 1000 us and period 1000..1000000 us, got "
                        + quotaMicros + " " + periodMicros);
            }
            return raw("cpu.max", quotaMicros + " " + periodMicros);
        }

        /**
         * {@code cpu.max} as a percentage of one cpu with the default period of 100 ms: {@code 50} is half a
         * cpu, {@code 200} two cpus.
         */
        public Builder cpuMaxPercent(double percent) {
            return raw("cpu.max", quotaFromPercent(percent, percent + "%"));
        }

        /** {@code cpu.max = max}: no bandwidth limit. */
        public Builder cpuMaxUnlimited() {
            return raw("cpu.max", "max " + DEFAULT_CPU_PERIOD_MICROS);
        }

        /** {@code cpu.max} from its text form, see {@link CgroupLimits#parseCpuMax}. */
        public Builder cpuMax(String text) {
            return raw("cpu.max", parseCpuMax(text));
        }

        /** {@code cpu.idle}: schedule the group with SCHED_IDLE priority. */
        public Builder cpuIdle(boolean idle) {
            return raw("cpu.idle", idle ? "1" : "0");
        }

        /** {@code memory.min} in bytes: memory that is never reclaimed. */
        public Builder memoryMin(long bytes) {
            return raw("memory.min", Long.toString(requireNonNegative("memory.min", bytes)));
        }

        /** {@code memory.min} from a human size or {@code max}. */
        public Builder memoryMin(String size) {
            return raw("memory.min", parseSize("memory.min", size, true));
        }

        /** {@code memory.low} in bytes: best-effort protection from reclaim. */
        public Builder memoryLow(long bytes) {
            return raw("memory.low", Long.toString(requireNonNegative("memory.low", bytes)));
        }

        /** {@code memory.low} from a human size or {@code max}. */
        public Builder memoryLow(String size) {
            return raw("memory.low", parseSize("memory.low", size, true));
        }

        /** {@code memory.high} in bytes: above it the group is throttled and reclaimed hard (no OOM kill). */
        public Builder memoryHigh(long bytes) {
            return raw("memory.high", Long.toString(requireNonNegative("memory.high", bytes)));
        }

        /** {@code memory.high} from a human size or {@code max}. */
        public Builder memoryHigh(String size) {
            return raw("memory.high", parseSize("memory.high", size, true));
        }

        /** {@code memory.max} in bytes: the hard limit; the OOM killer acts above it. */
        public Builder memoryMax(long bytes) {
            return raw("memory.max", Long.toString(requireNonNegative("memory.max", bytes)));
        }

        /** {@code memory.max} from a human size ({@code 256M}) or {@code max}. */
        public Builder memoryMax(String size) {
            return raw("memory.max", parseSize("memory.max", size, true));
        }

        /** {@code memory.swap.max} in bytes ({@code 0}: no swap). */
        public Builder memorySwapMax(long bytes) {
            return raw("memory.swap.max", Long.toString(requireNonNegative("memory.swap.max", bytes)));
        }

        /** {@code memory.swap.max} from a human size or {@code max}. */
        public Builder memorySwapMax(String size) {
            return raw("memory.swap.max", parseSize("memory.swap.max", size, true));
        }

        /** {@code memory.oom.group}: when the OOM killer strikes, kill the whole group, not one process. */
        public Builder memoryOomGroup(boolean group) {
            return raw("memory.oom.group", group ? "1" : "0");
        }

        /** {@code pids.max}: the most processes and threads the group may hold. */
        public Builder pidsMax(long max) {
            return raw("pids.max", Long.toString(requireNonNegative("pids.max", max)));
        }

        /** {@code pids.max} from its text: a count or {@code max}. */
        public Builder pidsMax(String text) {
            String t = text == null ? "" : text.trim();
            if (t.equalsIgnoreCase("max")) {
                return raw("pids.max", "max");
            }
            return pidsMax(parseLong("pids.max", t, text, " (expected a count or max)"));
        }

        /** {@code io.weight}: relative io share, 1..10000 (written as {@code default N}). */
        public Builder ioWeight(int weight) {
            return raw("io.weight", "default " + requireRange("io.weight", weight, 1, 10000));
        }

        /** {@code cpuset.cpus}: the cpus the group may run on, e.g. {@code 0-2,4}. */
        public Builder cpusetCpus(String cpus) {
            return raw("cpuset.cpus", requireList("cpuset.cpus", cpus));
        }

        /** {@code cpuset.mems}: the memory nodes the group may use, e.g. {@code 0}. */
        public Builder cpusetMems(String mems) {
            return raw("cpuset.mems", requireList("cpuset.mems", mems));
        }

        public CgroupLimits build() {
            return new CgroupLimits(files);
        }

        private static long requireNonNegative(String what, long v) {
            if (v < 0) {
                throw new InvalidCommandException(what + " must be >= 0, got " + v);
            }
            return v;
        }

        private static int requireRange(String what, int v, int min, int max) {
            if (v < min || v > max) {
                throw new InvalidCommandException("cgroup limit " + what + " must be " + min + ".." + max + ", got " + v);
            }
            return v;
        }

        private static int parseInt(String key, String text) {
            try {
                return Integer.parseInt(text.trim());
            } catch (NumberFormatException e) {
                throw new InvalidCommandException("cgroup limit " + key + ": '" + text + "' is not a whole number");
            }
        }

        private static String requireList(String key, String text) {
            String t = text == null ? "" : text.replace(" ", "");
            if (!CPU_LIST.matcher(t).matches()) {
                throw new InvalidCommandException("cgroup limit " + key + ": '" + text + "' is not a list like 0-2,4");
            }
            for (String range : t.split(",")) {
                String[] ends = range.split("-");
                if (ends.length == 2 && Long.parseLong(ends[0]) > Long.parseLong(ends[1])) {
                    throw new InvalidCommandException("cgroup limit " + key + ": range '" + range + "' in '" + text + "' is reversed");
                }
            }
            return t;
        }
    }
}
