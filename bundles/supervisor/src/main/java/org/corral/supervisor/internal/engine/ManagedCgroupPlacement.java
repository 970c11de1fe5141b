package org.corral.supervisor.internal.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.corral.api.CgroupLimits;
import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.CgroupRequest;
import org.corral.cgroup.PreparedCgroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CgroupPlacement} backed by the cgroup bundle's {@link CgroupManager}: prepares the cgroup (create,
 * enable controllers, write limits) and lets the helper join, kill and remove it.
 *
 * <p>Final statistics: a cgroup created under a base is prepared with
 * {@link CgroupRequest.Builder#statsAfterExit(boolean) statsAfterExit}: the limits go on the new cgroup, the
 * program runs in its leaf {@code program}, and the helper removes only that leaf at teardown. After EXIT,
 * {@link #finalStats} reads the new cgroup's figures (hierarchical: memory.events oom_kill, memory.peak,
 * pids.peak, cpu.stat, ...) and removes it ({@link CgroupManager#finish}). A fixed {@code cgroupPath} gets no
 * final statistics: the helper removes it when Corral created it, and a cgroup that existed before holds
 * figures of more than this run.
 */
public final class ManagedCgroupPlacement implements CgroupPlacement {

    private static final Logger LOG = LoggerFactory.getLogger(ManagedCgroupPlacement.class);

    /** Base used when a spec gives limits but neither a base nor a path. */
    public static final String DEFAULT_BASE = "corral";

    private final CgroupManager manager;
    /** Prepared with statsAfterExit, by the program's (leaf) directory, until finalStats or discard. */
    private final Map<Path, PreparedCgroup> withStats = new ConcurrentHashMap<>();

    public ManagedCgroupPlacement(CgroupManager manager) {
        this.manager = manager;
    }

    @Override
    public Optional<Placement> prepare(CommandSpec spec) {
        if (!spec.usesCgroup()) {
            return Optional.empty();
        }
        CgroupRequest.Builder r = CgroupRequest.builder();
        boolean stats = spec.cgroupPath().isEmpty();
        if (!stats) {
            r.path(spec.cgroupPath().get()).allowPopulated(spec.allowPopulatedCgroup());
        } else {
            r.base(spec.cgroupBase().orElse(DEFAULT_BASE)).statsAfterExit(true);
        }
        spec.limits().ifPresent(r::limits);
        PreparedCgroup p = manager.prepare(r.build()); // CgroupException names what failed
        if (stats) {
            withStats.put(p.dir(), p);
        }
        return Optional.of(new Placement(p.relativePath(), p.dir(), p.createdDirs()));
    }

    /**
     * Reads the final statistics of the run and removes the cgroup that carried its limits. Call once, after
     * the helper reported EXIT (its teardown removed the program's leaf, so this does not wait).
     */
    @Override
    public Optional<CgroupStats> finalStats(Placement placement) {
        PreparedCgroup p = withStats.remove(placement.directory());
        if (p == null) {
            return Optional.empty();
        }
        return Optional.of(manager.finish(p)); // CgroupException names the cgroup and why
    }

    @Override
    public void discard(Placement placement) {
        PreparedCgroup p = withStats.remove(placement.directory());
        if (p != null) {
            manager.remove(p);
        } else {
            manager.remove(placement.removeOnTeardown());
        }
    }

    /**
     * Forgets a placement whose program ended without a reported exit (its helper died): the helper's own
     * teardown handles the leaf; the cgroup with the limits is removed when it is empty, else left to the
     * start-up sweep.
     */
    @Override
    public void abandon(Placement placement) {
        PreparedCgroup p = withStats.remove(placement.directory());
        if (p == null) {
            return;
        }
        try {
            if (!manager.isPopulated(p.statsDir())) {
                manager.remove(p);
                return;
            }
        } catch (RuntimeException e) {
            LOG.debug("could not remove cgroup {}: {}", p.statsDir(), e.toString());
        }
        LOG.warn("cgroup {} of a program whose helper ended without reporting its exit is left for the start-up sweep",
                p.statsDir());
    }

    @Override
    public Optional<String> mount() {
        return Optional.of(manager.mount().toString());
    }

    @Override
    public String limitsPath(Placement placement) {
        PreparedCgroup p = withStats.get(placement.directory());
        if (p == null || p.statsDir().equals(placement.directory())) {
            return placement.relativePath();
        }
        return manager.mount().relativize(p.statsDir()).toString();
    }

    @Override
    public Map<String, String> persist(Placement placement) {
        Map<String, String> m = CgroupPlacement.super.persist(placement);
        PreparedCgroup p = withStats.get(placement.directory());
        if (p != null) {
            m.put("stats.dir", p.statsDir().toString());
            m.put("stats.remove", CgroupPlacement.joinPaths(p.removeAfterStats()));
            m.put("created", CgroupPlacement.joinPaths(p.createdDirs()));
        }
        return m;
    }

    /** Forgets a placement handed over to the next supervisor version (which finishes it). */
    @Override
    public void handedOver(Placement placement) {
        withStats.remove(placement.directory());
    }

    @Override
    public Placement restore(Map<String, String> persisted) {
        Placement pl = CgroupPlacement.super.restore(persisted);
        String stats = persisted.get("stats.dir");
        if (stats != null && !stats.isEmpty()) {
            withStats.put(pl.directory(), new PreparedCgroup(pl.directory(),
                    CgroupPlacement.splitPaths(persisted.getOrDefault("created", "")), pl.relativePath(),
                    CgroupLimits.builder().build(), List.of(), Path.of(stats),
                    CgroupPlacement.splitPaths(persisted.getOrDefault("stats.remove", ""))));
        }
        return pl;
    }
}
