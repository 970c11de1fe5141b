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
 * @param limitations human-readable sentences naming each guarantee that does not hold here (among them,
 *     when {@code defaultCgroupBase} is empty, why programs get no cgroup of their own)
 * @param defaultCgroupBase where programs go by default: the cgroup (relative to {@code cgroupMount}) under
 *     which each program that sets no cgroup option (and does not opt out with
 *     {@link CommandSpec.Builder#defaultCgroup(boolean)}) runs in a cgroup of its own; empty when programs get
 *     none by default
 * @since 1.2
 */
public record Containment(Mode mode, Optional<String> helperPath, String architecture,
        Optional<String> cgroupMount, List<String> limitations, Optional<String> defaultCgroupBase) {

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
        defaultCgroupBase = defaultCgroupBase == null ? Optional.empty() : defaultCgroupBase;
    }

    /** A containment with no default cgroup base (the 1.0 form). */
    public Containment(Mode mode, Optional<String> helperPath, String architecture, Optional<String> cgroupMount,
            List<String> limitations) {
        this(mode, helperPath, architecture, cgroupMount, limitations, Optional.empty());
    }
}
