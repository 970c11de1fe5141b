package org.corral.supervisor.internal.engine;

import java.util.Optional;

import org.corral.api.CommandSpec;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.CgroupRequest;
import org.corral.cgroup.PreparedCgroup;

/**
 * {@link CgroupPlacement} backed by the cgroup bundle's {@link CgroupManager}: prepares the cgroup (create,
 * enable controllers, write limits) and lets the helper join, kill and remove it.
 *
 * <p>Known gap (for the lead): the helper removes the cgroup before it reports EXIT, so no final statistics
 * can be read here; {@link #finalStats} stays empty until the protocol or the placement (e.g. a kept parent
 * cgroup whose hierarchical files are read after EXIT) provides them.
 */
public final class ManagedCgroupPlacement implements CgroupPlacement {

    /** Base used when a spec gives limits but neither a base nor a path. */
    public static final String DEFAULT_BASE = "corral";

    private final CgroupManager manager;

    public ManagedCgroupPlacement(CgroupManager manager) {
        this.manager = manager;
    }

    @Override
    public Optional<Placement> prepare(CommandSpec spec) {
        if (!spec.usesCgroup()) {
            return Optional.empty();
        }
        CgroupRequest.Builder r = CgroupRequest.builder();
        if (spec.cgroupPath().isPresent()) {
            r.path(spec.cgroupPath().get()).allowPopulated(spec.allowPopulatedCgroup());
        } else {
            r.base(spec.cgroupBase().orElse(DEFAULT_BASE));
        }
        spec.limits().ifPresent(r::limits);
        PreparedCgroup p = manager.prepare(r.build()); // CgroupException names what failed
        return Optional.of(new Placement(p.relativePath(), p.dir(), p.createdDirs()));
    }

    @Override
    public void discard(Placement placement) {
        manager.remove(placement.removeOnTeardown());
    }

    @Override
    public Optional<String> mount() {
        return Optional.of(manager.mount().toString());
    }
}
