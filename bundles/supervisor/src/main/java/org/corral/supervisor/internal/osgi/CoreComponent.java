package org.corral.supervisor.internal.osgi;

import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Enumeration;

import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.DefaultBase;
import org.corral.supervisor.internal.Core;
import org.corral.supervisor.internal.RunCounts;
import org.corral.supervisor.internal.daemon.DaemonRegistry;
import org.corral.supervisor.internal.daemon.HandOverFile;
import org.corral.supervisor.internal.daemon.HandOverStore;
import org.corral.supervisor.internal.daemon.OutputBudget;
import org.corral.supervisor.internal.engine.Delivery;
import org.corral.supervisor.internal.engine.Engine;
import org.corral.supervisor.internal.engine.EngineConfig;
import org.corral.supervisor.internal.engine.Engines;
import org.corral.supervisor.internal.engine.HelperLocator;
import org.corral.supervisor.internal.engine.ManagedCgroupPlacement;
import org.corral.supervisor.internal.engine.StartupSweep;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's singleton: holds the {@link Engine} (helper from the attached native fragment, copied to
 * the bundle's data area, mode 0700, verified) and offers it to the bundle's other components as
 * {@link Core}. Deactivation closes the engine, which stops every program still running.
 *
 * <p>Activation first chooses the default cgroup base (framework property {@value DefaultBase#PROPERTY}) and
 * runs the start-up sweep ({@link StartupSweep}) over it and over the bases used before (remembered in the
 * bundle data area, {@value UsedCgroupBases#NAME}).
 */
@Component(immediate = true, service = Core.class)
public final class CoreComponent implements Core {

    private static final Logger LOG = LoggerFactory.getLogger(CoreComponent.class);

    private Engine engine;
    private CgroupManager cgroups;
    private ManagedCgroupPlacement placement;
    private HandOverStore handOver;
    private BundleContext context;
    private final RunCounts runs = new RunCounts();

    /**
     * Framework (or system) property: the parent of the runtime directory. Default: {@code java.io.tmpdir}
     * (Karaf's {@code data/tmp}); when that is not private or too long for the sockets in it, root's go under
     * {@code /run/corral} and other users' under {@code $XDG_RUNTIME_DIR} (see the README).
     */
    public static final String RUNTIME_DIR_PROPERTY = "org.corral.runtime.dir";

    @Activate
    void activate(BundleContext ctx) {
        EngineConfig.Builder b = EngineConfig.builder()
                .deliveryThreads(Delivery.threads(ctx.getProperty(Delivery.THREADS_PROPERTY)));
        String runtimeDir = ctx.getProperty(RUNTIME_DIR_PROPERTY);
        if (runtimeDir != null && !runtimeDir.isBlank()) {
            b.runtimeParent(Path.of(runtimeDir.trim()));
        }
        try {
            cgroups = CgroupManager.open();
        } catch (RuntimeException e) {
            LOG.info("Corral: no usable cgroup v2 hierarchy ({}); cgroup options will be refused", e.getMessage());
        }
        if (cgroups != null) {
            java.io.File data = ctx.getDataFile(UsedCgroupBases.NAME);
            UsedCgroupBases used = data == null ? null : new UsedCgroupBases(data.toPath());
            placement = StartupSweep.placement(cgroups, ctx.getProperty(DefaultBase.PROPERTY),
                    used == null ? java.util.List.of() : used.load(), used == null ? base -> { } : used::add);
            if (used != null) {
                CgroupManager m = cgroups;
                // bases that are gone hold nothing to sweep (Corral removes the empty ones it made at close)
                used.retain(base -> {
                    try {
                        return java.nio.file.Files.isDirectory(m.resolve(base));
                    } catch (RuntimeException e) {
                        return false;
                    }
                });
                placement.defaultBase().ifPresent(used::add); // swept next time even if the setting changes
            }
            b.cgroups(placement);
        }
        Path explicit = HelperLocator.explicitPath().orElse(null);
        Path installed = null;
        String arch = HelperLocator.architecture();
        if (explicit == null && arch != null) {
            URL entry = findHelper(ctx.getBundle(), arch);
            if (entry != null) {
                Path dir = ctx.getDataFile("helper-" + arch).toPath();
                installed = HelperLocator.install(entry, dir);
            }
        }
        try {
            engine = Engines.start(b, explicit, installed, null, HelperLocator.explicitPrefix(), false);
        } catch (RuntimeException e) {
            if (placement != null) {
                placement.close();
            }
            if (cgroups != null) {
                cgroups.close();
            }
            throw e;
        }
        LOG.info("Corral engine started: {}", engine.containment());
        // before any daemon exists: the daemon components need the core, which is this
        OutputBudget budget = OutputBudget.fromProperties(ctx::getProperty,
                (property, problem) -> LOG.error("Corral: {}: {}", property, problem));
        DaemonRegistry.of(engine).memory().budget(budget);
        context = ctx;
        Duration lease = HandOverStore.lease(ctx.getProperty(HandOverStore.LEASE_PROPERTY));
        handOver = new HandOverStore(engine, ctx.getDataFile(HandOverFile.NAME).toPath(), lease);
        // daemon components claim their daemons while this bundle starts; what is left after this is stopped
        Duration window = lease.dividedBy(2).compareTo(MAX_CLAIM_WINDOW) > 0 ? MAX_CLAIM_WINDOW : lease.dividedBy(2);
        handOver.loadIncoming(HandOverStore.thisJvm(), window);
    }

    /** How long daemons handed over by the previous version wait for their configuration to claim them. */
    private static final Duration MAX_CLAIM_WINDOW = Duration.ofSeconds(10);

    /** The helper in an attached fragment ({@code getEntry} does not see fragments; findEntries does). */
    static URL findHelper(Bundle bundle, String arch) {
        Enumeration<URL> e = bundle.findEntries("corral-native/" + arch, HelperLocator.NAME, false);
        return e != null && e.hasMoreElements() ? e.nextElement() : null;
    }

    @Deactivate
    void deactivate() {
        try {
            if (handOver != null) {
                if (handOver.hasOutgoing()) {
                    handOver.writeOutgoing(HandOverStore.thisJvm(), HAND_OVER_WAIT);
                }
                handOver.close();
            }
        } finally {
            closeEngine();
        }
    }

    /** At most this long for the detaches of all daemons at a hand-over (each is one round trip to its helper). */
    private static final Duration HAND_OVER_WAIT = Duration.ofSeconds(10);

    private void closeEngine() {
        try {
            if (engine != null) {
                engine.close();
            }
        } finally {
            if (placement != null) {
                placement.close();
            }
            if (cgroups != null) {
                cgroups.close();
            }
        }
    }

    @Override
    public Engine engine() {
        return engine;
    }

    @Override
    public HandOverStore handOver() {
        return handOver;
    }

    @Override
    public RunCounts runs() {
        return runs;
    }
}
