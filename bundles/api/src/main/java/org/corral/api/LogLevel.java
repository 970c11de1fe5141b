package org.corral.api;

import java.util.Locale;

/** The level at which a daemon's output lines are logged, or {@link #OFF}. */
public enum LogLevel {
    TRACE, DEBUG, INFO, WARN, ERROR, OFF;

    /** Parses a level name (any case); {@code WARNING} is accepted for {@link #WARN}. */
    public static LogLevel parse(String text) {
        String t = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        if (t.equals("WARNING")) {
            return WARN;
        }
        try {
            return valueOf(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown log level '" + text
                    + "' (expected trace, debug, info, warn, error or off)");
        }
    }
}
