package org.corral.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * cgroup v2 limits for one program, as the interface files and values that will be written
 * ({@code memory.max = 268435456}, {@code cpu.max = 50000 100000}, ...). Typed setters validate and
 * convert; {@link Builder#raw} writes any other interface file.
 */
public final class CgroupLimits {

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

    /** Builds limits; each setter checks its value and names it when refused. */
    public static final class Builder {
        private final Map<String, String> files = new LinkedHashMap<>();

        private Builder() {
        }

        /** Writes {@code value} to the interface file {@code file} (e.g. {@code memory.swap.high}). */
        public Builder raw(String file, String value) {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(value, "value");
            if (file.isEmpty() || file.contains("/") || file.startsWith(".") || !file.contains(".")) {
                throw new InvalidCommandException("not a cgroup interface file name: '" + file + "'");
            }
            files.put(file, value);
            return this;
        }

        /** {@code memory.max} in bytes. */
        public Builder memoryMax(long bytes) {
            return raw("memory.max", Long.toString(requireNonNegative("memory.max", bytes)));
        }

        /** {@code pids.max}. */
        public Builder pidsMax(long max) {
            return raw("pids.max", Long.toString(requireNonNegative("pids.max", max)));
        }

        /** {@code cpu.max} as quota and period in microseconds. */
        public Builder cpuMax(long quotaMicros, long periodMicros) {
            if (quotaMicros < 1000 || periodMicros < 1000 || periodMicros > 1_000_000) {
                throw new InvalidCommandException("cpu.max: quota must be >= 1000 us and period 1000..1000000 us, got "
                        + quotaMicros + " " + periodMicros);
            }
            return raw("cpu.max", quotaMicros + " " + periodMicros);
        }

        /** {@code memory.oom.group}. */
        public Builder memoryOomGroup(boolean group) {
            return raw("memory.oom.group", group ? "1" : "0");
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
    }
}
