package org.corral.supervisor.internal.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.corral.api.CgroupException;
import org.corral.api.CgroupLimits;
import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.corral.api.CommandSpec;
import org.corral.cgroup.CgroupFiles;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.CgroupRequest;
import org.corral.cgroup.DefaultBase;
import org.corral.cgroup.PreparedCgroup;
import org.corral.cgroup.SweepReport;
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
 *
 * <p>Default placement: a spec with no cgroup option runs under the {@link DefaultBase default base} chosen when
 * Corral started (unless it opts out with {@link CommandSpec#defaultCgroup()}), exactly as if it had named that
 * base. The first time this placement uses a base that the start-up sweep did not cover, it sweeps it
 * ({@link CgroupManager#sweep(java.util.Collection, Duration)}), and it reports each base it uses to
 * {@code baseUsed} (the supervisor remembers them for the next start-up sweep). {@link #close} removes the empty
 * cgroups it still holds and the bases it created (and the automatic default base) when they are empty.
 */
public final class ManagedCgroupPlacement implements CgroupPlacement {

    private static final Logger LOG = LoggerFactory.getLogger(ManagedCgroupPlacement.class);

    /** Base used when a spec gives limits but neither a base nor a path, and there is no default base. */
    public static final String DEFAULT_BASE = DefaultBase.BASE_NAME;
    /** The grace the sweep of a newly used base gives stale programs before cgroup.kill. */
    static final Duration SWEEP_GRACE = CommandSpec.DEFAULT_GRACE;

    private final CgroupManager manager;
    private final DefaultBase defaults;
    private final Consumer<String> baseUsed;
    /** Prepared with statsAfterExit, by the program's (leaf) directory, until finalStats or discard. */
    private final Map<Path, PreparedCgroup> withStats = new ConcurrentHashMap<>();
    /** Cgroups of programs whose helper ended without an exit report, still populated when abandoned. */
    private final Set<PreparedCgroup> abandoned = ConcurrentHashMap.newKeySet();
    /** Bases in use (or swept) since this placement was made. */
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    /** A placement with no default base: only specs with cgroup options get a cgroup. */
    public ManagedCgroupPlacement(CgroupManager manager) {
        this(manager, DefaultBase.none("no default base is configured"), List.of(), b -> { });
    }

    /**
     * @param defaults where specs with no cgroup option go ({@link CgroupManager#chooseDefaultBase})
     * @param swept the bases the start-up sweep already covered
     * @param baseUsed told once about each base this placement uses (to remember it for the next start-up sweep)
     */
    public ManagedCgroupPlacement(CgroupManager manager, DefaultBase defaults, Collection<String> swept,
            Consumer<String> baseUsed) {
        this.manager = manager;
        this.defaults = defaults;
        this.baseUsed = baseUsed;
        this.known.addAll(swept);
        manager.delegate(defaults.delegated());
    }

    @Override
    public Optional<Placement> prepare(CommandSpec spec) {
        if (!spec.usesCgroup() && !(spec.defaultCgroup() && defaults.base().isPresent())) {
            return Optional.empty();
        }
        CgroupRequest.Builder r = CgroupRequest.builder();
        boolean stats = spec.cgroupPath().isEmpty();
        if (!stats) {
            r.path(spec.cgroupPath().get()).allowPopulated(spec.allowPopulatedCgroup());
        } else {
            String base = spec.cgroupBase().orElse(defaults.base().orElse(DEFAULT_BASE));
            firstUse(base);
            r.base(base).statsAfterExit(true);
        }
        spec.limits().ifPresent(r::limits);
        PreparedCgroup p = manager.prepare(r.build()); // CgroupException names what failed
        if (stats) {
            withStats.put(p.dir(), p);
            // the helper reads the final statistics once the program's leaf is empty, then removes the leaf
            // and the cgroup with the limits: no file IO in the JVM after EXIT, done in parallel by the helpers
            List<Path> teardown = new ArrayList<>(p.createdDirs());
            teardown.addAll(p.removeAfterStats());
            return Optional.of(new Placement(p.relativePath(), p.dir(), teardown, p.statsDir()));
        }
        return Optional.of(new Placement(p.relativePath(), p.dir(), p.createdDirs()));
    }

    /** The first use of {@code base} here: sweep it unless the start-up sweep did, and report it. */
    private void firstUse(String base) {
        if (!known.add(base)) {
            return;
        }
        try {
            SweepReport r = manager.sweep(List.of(base), SWEEP_GRACE);
            if (!r.swept().isEmpty()) {
                LOG.info("corral: first use of cgroup base {}: {}", base, r.summary());
            }
        } catch (RuntimeException e) {
            LOG.warn("corral: sweeping the cgroup base {} failed: {}", base, e.toString());
        }
        try {
            baseUsed.accept(base);
        } catch (RuntimeException e) {
            LOG.debug("cannot remember cgroup base {}", base, e);
        }
    }

    @Override
    public Optional<String> defaultBase() {
        return defaults.base();
    }

    @Override
    public List<String> defaultBaseNotes() {
        List<String> notes = new ArrayList<>();
        if (defaults.base().isEmpty()) {
            String e = defaults.explanation();
            notes.add(Character.toUpperCase(e.charAt(0)) + e.substring(1) + "; a descendant that left a program's"
                    + " process group survives a kill -9 of the program's helper.");
        }
        notes.addAll(defaults.notes());
        return notes;
    }

    /** How the default base was chosen. */
    public DefaultBase defaults() {
        return defaults;
    }

    /**
     * After the engine closed: removes the cgroups this placement still holds that are empty (a program's
     * statistics never read, an abandoned program's cgroup that emptied since), then the bases it created and the
     * automatic default base, each when empty. Cgroups that still hold processes (a daemon handed over to the
     * next version) and bases other JVMs use stay. Never throws.
     */
    public void close() {
        List<PreparedCgroup> held = new ArrayList<>(withStats.values());
        held.addAll(abandoned);
        for (PreparedCgroup p : held) {
            try {
                if (!manager.isPopulated(p.statsDir())) {
                    manager.remove(p);
                    withStats.remove(p.dir());
                    abandoned.remove(p);
                }
            } catch (RuntimeException e) {
                LOG.debug("cgroup {} stays: {}", p.statsDir(), e.toString());
            }
        }
        List<String> alsoTry = defaults.automatic() ? List.of(defaults.base().get()) : List.of();
        manager.removeBasesIfEmpty(alsoTry);
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
    public Optional<CgroupStats> finalStats(Placement placement, Map<String, String> files, boolean helperRemoved) {
        PreparedCgroup p = withStats.remove(placement.directory());
        if (p == null) {
            return Optional.empty();
        }
        if (!helperRemoved) {
            try {
                manager.remove(p.removeAfterStats());
            } catch (RuntimeException ex) {
                LOG.warn("could not remove cgroup {} after its program's exit: {}", p.statsDir(), ex.toString());
            }
        }
        return Optional.of(parse(p, files));
    }

    /** The statistics the helper read (STATS frame), parsed by shape; a file that does not parse is left out. */
    private CgroupStats parse(PreparedCgroup p, Map<String, String> files) {
        Map<String, CgroupValue> parsed = new TreeMap<>();
        for (Map.Entry<String, String> e : files.entrySet()) {
            try {
                parsed.put(e.getKey(), CgroupFiles.parse(e.getKey(), e.getValue()));
            } catch (RuntimeException ex) {
                LOG.debug("cannot parse {} of {}: {}", e.getKey(), p.statsDir(), ex.toString());
            }
        }
        return new CgroupStats(manager.relativize(p.statsDir()), parsed);
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
        abandoned.add(p);
        LOG.warn("cgroup {} of a program whose helper ended without reporting its exit is left for the start-up sweep",
                p.statsDir());
    }

    /**
     * Kills a lost program's cgroup at once ({@code cgroup.kill}: {@link CgroupManager#kill} with no grace,
     * waiting on {@code cgroup.events}): for a cgroup made under a base the one with the limits (the program's
     * leaf is below it), for a fixed path that cgroup. Nothing is read or removed yet ({@link #releaseLost}). A
     * cgroup that is gone (a helper that finished its teardown removed it) is no error.
     */
    @Override
    public void killNow(Placement placement) {
        PreparedCgroup p = withStats.get(placement.directory());
        Path target = p != null ? p.statsDir() : placement.directory();
        try {
            manager.kill(target, java.time.Duration.ZERO);
        } catch (CgroupException e) {
            if (java.nio.file.Files.isDirectory(target)) {
                throw e;
            }
            LOG.debug("cgroup {} went away while it was killed: {}", target, e.toString());
        }
    }

    /**
     * After {@link #killNow} and once the lost helper is gone: for a cgroup made under a base, its final
     * statistics (read now, or the helper's STATS frame when that arrived: then the helper may have removed
     * the cgroup already) and the removal of everything Corral created for it, skipping what is already gone;
     * for a fixed path, the removal of what Corral created. When the removal fails the cgroup is kept for
     * {@link #close()} and the sweep, and the failure is thrown.
     */
    @Override
    public Optional<CgroupStats> releaseLost(Placement placement, Map<String, String> helperStats) {
        PreparedCgroup p = withStats.remove(placement.directory());
        if (p == null) {
            manager.remove(placement.removeOnTeardown()); // directories already gone are skipped
            return Optional.empty();
        }
        Optional<CgroupStats> stats = Optional.empty();
        if (helperStats != null) {
            stats = Optional.of(parse(p, helperStats));
        } else if (java.nio.file.Files.isDirectory(p.statsDir())) {
            try {
                manager.kill(p.statsDir(), java.time.Duration.ZERO); // empty already: returns at once
                stats = Optional.of(manager.stats(p.statsDir()));
            } catch (CgroupException e) {
                if (java.nio.file.Files.isDirectory(p.statsDir())) {
                    abandoned.add(p);
                    throw e;
                }
                LOG.debug("cgroup {} went away before its final statistics were read: {}", p.statsDir(), e.toString());
            }
        }
        try {
            manager.remove(p);
        } catch (CgroupException e) {
            abandoned.add(p);
            throw e;
        }
        return stats;
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
