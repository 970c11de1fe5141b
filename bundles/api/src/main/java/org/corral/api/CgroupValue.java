package org.corral.api;

import java.util.Map;
import java.util.OptionalLong;

/** The parsed content of one cgroup interface file, by the shape the kernel documents. */
public interface CgroupValue {

    /** The file's text as read (trailing newline removed). */
    String raw();

    /** A single value: a number or a word such as {@code max}. */
    record Single(String raw, OptionalLong number) implements CgroupValue {
    }

    /** Flat keyed: {@code key value} per line (memory.events, cpu.stat, memory.stat). */
    record FlatKeyed(String raw, Map<String, Long> values) implements CgroupValue {
        public FlatKeyed {
            values = Map.copyOf(values);
        }
    }

    /** Nested keyed: {@code key sub=value ...} per line (io.stat, io.max). */
    record NestedKeyed(String raw, Map<String, Map<String, String>> values) implements CgroupValue {
        public NestedKeyed {
            values = Map.copyOf(values);
        }
    }

    /** Pressure stall information ({@code cpu.pressure}, {@code memory.pressure}, {@code io.pressure}). */
    record Pressure(String raw, Psi some, Psi full) implements CgroupValue {
    }

    /** One PSI line: averages in percent over 10, 60 and 300 seconds, total stall time in microseconds. */
    record Psi(double avg10, double avg60, double avg300, long totalMicros) {
    }
}
