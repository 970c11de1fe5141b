package org.corral.supervisor.internal.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;

/**
 * Seam to the cgroup bundle: prepares the cgroup a program runs in and reads
 * its final statistics. The engine passes {@link Placement#directory()} to the helper as CGROUP and
 * {@link Placement#removeOnTeardown()} as CGROUP_REMOVE; it writes no cgroup file itself.
 *
 * <p>{@link #NONE} refuses every spec that uses cgroup options.
 */
public interface CgroupPlacement {

    /**
     * Where one program runs.
     *
     * @param relativePath the cgroup path relative to the cgroup2 mount (what the API reports)
     * @param directory the absolute directory of the cgroup (the helper writes the pid to its cgroup.procs)
     * @param removeOnTeardown directories the helper removes at teardown, deepest first
     */
    record Placement(String relativePath, Path directory, List<Path> removeOnTeardown) {
        public Placement {
            removeOnTeardown = List.copyOf(removeOnTeardown);
        }
    }

    /**
     * Validates the spec's cgroup options, creates the cgroup(s) and applies the limits.
     *
     * @return the placement, or empty when the spec uses no cgroup
     * @throws InvalidCommandException the options are refused (names the option and why)
     */
    Optional<Placement> prepare(CommandSpec spec);

    /**
     * Final statistics of a placement, read after the helper reported EXIT (its teardown is done); removes
     * what the helper left for this (the cgroup that carried the limits). Called once per started program,
     * off the IO thread; does not poll.
     */
    default Optional<CgroupStats> finalStats(Placement placement) {
        return Optional.empty();
    }

    /** The program was started but its helper ended without reporting EXIT: release what is left, without waiting. */
    default void abandon(Placement placement) {
    }

    /** Removes what {@link #prepare} created when the program could not be started. */
    default void discard(Placement placement) {
    }

    /** The cgroup2 mount, when known (for {@code containment()}). */
    default Optional<String> mount() {
        return Optional.empty();
    }

    /** No cgroup support wired: specs with cgroup options are refused with a clear error. */
    CgroupPlacement NONE = spec -> {
        if (spec.usesCgroup()) {
            throw new InvalidCommandException("cgroup options (cgroupBase/cgroupPath/limits) are not supported by "
                    + "this engine: no cgroup support is wired in");
        }
        return Optional.empty();
    };
}
