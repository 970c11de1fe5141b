package org.corral.cgroup;

import java.util.Objects;
import java.util.Optional;

import org.corral.api.CgroupLimits;
import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;

/**
 * What {@link CgroupManager#prepare} should set up: either a new, uniquely named cgroup under a
 * {@link Builder#base base}, or a {@link Builder#path fixed path}; plus the limits to write. Paths are
 * relative to the cgroup2 mount ({@code corral}, {@code system.slice/karaf.service/programs}).
 */
public final class CgroupRequest {

    private final String base;
    private final String path;
    private final boolean allowPopulated;
    private final CgroupLimits limits;
    private final String label;
    private final boolean statsAfterExit;

    private CgroupRequest(Builder b) {
        this.base = b.base;
        this.path = b.path;
        this.allowPopulated = b.allowPopulated;
        this.limits = b.limits == null ? CgroupLimits.builder().build() : b.limits;
        this.label = b.label;
        this.statsAfterExit = b.statsAfterExit;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A new cgroup under {@code base} with {@code limits} (none when {@code null}). */
    public static CgroupRequest under(String base, CgroupLimits limits) {
        return builder().base(base).limits(limits).build();
    }

    /** The fixed cgroup {@code path} with {@code limits} (none when {@code null}); refused when it holds processes. */
    public static CgroupRequest at(String path, CgroupLimits limits) {
        return builder().path(path).limits(limits).build();
    }

    /**
     * The request that a command's cgroup options ask for: its cgroup path or base, its limits and whether a
     * populated path is allowed. Limits without a base or path go under {@code defaultBase} (the engine's
     * configured base).
     *
     * @return empty when the spec uses no cgroup option
     * @throws InvalidCommandException when limits are given, no base or path, and no default base is configured
     */
    public static Optional<CgroupRequest> of(CommandSpec spec, String defaultBase) {
        if (!spec.usesCgroup()) {
            return Optional.empty();
        }
        Builder b = builder().limits(spec.limits().orElse(null));
        if (spec.cgroupPath().isPresent()) {
            b.path(spec.cgroupPath().get()).allowPopulated(spec.allowPopulatedCgroup());
        } else if (spec.cgroupBase().isPresent()) {
            b.base(spec.cgroupBase().get());
        } else if (defaultBase != null) {
            b.base(defaultBase);
        } else {
            throw new InvalidCommandException("cgroup limits " + spec.limits().map(l -> l.files().toString()).orElse("")
                    + " need a cgroup: give cgroupBase or cgroupPath (no default cgroup base is configured)");
        }
        return Optional.of(b.build());
    }

    /** The base under which a new cgroup is created, when this is not a fixed path. */
    public Optional<String> base() {
        return Optional.ofNullable(base);
    }

    /** The fixed path, when given. */
    public Optional<String> path() {
        return Optional.ofNullable(path);
    }

    /** Whether a fixed path may already hold processes. */
    public boolean allowPopulated() {
        return allowPopulated;
    }

    public CgroupLimits limits() {
        return limits;
    }

    /** A readable tag appended to the generated name (letters, digits, {@code _.}), e.g. a daemon name. */
    public Optional<String> label() {
        return Optional.ofNullable(label);
    }

    /** Whether the program runs in a leaf below the limited cgroup, so that statistics outlive the leaf. */
    public boolean statsAfterExit() {
        return statsAfterExit;
    }

    @Override
    public String toString() {
        return "CgroupRequest[" + (path != null ? "path=" + path : "base=" + base) + ", " + limits
                + (allowPopulated ? ", allowPopulated" : "") + "]";
    }

    public static final class Builder {
        private String base;
        private String path;
        private boolean allowPopulated;
        private CgroupLimits limits;
        private String label;
        private boolean statsAfterExit;

        private Builder() {
        }

        /** Create a new cgroup under {@code base} ({@code ""} is the mount's root cgroup). Exclusive with {@link #path}. */
        public Builder base(String base) {
            this.base = Objects.requireNonNull(base, "base");
            return this;
        }

        /** Use the cgroup at {@code path}, creating it when missing. Exclusive with {@link #base}. */
        public Builder path(String path) {
            this.path = Objects.requireNonNull(path, "path");
            return this;
        }

        public Builder allowPopulated(boolean allow) {
            this.allowPopulated = allow;
            return this;
        }

        public Builder limits(CgroupLimits limits) {
            this.limits = limits;
            return this;
        }

        public Builder label(String label) {
            this.label = label;
            return this;
        }

        /**
         * Run the program in a leaf ({@code program}) of the new cgroup instead of the new cgroup itself: the
         * limits go on the new cgroup, the helper removes only the leaf at teardown, and the final
         * statistics of the whole run are read from the new cgroup afterwards
         * ({@link CgroupManager#finish(PreparedCgroup)}). Only with a {@link #base}.
         */
        public Builder statsAfterExit(boolean statsAfterExit) {
            this.statsAfterExit = statsAfterExit;
            return this;
        }

        public CgroupRequest build() {
            if ((base == null) == (path == null)) {
                throw new InvalidCommandException("a cgroup request needs exactly one of base and path, got base="
                        + base + " path=" + path);
            }
            if (statsAfterExit && path != null) {
                throw new InvalidCommandException("statsAfterExit needs a cgroup base, not the fixed path '" + path + "'");
            }
            if (allowPopulated && path == null) {
                throw new InvalidCommandException("allowPopulated applies to a fixed cgroup path, not to base '" + base + "'");
            }
            return new CgroupRequest(this);
        }
    }
}
