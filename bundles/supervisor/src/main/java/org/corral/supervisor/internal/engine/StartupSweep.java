package org.corral.supervisor.internal.engine;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

import org.corral.api.CgroupException;
import org.corral.api.CommandSpec;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.DefaultBase;
import org.corral.cgroup.SweepReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Corral does with cgroups when it starts, in the same way at the two places it starts: the activation of
 * the supervisor's core in OSGi and {@code Corral.open()}. It chooses the default base, sweeps the cgroups that
 * JVMs which are gone left under it and under the bases used before, and makes the placement the engine uses.
 * (The stale runtime and hand-over directories are swept when the engine creates its runtime directory, also at
 * these two places.)
 */
public final class StartupSweep {

    private static final Logger LOG = LoggerFactory.getLogger(StartupSweep.class);

    /** The grace stale programs get between SIGTERM and cgroup.kill. */
    public static final Duration GRACE = CommandSpec.DEFAULT_GRACE;

    private StartupSweep() {
    }

    /**
     * Chooses the default base from {@code setting} (the value of {@value DefaultBase#PROPERTY}, may be null),
     * sweeps it and {@code remembered}, and logs one INFO line: where programs go, and the sweep's counts. An
     * invalid setting is logged as an ERROR; programs then get no default cgroup.
     *
     * @param remembered bases used before (by an earlier start), swept too
     * @param baseUsed told once about each base the placement uses from now on
     */
    public static ManagedCgroupPlacement placement(CgroupManager manager, String setting, Collection<String> remembered,
            Consumer<String> baseUsed) {
        try {
            DefaultBase.checkSetting(setting);
        } catch (CgroupException e) {
            LOG.error("corral: {} (property {}): programs get no cgroup of their own by default", e.getMessage(),
                    DefaultBase.PROPERTY);
        }
        DefaultBase defaults = manager.chooseDefaultBase(setting);
        Set<String> bases = new LinkedHashSet<>();
        defaults.base().ifPresent(bases::add);
        bases.addAll(remembered);
        SweepReport report = manager.sweep(bases, GRACE);
        LOG.info("corral: {}; {}", defaults.explanation(), report.summary());
        for (String note : defaults.notes()) {
            LOG.info("corral: {}", note);
        }
        return new ManagedCgroupPlacement(manager, defaults, bases, baseUsed);
    }
}
