package org.corral.api;

import java.util.List;
import java.util.Optional;

/**
 * What guarantees this platform gets, and why.
 *
 * @param mode the containment mode in force
 * @param helperPath the native helper executable in use, if any
 * @param architecture the architecture the helper was built for (e.g. {@code x86_64}), or the JVM's
 *     {@code os.arch} in fallback mode
 * @param cgroupMount the cgroup v2 mount point when one was found
 * @param limitations human-readable sentences naming each guarantee that does not hold here
 */
public record Containment(Mode mode, Optional<String> helperPath, String architecture,
        Optional<String> cgroupMount, List<String> limitations) {

    /** Containment modes, strongest first. */
    public enum Mode {
        /** Native helper and a cgroup v2 hierarchy: exact cleanup (cgroup.kill) and limits. */
        HELPER_CGROUP,
        /** Native helper without usable cgroups: process group + subreaper cleanup, no limits. */
        HELPER,
        /**
         * No helper for this platform: plain {@link java.lang.ProcessBuilder}. Descendants can escape, a
         * {@code kill -9} of the JVM leaves programs running, no limits.
         */
        JAVA_FALLBACK
    }

    public Containment {
        limitations = List.copyOf(limitations);
    }
}
