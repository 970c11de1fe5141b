package org.corral.supervisor.internal.daemon;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One sd_notify datagram as sd_notify(3) defines it: newline-separated {@code VARIABLE=value} assignments (a line
 * without {@code =} is ignored, a later assignment of the same variable wins). Pure.
 */
record SdNotify(Map<String, String> values) {

    /** The variables Corral acts on; the others are logged at DEBUG and otherwise ignored. */
    static final String READY = "READY";
    static final String STATUS = "STATUS";
    static final String WATCHDOG = "WATCHDOG";
    static final String WATCHDOG_USEC = "WATCHDOG_USEC";
    static final String STOPPING = "STOPPING";
    static final String RELOADING = "RELOADING";
    static final String MAINPID = "MAINPID";
    static final String ERRNO = "ERRNO";
    static final String EXTEND_TIMEOUT_USEC = "EXTEND_TIMEOUT_USEC";
    static final String BARRIER = "BARRIER";

    static SdNotify parse(byte[] datagram) {
        Map<String, String> v = new LinkedHashMap<>();
        for (String line : new String(datagram, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                v.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return new SdNotify(Collections.unmodifiableMap(v));
    }

    /** Whether {@code name=1} was sent (READY, STOPPING, RELOADING, BARRIER, WATCHDOG). */
    boolean flag(String name) {
        return "1".equals(values.get(name));
    }

    String get(String name) {
        return values.get(name);
    }

    /** A positive decimal number of {@code name}, else empty (absent or not a number). */
    OptionalLong positive(String name) {
        String s = values.get(name);
        if (s == null || s.isEmpty() || s.length() > 19 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalLong.empty();
        }
        try {
            long n = Long.parseLong(s);
            return n > 0 ? OptionalLong.of(n) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // 19 digits above Long.MAX_VALUE
        }
    }
}
