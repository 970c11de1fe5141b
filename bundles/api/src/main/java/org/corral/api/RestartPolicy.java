package org.corral.api;

import java.util.Locale;

/** When a daemon's program is restarted after it ends (Erlang/OTP's terms). */
public enum RestartPolicy {
    /** Always restarted. */
    PERMANENT,
    /** Restarted only after a non-zero exit or a signal. */
    TRANSIENT,
    /** Never restarted. */
    TEMPORARY;

    /** Parses {@code permanent}, {@code transient} or {@code temporary} (any case). */
    public static RestartPolicy parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("unknown restart policy '" + text
                    + "' (expected permanent, transient or temporary)");
        }
    }

    /** Whether an end with this status is restarted under this policy. */
    public boolean restarts(int exitCode, boolean signaled) {
        switch (this) {
            case PERMANENT:
                return true;
            case TRANSIENT:
                return signaled || exitCode != 0;
            default:
                return false;
        }
    }
}
