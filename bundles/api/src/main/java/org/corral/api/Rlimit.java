package org.corral.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Linux resource limit (setrlimit(2)), named as in the {@code rlimit.<key>} configuration keys and in
 * {@code ulimit}. Set with {@link CommandSpec.Builder#rlimit(Rlimit, long, long)}.
 *
 * @since 1.2
 */
public enum Rlimit {
    /** CPU time, in seconds (SIGXCPU at the soft limit, SIGKILL at the hard one). */
    CPU(0, Unit.SECONDS),
    /** Largest file the program may write, in bytes. */
    FSIZE(1, Unit.BYTES),
    /** Data segment (heap), in bytes. */
    DATA(2, Unit.BYTES),
    /** Stack of the main thread, in bytes. */
    STACK(3, Unit.BYTES),
    /** Core dump size, in bytes (0: no core dumps). */
    CORE(4, Unit.BYTES),
    /** Resident set size, in bytes (ignored by Linux since 2.6). */
    RSS(5, Unit.BYTES),
    /** Processes (threads) of the program's user, checked when the program starts and when it forks. */
    NPROC(6, Unit.COUNT),
    /** Open file descriptors: one more than the highest number the program may open. */
    NOFILE(7, Unit.COUNT),
    /** Memory locked into RAM (mlock), in bytes. */
    MEMLOCK(8, Unit.BYTES),
    /** Virtual address space, in bytes. */
    AS(9, Unit.BYTES),
    /** File locks (flock, fcntl leases). */
    LOCKS(10, Unit.COUNT),
    /** Queued signals of the program's user. */
    SIGPENDING(11, Unit.COUNT),
    /** POSIX message queues of the program's user, in bytes. */
    MSGQUEUE(12, Unit.BYTES),
    /** Ceiling of the nice value the program may raise its priority to: 20 - the limit (0..40). */
    NICE(13, Unit.COUNT),
    /** Ceiling of the real-time priority (0..99). */
    RTPRIO(14, Unit.COUNT),
    /** Real-time CPU time without a blocking call, in microseconds. */
    RTTIME(15, Unit.MICROSECONDS);

    /** The value of "no limit" ({@code RLIM_INFINITY}, shown as {@code unlimited}). */
    public static final long UNLIMITED = -1;

    /** What a limit's numbers count. */
    public enum Unit {
        /** Bytes (a size: {@code 64K}, {@code 1G} in configuration files). */
        BYTES,
        /** A plain count. */
        COUNT,
        /** Seconds (a duration in configuration files). */
        SECONDS,
        /** Microseconds (a duration in configuration files). */
        MICROSECONDS
    }

    private final int number;
    private final Unit unit;

    Rlimit(int number, Unit unit) {
        this.number = number;
        this.unit = unit;
    }

    /** The kernel's resource number ({@code RLIMIT_NOFILE} is 7), the same on x86_64, arm and aarch64. */
    public int number() {
        return number;
    }

    /** What the limit's numbers count. */
    public Unit unit() {
        return unit;
    }

    /** The lower-case name used in {@code rlimit.<key>}, e.g. {@code nofile}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code nofile}, {@code NOFILE} or {@code RLIMIT_NOFILE}.
     *
     * @throws IllegalArgumentException naming the text, with the nearest name when there is one
     */
    public static Rlimit parse(String text) {
        String t = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        if (t.startsWith("RLIMIT_")) {
            t = t.substring(7);
        }
        for (Rlimit r : values()) {
            if (r.name().equals(t)) {
                return r;
            }
        }
        List<String> keys = new ArrayList<>();
        for (Rlimit r : values()) {
            keys.add(r.key());
        }
        String near = Nearest.of(t, keys);
        throw new IllegalArgumentException("unknown resource limit '" + text + "'"
                + (near != null ? " (did you mean " + near + "?)" : "") + " (one of " + String.join(", ", keys) + ")");
    }

    /** {@link #key()}. */
    @Override
    public String toString() {
        return key();
    }
}
