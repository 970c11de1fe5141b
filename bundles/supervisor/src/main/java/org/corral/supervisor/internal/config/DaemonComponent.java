package org.corral.supervisor.internal.config;

import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

import org.corral.api.Daemon;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.InvalidCommandException;
import org.corral.api.ProcessException;
import org.corral.api.ProgramNotFoundException;
import org.corral.supervisor.internal.Core;
import org.corral.supervisor.internal.config.DaemonConfigParser.Result;
import org.corral.supervisor.internal.daemon.Configured;
import org.corral.supervisor.internal.daemon.DaemonHandOver;
import org.corral.supervisor.internal.daemon.DaemonMBeans;
import org.corral.supervisor.internal.daemon.DaemonListener;
import org.corral.supervisor.internal.daemon.DaemonRegistry;
import org.corral.supervisor.internal.daemon.DaemonSupervisor;
import org.corral.supervisor.internal.daemon.HandOverStore;
import org.corral.supervisor.internal.daemon.OutputBudget;
import org.corral.supervisor.internal.daemon.ProgramIdentity;
import org.corral.supervisor.internal.daemon.SupervisedDaemon;
import javax.management.ObjectName;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One daemon per factory configuration of {@code org.corral.daemon} ({@code etc/org.corral.daemon-<name>.cfg}
 * in Karaf): parses and checks the configuration ({@link DaemonConfigParser}), runs the daemon, and registers
 * it as a {@link Daemon} service whose {@code daemon.name}, {@code daemon.state} and {@code daemon.pid}
 * properties follow its state.
 *
 * <ul>
 * <li>An invalid configuration is one ERROR line naming the file, each key and value and why; the daemon is
 *     not started (when it was running under the previous, valid configuration, it keeps running with that
 *     one). Unknown keys are WARN lines.</li>
 * <li>Edited ({@link #modified}): applied; the program is restarted only when the program itself changed
 *     (see {@link SupervisedDaemon#reconfigure}).</li>
 * <li>Deleted (deactivation reason 4), disabled (1), framework shutdown (6 with the system bundle STOPPING), or
 *     anything else: the daemon and every descendant of its program are stopped.</li>
 * <li>This bundle stopping while the framework runs on (reason 6: update, refresh, restart, stop, uninstall):
 *     the daemon is handed over ({@link HandOverStore}); its program keeps running detached with a lease, and
 *     the next activation of this component for the same daemon name re-attaches it
 *     ({@link SupervisedDaemon#adopt}) with its counters. Without a next activation within the lease, the
 *     helper tears the program down.</li>
 * <li>Two configurations with the same daemon name: the second is refused with an error naming both; it starts
 *     by itself when the name becomes free.</li>
 * <li>{@code depends.on}: starts (and restarts) wait until the named daemons' services are READY
 *     ({@link ServiceDependencyGate}); a running daemon is not stopped when a dependency leaves READY.</li>
 * </ul>
 */
@Component(name = DaemonConfigParser.FACTORY_PID, configurationPid = DaemonConfigParser.FACTORY_PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = {}, immediate = true)
@Designate(ocd = DaemonConfiguration.class, factory = true)
public final class DaemonComponent {

    private static final Logger LOG = LoggerFactory.getLogger(DaemonComponent.class);

    /** Deactivation reasons of DS 1.1+ (the values of REASON_*). */
    static final int REASON_DISABLED = 1;
    static final int REASON_REFERENCE = 2;
    static final int REASON_CONFIGURATION_MODIFIED = 3;
    static final int REASON_CONFIGURATION_DELETED = 4;
    static final int REASON_DISPOSED = 5;
    static final int REASON_BUNDLE_STOPPED = 6;

    @Reference
    private Core core;

    /**
     * Serializes activate/modified/deactivate with the retry of a refused name. Never waited for on the
     * engine's delivery threads (the retry only tries it), because stopping a daemon under it needs them.
     */
    private final ReentrantLock lock = new ReentrantLock();

    private BundleContext context;
    private DaemonSupervisor supervisor;
    private ServiceDependencyGate gate;
    private String origin;
    private Map<String, Object> lastProps;

    private volatile SupervisedDaemon daemon;
    private volatile ServiceRegistration<Daemon> registration;
    /** While no daemon runs from this configuration because it cannot: its INVALID service and MBean. */
    private InvalidDaemon invalid;
    private ServiceRegistration<Daemon> invalidRegistration;
    private Optional<ObjectName> invalidMBean = Optional.empty();
    private AutoCloseable nameWatch;
    private boolean deactivated;

    @Activate
    void activate(BundleContext ctx, Map<String, Object> props) {
        lock.lock();
        try {
            this.context = ctx;
            this.origin = DaemonConfigParser.origin(props);
            this.supervisor = new DaemonSupervisor(core.engine(), origin);
            this.gate = new ServiceDependencyGate(ctx);
            apply(props);
        } finally {
            lock.unlock();
        }
    }

    @Modified
    void modified(Map<String, Object> props) {
        lock.lock();
        try {
            this.origin = DaemonConfigParser.origin(props);
            apply(props);
        } finally {
            lock.unlock();
        }
    }

    @Deactivate
    void deactivate(int reason) {
        lock.lock();
        try {
            deactivated = true;
            closeNameWatch();
            // Reason 6 (bundle stopped; 2 when the core went first) while this bundle stops and the framework
            // keeps running: an update, refresh or restart of the supervisor bundle (or of one it depends on).
            // The daemon is handed over to the next version: its program keeps running, detached with a lease.
            // For every other reason (configuration deleted, component disabled, framework shutdown) it stops.
            boolean handOver = (reason == REASON_BUNDLE_STOPPED || reason == REASON_REFERENCE) && bundleUpdating()
                    && core.handOver() != null && core.handOver().supported();
            SupervisedDaemon d = daemon;
            if (d != null && handOver) {
                unregister();
                daemon = null;
                core.handOver().handingOver(supervisor.handOver(d, core.handOver().lease()));
            } else if (d != null && reason == REASON_BUNDLE_STOPPED) {
                // framework shutdown (or a stop without hand-over): every daemon component starts its stop now and
                // the core's engine waits for all programs at once, so N slow daemons take one grace, not N
                LOG.info("Daemon '{}' ({}): {}: stopping it", d.name(), origin, frameworkRunning()
                        ? "supervisor bundle stopped (no hand-over possible)" : "framework shutting down");
                unregister();
                daemon = null;
                supervisor.removeAsync(d);
            } else if (d != null) {
                LOG.info("Daemon '{}' ({}): {}: stopping it", d.name(), origin, describe(reason));
            }
            removeDaemon();
            clearInvalid();
            gate.close();
            supervisor.close();
        } finally {
            lock.unlock();
        }
    }

    private boolean frameworkRunning() {
        try {
            return context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getState() == Bundle.ACTIVE;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** This bundle is stopping while the framework runs on (update, refresh, restart, stop, uninstall). */
    private boolean bundleUpdating() {
        try {
            return frameworkRunning() && context.getBundle().getState() == Bundle.STOPPING;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static String describe(int reason) {
        switch (reason) {
            case REASON_DISABLED:
                return "component disabled";
            case REASON_REFERENCE:
                return "a required service went away";
            case REASON_CONFIGURATION_MODIFIED:
                return "configuration modified";
            case REASON_CONFIGURATION_DELETED:
                return "configuration deleted";
            case REASON_DISPOSED:
                return "component disposed";
            case REASON_BUNDLE_STOPPED:
                return "bundle stopped";
            default:
                return "deactivated (reason " + reason + ")";
        }
    }

    // ------------------------------------------------------------------ applying a configuration

    private void apply(Map<String, Object> props) {
        lastProps = props;
        Result r = DaemonConfigParser.parse(props, budget());
        for (String w : r.warningLines()) {
            LOG.warn(w);
        }
        SecretExposure.warning(props, SecretExposure.SYSTEM).ifPresent(LOG::warn);
        if (!r.ok()) {
            LOG.error(r.errorLine() + (daemon != null ? "; the running daemon keeps its previous configuration" : ""));
            refused(r.name().orElse(null), r.draft().orElse(null), r.errors());
            return;
        }
        DaemonSpec spec = r.spec().get();
        if (daemon != null && daemon.name().equals(spec.name())) {
            reconfigure(spec);
            return;
        }
        if (daemon != null) {
            LOG.info("Daemon '{}' ({}) is renamed to '{}': stopping the old one", daemon.name(), origin, spec.name());
            removeDaemon();
        }
        create(spec);
    }

    private void reconfigure(DaemonSpec spec) {
        try {
            if (ProgramIdentity.changed(daemon.spec().command(), spec.command())) {
                core.engine().validate(spec.command());
            }
            DaemonSupervisor.validateHook(core.engine(), spec);
            DaemonSupervisor.validateNotify(core.engine(), spec);
        } catch (ProgramNotFoundException e) {
            DaemonConfigParser.Problem p = DaemonConfigParser.programNotFound(spec, e);
            LOG.error("Daemon configuration {} is invalid: {}; the running daemon keeps its previous configuration",
                    origin, p);
            refused(spec.name(), spec, List.of(p));
            return;
        } catch (InvalidCommandException e) {
            LOG.error("Daemon configuration {} is invalid: {}; the running daemon keeps its previous configuration",
                    origin, e.getMessage());
            refused(spec.name(), spec, List.of(new DaemonConfigParser.Problem("", null, e.getMessage())));
            return;
        }
        daemon.configurationProblems(List.of());
        daemon.configuration(configurationPid(), origin, ConfigKeys.masked(lastProps));
        boolean restarted = daemon.reconfigure(spec);
        LOG.info("Daemon '{}' ({}) reconfigured{}", spec.name(), origin, restarted ? ": program (re)started" : "");
    }

    private void create(DaemonSpec spec) {
        closeNameWatch();
        clearInvalid(); // its MBean name is the daemon's; a failure below shows it again
        SupervisedDaemon d;
        HandOverStore store = core.handOver();
        Optional<DaemonHandOver> taken = store == null ? Optional.empty() : store.claim(spec.name());
        try {
            d = taken.isPresent() ? supervisor.adopt(spec, "configuration " + origin, gate, taken.get())
                    : supervisor.create(spec, "configuration " + origin, gate);
        } catch (RuntimeException e) {
            taken.ifPresent(h -> store.release(h, "its configuration " + origin + " cannot take it over: " + e.getMessage()));
            createFailed(spec, e);
            return;
        }
        daemon = d;
        d.ownerPublishes();
        d.configuration(configurationPid(), origin, ConfigKeys.masked(lastProps));
        d.addListener(new DaemonListener() {
            @Override
            public void stateChanged(SupervisedDaemon source, DaemonState state) {
                updateProperties(source);
            }
        });
        registration = context.registerService(Daemon.class, d, properties(d));
        if (taken.isPresent()) {
            d.adopt(taken.get());
            LOG.info("Daemon '{}' taken over from the previous supervisor version ({})", spec.name(), origin);
        } else {
            d.start();
            LOG.info("Daemon '{}' created from {}", spec.name(), origin);
        }
    }

    private void createFailed(DaemonSpec spec, RuntimeException failure) {
        try {
            throw failure;
        } catch (ProgramNotFoundException e) {
            DaemonConfigParser.Problem p = DaemonConfigParser.programNotFound(spec, e);
            LOG.error("Daemon configuration {} is invalid: {} - daemon '{}' not started", origin, p, spec.name());
            refused(spec.name(), spec, List.of(p));
            return;
        } catch (InvalidCommandException e) {
            Optional<String> owner = supervisor.registry().owner(spec.name());
            if (owner.isPresent() && !owner.get().equals("configuration " + origin)) {
                LOG.error("Daemon configuration {} is refused: {} - daemon '{}' not started (it starts when the"
                        + " name becomes free)", origin, e.getMessage(), spec.name());
                refused(spec.name(), spec, List.of(new DaemonConfigParser.Problem("name", null, "daemon name '"
                        + spec.name() + "' is taken by " + owner.get() + "; this one starts when the name is free")));
                waitForName(spec.name());
            } else {
                LOG.error("Daemon configuration {} is invalid: {} - daemon '{}' not started", origin, e.getMessage(),
                        spec.name());
                refused(spec.name(), spec, List.of(new DaemonConfigParser.Problem("", null, e.getMessage())));
            }
            return;
        } catch (ProcessException | IllegalStateException e) {
            LOG.error("Daemon '{}' ({}) cannot be created: {}", spec.name(), origin, e.getMessage());
            refused(spec.name(), spec, List.of(new DaemonConfigParser.Problem("", null, "cannot be created: "
                    + e.getMessage())));
        }
    }

    // ------------------------------------------------------------------ a configuration that cannot run

    /**
     * Shows that this configuration was refused: as problems of the daemon that runs on with the previous one, or
     * as an INVALID daemon service (and MBean) of its own; posts an INVALID event either way.
     *
     * @param name the daemon name it defines, or null when it defines no valid one
     * @param draft what could be read of it, or null
     */
    private void refused(String name, DaemonSpec draft, List<DaemonConfigParser.Problem> problems) {
        List<DaemonConfigValidator.Problem> shown = ConfigValidator.convert(problems);
        String listed;
        if (daemon != null) {
            daemon.configurationProblems(shown);
            listed = daemon.name();
        } else {
            listed = name != null ? name : nameFromPid();
            showInvalid(new InvalidDaemon(listed, draft != null ? draft : InvalidDaemon.emptyDraft(listed), shown,
                    configurationPid(), origin, ConfigKeys.masked(lastProps)));
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put(DaemonEvents.NAME, listed);
        event.put(DaemonEvents.PROBLEMS, shown.stream().map(DaemonConfigValidator.Problem::text).toArray(String[]::new));
        if (configurationPid() != null) {
            event.put(DaemonEvents.CONFIGURATION, configurationPid());
        }
        event.put(DaemonEvents.FILE, origin);
        supervisor.registry().post(DaemonEvents.INVALID, event);
    }

    /** Registers {@code d} as this configuration's service in place of the previous INVALID one. */
    private void showInvalid(InvalidDaemon d) {
        clearInvalid();
        invalid = d;
        invalidMBean = DaemonMBeans.registerInvalid(d, configurationPid() != null ? configurationPid() : origin);
        invalidRegistration = context.registerService(Daemon.class, d, properties(d));
    }

    private void clearInvalid() {
        if (invalidRegistration != null) {
            try {
                invalidRegistration.unregister();
            } catch (IllegalStateException e) {
                // already unregistered (bundle stopping)
            }
            invalidRegistration = null;
        }
        invalidMBean.ifPresent(DaemonMBeans::unregister);
        invalidMBean = Optional.empty();
        invalid = null;
    }

    /** This configuration's PID, or null. */
    private String configurationPid() {
        Object pid = lastProps == null ? null : lastProps.get(Constants.SERVICE_PID);
        return pid == null ? null : pid.toString();
    }

    /** The name a configuration without a valid name is listed under: the part of its PID after '~', else the PID. */
    private String nameFromPid() {
        String pid = configurationPid();
        if (pid == null) {
            return origin;
        }
        int tilde = pid.indexOf('~');
        return tilde >= 0 && tilde + 1 < pid.length() ? pid.substring(tilde + 1) : pid;
    }

    private void waitForName(String name) {
        DaemonRegistry registry = supervisor.registry();
        nameWatch = registry.watch(() -> {
            if (registry.owner(name).isEmpty()) {
                retrySoon(Duration.ZERO);
            }
        });
    }

    private void retrySoon(Duration delay) {
        core.engine().timers().schedule(delay, () -> core.engine().deliverExecutor().execute(this::retry));
    }

    /** A refused name may be free now: try again (without ever waiting for the component lock). */
    private void retry() {
        if (!lock.tryLock()) {
            retrySoon(Duration.ofMillis(100));
            return;
        }
        try {
            if (deactivated || daemon != null || nameWatch == null) {
                return;
            }
            Result r = DaemonConfigParser.parse(lastProps, budget());
            if (!r.ok() || supervisor.registry().owner(r.spec().get().name()).isPresent()) {
                return;
            }
            LOG.info("Daemon name '{}' is free now: starting it from {}", r.spec().get().name(), origin);
            create(r.spec().get());
        } finally {
            lock.unlock();
        }
    }

    private void closeNameWatch() {
        if (nameWatch != null) {
            try {
                nameWatch.close();
            } catch (Exception e) {
                // nothing to do
            }
            nameWatch = null;
        }
    }

    private void unregister() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // already unregistered (bundle stopping)
            }
            registration = null;
        }
    }

    /** Unregisters the service and stops the daemon and everything its program spawned. */
    /** The output budgets of the engine's daemons ({@code log.maxline} and {@code log.lines} are checked against them). */
    private OutputBudget budget() {
        return DaemonRegistry.of(core.engine()).memory().budget();
    }

    private void removeDaemon() {
        unregister();
        if (daemon != null) {
            SupervisedDaemon d = daemon;
            daemon = null;
            try {
                supervisor.remove(d);
            } catch (RuntimeException e) {
                LOG.error("Daemon '{}' ({}) did not stop cleanly: {}", d.name(), origin, e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ service properties

    /** On the daemon's delivery lane: no lock (deactivation may hold the component lock while waiting for it). */
    private void updateProperties(SupervisedDaemon d) {
        ServiceRegistration<Daemon> reg = d == daemon ? registration : null;
        if (reg != null) {
            try {
                reg.setProperties(properties(d));
            } catch (IllegalStateException e) {
                // unregistered meanwhile
            }
        }
    }

    static Dictionary<String, Object> properties(Daemon d) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(Daemon.PROP_NAME, d.name());
        p.put(Daemon.PROP_STATE, d.state().name());
        d.pid().ifPresent(pid -> p.put(Daemon.PROP_PID, pid));
        d.helperPid().ifPresent(pid -> p.put("daemon.helper.pid", pid));
        if (d instanceof Configured && ((Configured) d).configurationPid() != null) {
            p.put(Daemon.PROP_CONFIGURATION, ((Configured) d).configurationPid());
        }
        p.put(Constants.SERVICE_DESCRIPTION, "Corral daemon " + d.name());
        return p;
    }
}
