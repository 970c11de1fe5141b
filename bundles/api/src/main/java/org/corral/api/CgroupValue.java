package org.corral.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The parsed content of one cgroup interface file, by the shape the kernel documents
 * (Documentation/admin-guide/cgroup-v2.rst, "Interface Files"):
 * <ul>
 * <li>{@link Single}: one value, a number or a word ({@code memory.current}, {@code memory.max = max},
 * {@code cgroup.type}, {@code cpuset.cpus = 0-3});</li>
 * <li>{@link Values}: several values separated by spaces or newlines ({@code cgroup.procs},
 * {@code cgroup.controllers}, {@code cpu.max = max 100000});</li>
 * <li>{@link FlatKeyed}: {@code key value} per line with numeric values ({@code memory.events},
 * {@code cpu.stat}, {@code memory.stat}, {@code io.weight = default 100});</li>
 * <li>{@link NestedKeyed}: {@code key sub=value ...} per line ({@code io.stat}, {@code io.max},
 * {@code memory.numa_stat});</li>
 * <li>{@link Pressure}: pressure stall information ({@code cpu.pressure}, {@code memory.pressure},
 * {@code io.pressure});</li>
 * <li>{@link Text}: anything else, kept as read.</li>
 * </ul>
 */
public interface CgroupValue {

    /** The file's text as read (trailing newline removed). */
    String raw();

    /** A single value: a number or a word such as {@code max}; {@code number} is empty for a word. */
    record Single(String raw, OptionalLong number) implements CgroupValue {
        /** The number, or {@code Long.MAX_VALUE} for {@code max}; empty for other words. */
        public OptionalLong numberOrMax() {
            if (number.isPresent()) {
                return number;
            }
            return "max".equals(raw) ? OptionalLong.of(Long.MAX_VALUE) : OptionalLong.empty();
        }
    }

    /** Several values separated by blanks or newlines, in file order. */
    record Values(String raw, List<String> values) implements CgroupValue {
        public Values {
            values = List.copyOf(values);
        }
    }

    /** Flat keyed: {@code key value} per line with numeric values (memory.events, cpu.stat, memory.stat). */
    record FlatKeyed(String raw, Map<String, Long> values) implements CgroupValue {
        public FlatKeyed {
            values = Map.copyOf(values);
        }

        /** The value of {@code key}, if the file has it. */
        public OptionalLong get(String key) {
            Long v = values.get(key);
            return v == null ? OptionalLong.empty() : OptionalLong.of(v);
        }
    }

    /** Nested keyed: {@code key sub=value ...} per line (io.stat, io.max). */
    record NestedKeyed(String raw, Map<String, Map<String, String>> values) implements CgroupValue {
        public NestedKeyed {
            values = Map.copyOf(values);
        }
    }

    /**
     * Pressure stall information ({@code cpu.pressure}, {@code memory.pressure}, {@code io.pressure}).
     * {@code some} or {@code full} is {@code null} when the kernel does not report that line (older kernels
     * have no {@code full} line in {@code cpu.pressure}; {@code irq.pressure} has only {@code full}).
     */
    record Pressure(String raw, Psi some, Psi full) implements CgroupValue {
        public Optional<Psi> someLine() {
            return Optional.ofNullable(some);
        }

        public Optional<Psi> fullLine() {
            return Optional.ofNullable(full);
        }
    }

    /** One PSI line: averages in percent over 10, 60 and 300 seconds, total stall time in microseconds. */
    record Psi(double avg10, double avg60, double avg300, long totalMicros) {
    }

    /** Content that fits no documented shape (or is malformed), kept as read. */
    record Text(String raw) implements CgroupValue {
    }
}
