package org.corral.supervisor.internal.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;

/**
 * Seam to the cgroup bundle: prepares the cgroup a program runs in and reads
 * its final statistics. The engine passes {@link Placement#directory()} to the helper as CGROUP and
 * {@link Placement#removeOnTeardown()} as CGROUP_REMOVE; it writes no cgroup file itself.
 *
 * <p>{@link #NONE} refuses every spec that uses cgroup options, and puts no program in a cgroup.
 */
public interface CgroupPlacement {

    /**
     * Where one program runs.
     *
     * @param relativePath the cgroup path relative to the cgroup2 mount (what the API reports)
     * @param directory the absolute directory of the cgroup (the helper writes the pid to its cgroup.procs)
     * @param removeOnTeardown directories the helper removes at teardown, deepest first
     * @param helperStats the cgroup whose final statistics the helper reads and sends (SPAWN field
     *        CGROUP_STATS, before it removes {@code removeOnTeardown}), or null: {@link #finalStats(Placement)}
     *        reads them
     */
    record Placement(String relativePath, Path directory, List<Path> removeOnTeardown, Path helperStats) {
        public Placement {
            removeOnTeardown = List.copyOf(removeOnTeardown);
        }

        public Placement(String relativePath, Path directory, List<Path> removeOnTeardown) {
            this(relativePath, directory, removeOnTeardown, null);
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

    /**
     * Final statistics of a placement with {@link Placement#helperStats()}, from the files the helper sent in
     * its STATS frame; no file IO unless {@code helperRemoved} is false (the helper could not remove what it
     * should have: this removes it, off the IO thread then). Called once per started program.
     *
     * @param files interface file name to content, as the helper read them
     */
    default Optional<CgroupStats> finalStats(Placement placement, Map<String, String> files, boolean helperRemoved) {
        return Optional.empty();
    }

    /** The program was started but its helper ended without reporting EXIT: release what is left, without waiting. */
    default void abandon(Placement placement) {
    }

    /**
     * The program's helper was lost (it ended without reporting EXIT, or stopped answering): kills every
     * process of the placement now ({@code cgroup.kill}) and waits until it is empty ({@code cgroup.events}, no
     * polling). Removes nothing and reads nothing: the helper may still be alive and finishing its own teardown
     * (reading the final statistics, removing the cgroups), see {@link #releaseLost}. Called once per lost
     * program, off the IO thread; blocks until the cgroup is empty (bounded). A cgroup already gone is no error.
     *
     * @throws RuntimeException naming the cgroup and what failed (processes survived)
     */
    default void killNow(Placement placement) {
    }

    /**
     * After {@link #killNow}, once the lost helper is known to be gone (its broker reaped it) or nothing more can
     * be learnt about it: the final statistics and the removal of what is left. A helper that got through its
     * teardown before it was lost removed the cgroups itself: then the statistics it sent ({@code helperStats},
     * when its STATS frame arrived) are used, else there are none, and the missing directories are no error.
     * Called once per lost program, off the IO thread.
     *
     * @param helperStats the files of the helper's STATS frame, or null when none arrived
     * @throws RuntimeException naming the cgroup and what failed
     */
    default Optional<CgroupStats> releaseLost(Placement placement, Map<String, String> helperStats) {
        abandon(placement);
        return Optional.empty();
    }

    /** Removes what {@link #prepare} created when the program could not be started. */
    default void discard(Placement placement) {
    }

    /**
     * The cgroup that carries the placement's limits (relative to the mount): the placement's own cgroup, or
     * for a program run in a {@code program} leaf below a limited cgroup, that parent.
     */
    default String limitsPath(Placement placement) {
        return placement.relativePath();
    }

    /** The placement was handed over to the next supervisor version: forget it here without touching it. */
    default void handedOver(Placement placement) {
    }

    /** The cgroup2 mount, when known (for {@code containment()}). */
    default Optional<String> mount() {
        return Optional.empty();
    }

    /**
     * Where programs that set no cgroup option go (relative to the mount): each gets a cgroup of its own below
     * it, unless it opts out ({@link CommandSpec#defaultCgroup()}). Empty: they get none.
     */
    default Optional<String> defaultBase() {
        return Optional.empty();
    }

    /**
     * Sentences for {@code containment()}'s limitations about the default placement: why programs get no cgroup
     * of their own, or what is weaker about where they go. Empty when there is nothing to say.
     */
    default List<String> defaultBaseNotes() {
        return List.of();
    }

    /**
     * What the next supervisor version needs to take a placement over (a daemon handed over at a bundle
     * update): plain strings, written to the hand-over file.
     */
    default Map<String, String> persist(Placement placement) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("relative", placement.relativePath());
        m.put("dir", placement.directory().toString());
        m.put("teardown", joinPaths(placement.removeOnTeardown()));
        return m;
    }

    /**
     * A placement taken over from a previous supervisor version ({@link #persist}); its final statistics
     * and removal work as if this engine had prepared it.
     *
     * @throws IllegalArgumentException a value is missing or not a path
     */
    default Placement restore(Map<String, String> persisted) {
        return new Placement(required(persisted, "relative"), Path.of(required(persisted, "dir")),
                splitPaths(persisted.getOrDefault("teardown", "")));
    }

    /** Paths joined by newlines (a cgroup name cannot hold one: the cgroup bundle refuses it). */
    static String joinPaths(List<Path> paths) {
        StringBuilder b = new StringBuilder();
        for (Path p : paths) {
            if (b.length() > 0) {
                b.append('\n');
            }
            b.append(p);
        }
        return b.toString();
    }

    static List<Path> splitPaths(String joined) {
        List<Path> out = new ArrayList<>();
        if (joined != null && !joined.isEmpty()) {
            for (String s : joined.split("\n")) {
                out.add(Path.of(s));
            }
        }
        return out;
    }

    static String required(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("cgroup placement: '" + key + "' is missing");
        }
        return v;
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
