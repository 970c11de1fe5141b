package org.corral.supervisor.internal.daemon;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.corral.api.DaemonState;
import org.corral.api.InvalidCommandException;
import org.corral.supervisor.internal.engine.Engine;

/**
 * The daemons of one engine, by name: daemon names are unique per engine (they name the logger, the JMX
 * MBean and the {@code daemon.name} service property), whether the daemon came from a configuration or
 * from {@code ProcessService.start}. Also the {@link DependencyGate} of programmatic daemons.
 */
public final class DaemonRegistry implements DependencyGate {

    private static final Map<Engine, DaemonRegistry> REGISTRIES = new WeakHashMap<>();

    private final Map<String, Entry> byName = new LinkedHashMap<>();
    private final List<Runnable> watchers = new CopyOnWriteArrayList<>();
    private final List<DaemonListener> listeners = new CopyOnWriteArrayList<>();
    /** The daemons' output memory: budgets from the system properties until {@link OutputMemory#budget} sets others. */
    private final OutputMemory memory = new OutputMemory(OutputBudget.fromProperties(System::getProperty,
            (property, problem) -> org.slf4j.LoggerFactory.getLogger(DaemonRegistry.class)
                    .error("corral: {}: {}", property, problem)));

    private record Entry(String owner, SupervisedDaemon daemon) {
    }

    /** The registry shared by every supervisor of {@code engine}. */
    public static DaemonRegistry of(Engine engine) {
        synchronized (REGISTRIES) {
            return REGISTRIES.computeIfAbsent(engine, e -> new DaemonRegistry());
        }
    }

    /** The output memory of this engine's daemons: their budgets and what they hold together. */
    public OutputMemory memory() {
        return memory;
    }

    /**
     * Reserves {@code name} for {@code owner} (a description such as the configuration file or the bundle).
     *
     * @throws InvalidCommandException when the name is taken, naming both owners
     */
    public synchronized void claim(String name, String owner) {
        Entry e = byName.get(name);
        if (e != null) {
            throw new InvalidCommandException("daemon name '" + name + "' of " + owner + " is already used by "
                    + e.owner() + ": daemon names must be unique");
        }
        byName.put(name, new Entry(owner, null));
    }

    /** Attaches the daemon to its claimed name. */
    synchronized void attach(String name, SupervisedDaemon daemon) {
        Entry e = byName.get(name);
        if (e != null) {
            byName.put(name, new Entry(e.owner(), daemon));
        }
    }

    /** Frees {@code name} (only when {@code daemon} holds it, or nobody attached yet). */
    public void release(String name, SupervisedDaemon daemon) {
        synchronized (this) {
            Entry e = byName.get(name);
            if (e == null || (e.daemon() != null && e.daemon() != daemon)) {
                return;
            }
            byName.remove(name);
        }
        changed();
    }

    /** The daemon named {@code name}, if one runs on this engine. */
    public synchronized Optional<SupervisedDaemon> get(String name) {
        Entry e = byName.get(name);
        return Optional.ofNullable(e == null ? null : e.daemon());
    }

    /** Every daemon, in the order they were created. */
    public synchronized List<SupervisedDaemon> all() {
        List<SupervisedDaemon> out = new ArrayList<>();
        for (Entry e : byName.values()) {
            if (e.daemon() != null) {
                out.add(e.daemon());
            }
        }
        return out;
    }

    /** Who holds {@code name}. */
    public synchronized Optional<String> owner(String name) {
        Entry e = byName.get(name);
        return Optional.ofNullable(e == null ? null : e.owner());
    }

    /** Whether a daemon of this engine has the name (claimed, whether or not it runs). */
    public synchronized boolean known(String name) {
        return byName.containsKey(name);
    }

    /**
     * The shortest {@code depends.on} cycle through {@code name} among the daemons of this engine, written as the
     * path {@code [name, b, ..., name]}; empty when there is none. {@code dependsOn} is {@code name}'s own list (its
     * newest); the others' come from their specs. Takes no daemon's lock.
     */
    public List<String> cycleThrough(String name, List<String> dependsOn) {
        Map<String, List<String>> graph = new java.util.HashMap<>();
        synchronized (this) {
            for (Map.Entry<String, Entry> e : byName.entrySet()) {
                if (e.getValue().daemon() != null) {
                    graph.put(e.getKey(), e.getValue().daemon().spec().dependsOn());
                }
            }
        }
        graph.put(name, dependsOn);
        // breadth first from name's dependencies: the first way back to name is a shortest cycle
        Map<String, String> cameFrom = new java.util.HashMap<>();
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>();
        for (String d : dependsOn) {
            if (!cameFrom.containsKey(d)) {
                cameFrom.put(d, name);
                todo.add(d);
            }
        }
        while (!todo.isEmpty()) {
            String at = todo.poll();
            if (at.equals(name)) {
                List<String> path = new ArrayList<>();
                String n = name;
                do {
                    path.add(0, n);
                    n = cameFrom.get(n);
                } while (!n.equals(name));
                path.add(0, name);
                return path;
            }
            for (String next : graph.getOrDefault(at, List.of())) {
                if (!cameFrom.containsKey(next)) {
                    cameFrom.put(next, at);
                    todo.add(next);
                }
            }
        }
        return List.of();
    }

    @Override
    public List<String> missing(List<String> names) {
        return DependencyGate.notReady(names, n -> get(n).map(d -> d.state() == DaemonState.READY).orElse(false));
    }

    @Override
    public AutoCloseable watch(Runnable changed) {
        watchers.add(changed);
        return () -> watchers.remove(changed);
    }

    /**
     * Receives the events of every daemon of this engine, programmatic or configured (the Event Admin
     * bridge). Only {@link DaemonListener#event} is called.
     */
    public void addListener(DaemonListener l) {
        listeners.add(l);
    }

    public void removeListener(DaemonListener l) {
        listeners.remove(l);
    }

    /** A daemon's event (its delivery lane; different daemons' at the same time). */
    void event(SupervisedDaemon d, String topic, java.util.Map<String, Object> props) {
        for (DaemonListener l : listeners) {
            try {
                l.event(d, topic, props);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(DaemonRegistry.class).warn("daemon event listener {} failed on {}",
                        l, topic, e);
            }
        }
    }

    /**
     * An event that concerns no supervised daemon (a configuration refused: {@code DaemonEvents.INVALID}), for the
     * same listeners; {@link DaemonListener#event} gets a null daemon.
     */
    public void post(String topic, java.util.Map<String, Object> props) {
        Map<String, Object> frozen = Map.copyOf(props);
        for (DaemonListener l : listeners) {
            try {
                l.event(null, topic, frozen);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(DaemonRegistry.class).warn("daemon event listener {} failed on {}",
                        l, topic, e);
            }
        }
    }

    /** Some daemon's state changed. */
    void changed() {
        for (Runnable r : watchers) {
            r.run();
        }
    }
}
