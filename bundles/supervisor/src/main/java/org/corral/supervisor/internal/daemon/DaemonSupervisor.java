package org.corral.supervisor.internal.daemon;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.management.ObjectName;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.PreStart;
import org.corral.api.ProgramNotFoundException;
import org.corral.supervisor.internal.engine.Engine;
import org.corral.supervisor.internal.engine.StopAll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and owns supervised daemons on an {@link Engine}. One instance per owner: a consumer bundle's
 * {@code ProcessService} (its daemons die with it: {@link #close()}), or a daemon configuration component.
 * Daemon names are unique per engine across all owners ({@link DaemonRegistry}). Each daemon gets a JMX
 * MBean ({@link DaemonMBeans}) for its life.
 *
 * <p>Plain Java: {@code new DaemonSupervisor(engine).start(spec)}; no OSGi needed.
 */
public final class DaemonSupervisor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DaemonSupervisor.class);
    /** How long close() waits for the daemons beyond the longest grace. */
    private static final Duration STOP_MARGIN = Duration.ofSeconds(30);

    private final Engine engine;
    private final String owner;
    private final DaemonRegistry registry;
    private final NanoClock clock;
    private final CgroupAccess cgroups;
    private final Map<SupervisedDaemon, Optional<ObjectName>> owned = new ConcurrentHashMap<>();
    private final List<DaemonListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** A supervisor for programmatic daemons ({@code ProcessService.start}). */
    public DaemonSupervisor(Engine engine) {
        this(engine, "ProcessService.start");
    }

    /** @param owner who owns the daemons, for messages (a bundle, a configuration) */
    public DaemonSupervisor(Engine engine, String owner) {
        this(engine, owner, NanoClock.SYSTEM, CgroupAccess.system());
    }

    /** For tests: with a clock and cgroup access of one's own. */
    public DaemonSupervisor(Engine engine, String owner, NanoClock clock, CgroupAccess cgroups) {
        this.engine = engine;
        this.owner = owner;
        this.registry = DaemonRegistry.of(engine);
        this.clock = clock;
        this.cgroups = cgroups;
    }

    /** Listeners added to every daemon created from now on (events, service properties). */
    public void addListener(DaemonListener l) {
        listeners.add(l);
    }

    /** The registry of every daemon on this engine. */
    public DaemonRegistry registry() {
        return registry;
    }

    /**
     * Validates, creates and starts a daemon; dependencies ({@code depends.on}) are looked up among the
     * daemons of this engine.
     *
     * @throws ProgramNotFoundException the program does not exist or is not executable
     * @throws InvalidCommandException the spec is refused, or the name is taken
     */
    public Daemon start(DaemonSpec spec) {
        SupervisedDaemon d = create(spec, owner, registry);
        d.start();
        return d;
    }

    /**
     * Validates and creates a daemon (STOPPED: call {@link SupervisedDaemon#start()}).
     *
     * @param ownerDescription names the owner in a duplicate-name error
     * @param gate where its dependencies' readiness is looked up
     */
    public SupervisedDaemon create(DaemonSpec spec, String ownerDescription, DependencyGate gate) {
        checkOpen();
        checkOutput(spec, registry.memory().budget());
        engine.validate(spec.command());
        validateHook(engine, spec);
        validateNotify(engine, spec);
        return register(spec, ownerDescription, gate);
    }

    /**
     * Creates a daemon taken over from the previous supervisor version ({@link SupervisedDaemon#adopt}):
     * validated and named like {@link #create}, except that a program file gone meanwhile does not refuse a
     * daemon whose program still runs (its next start reports it).
     */
    public SupervisedDaemon adopt(DaemonSpec spec, String ownerDescription, DependencyGate gate, DaemonHandOver h) {
        checkOpen();
        checkOutput(spec, registry.memory().budget());
        try {
            engine.validate(spec.command());
        } catch (ProgramNotFoundException e) {
            if (h.program() == null) {
                throw e;
            }
        }
        validateHook(engine, spec);
        return register(spec, ownerDescription, gate);
    }

    /**
     * Checks the program of {@code spec}'s pre-start hook (a command) against the system, as the daemon's own.
     *
     * @throws PreStartNotFoundException it does not exist or is not executable
     */
    public static void validateHook(Engine engine, DaemonSpec spec) {
        Optional<CommandSpec> hook = spec.beforeStart().flatMap(PreStart::command);
        if (hook.isPresent()) {
            try {
                engine.validate(hook.get());
            } catch (ProgramNotFoundException e) {
                throw new PreStartNotFoundException(e);
            }
        }
    }

    /**
     * Refuses a daemon with {@code ready.notify} or a watchdog on an engine without notify sockets (the Java
     * fallback).
     *
     * @throws InvalidCommandException naming the keys and why
     */
    public static void validateNotify(Engine engine, DaemonSpec spec) {
        if (spec.usesNotify() && !engine.supportsNotify()) {
            throw new InvalidCommandException(engine.noNotify());
        }
    }

    /** The program of a daemon's pre-start hook does not exist or is not executable. */
    public static final class PreStartNotFoundException extends ProgramNotFoundException {
        private static final long serialVersionUID = 1L;

        public PreStartNotFoundException(ProgramNotFoundException e) {
            super(e.program(), "pre-start hook: " + e.getMessage());
        }
    }

    /**
     * What the {@code .cfg} parser checks for a configured daemon, for a {@link DaemonSpec} from Java: the line
     * length and the number of recent lines against the output budget, and a readiness pattern the
     * linear-time matcher can match.
     *
     * @throws InvalidCommandException naming every problem
     */
    static void checkOutput(DaemonSpec spec, OutputBudget budget) {
        List<String> problems = new ArrayList<>();
        String m = budget.maxLineProblem(spec.maxLineLength());
        if (m != null) {
            problems.add("max line length " + spec.maxLineLength() + " bytes: " + m);
        }
        String l = budget.linesProblem(spec.recentLines());
        if (l != null) {
            problems.add("recent lines " + spec.recentLines() + ": " + l);
        }
        Optional<java.util.regex.Pattern> p = spec.readiness().pattern();
        String r = p.isEmpty() ? null : LinePattern.problem(p.get().pattern());
        if (r != null) {
            problems.add("readiness log pattern '" + p.get().pattern() + "': " + r);
        }
        if (!problems.isEmpty()) {
            throw new InvalidCommandException("daemon '" + spec.name() + "': " + String.join("; ", problems));
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this daemon supervisor (" + owner + ") is closed");
        }
    }

    /** Claims the name and creates the daemon with its listeners and MBean. */
    private SupervisedDaemon register(DaemonSpec spec, String ownerDescription, DependencyGate gate) {
        registry.claim(spec.name(), ownerDescription);
        SupervisedDaemon d;
        try {
            d = new SupervisedDaemon(spec, engine, clock, gate, cgroups, registry);
        } catch (RuntimeException e) {
            registry.release(spec.name(), null);
            throw e;
        }
        listeners.forEach(d::addListener);
        owned.put(d, DaemonMBeans.register(d));
        return d;
    }

    /**
     * Hands {@code d} over to the next supervisor version ({@link SupervisedDaemon#handOver}) and forgets it
     * here (and its MBean) without stopping its program.
     */
    public CompletableFuture<DaemonHandOver> handOver(SupervisedDaemon d, Duration lease) {
        Optional<ObjectName> on = owned.remove(d);
        if (on != null) {
            on.ifPresent(DaemonMBeans::unregister);
        }
        return d.handOver(lease);
    }

    /** Stops and forgets {@code d} (and its MBean). Returns when its program and descendants are gone. */
    public void remove(SupervisedDaemon d) {
        try {
            d.close();
        } finally {
            Optional<ObjectName> on = owned.remove(d);
            if (on != null) {
                on.ifPresent(DaemonMBeans::unregister);
            }
        }
    }

    /**
     * Starts stopping {@code d} and forgets it at once; the future completes when its program and descendants
     * are gone. The engine's close waits for every program, so a framework shutdown stops all daemons in
     * parallel rather than one grace after the other.
     */
    public CompletableFuture<Void> removeAsync(SupervisedDaemon d) {
        Optional<ObjectName> on = owned.remove(d);
        if (on != null) {
            on.ifPresent(DaemonMBeans::unregister);
        }
        return d.closeAsync();
    }

    /** The daemons this supervisor owns. */
    public List<SupervisedDaemon> daemons() {
        return new ArrayList<>(owned.keySet());
    }

    /** Stops every daemon it owns (all at once, then waits for each). Idempotent. */
    @Override
    public void close() {
        closed = true;
        // every stop starts now and one deadline bounds them all; remove() then releases each
        List<SupervisedDaemon> all = daemons();
        List<SupervisedDaemon> left = StopAll.stopAndAwait(all, SupervisedDaemon::stopAsync,
                d -> d.spec().command().grace(), STOP_MARGIN);
        for (SupervisedDaemon d : all) {
            if (left.contains(d)) {
                LOG.error("daemon '{}' did not stop within its grace plus {} s; it is forgotten here while its stop goes on",
                        d.name(), STOP_MARGIN.toSeconds());
                removeAsync(d);
                continue;
            }
            try {
                remove(d);
            } catch (RuntimeException e) {
                LOG.error("daemon '{}' did not stop cleanly: {}", d.name(), e.getMessage());
            }
        }
    }
}
