package org.corral.supervisor.internal.config;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.corral.api.Daemon;
import org.corral.api.DaemonState;
import org.corral.supervisor.internal.daemon.DependencyGate;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

/**
 * {@code depends.on} through the service registry: tracks the {@link Daemon} services whose
 * {@code daemon.state} is {@code READY} (a service whose state changes away from READY stops matching and
 * leaves the tracker). Only their names are kept; no service object is taken.
 */
final class ServiceDependencyGate implements DependencyGate, AutoCloseable {

    static final String READY_FILTER = "(&(objectClass=" + Daemon.class.getName() + ")(" + Daemon.PROP_STATE + "="
            + DaemonState.READY.name() + "))";

    private final BundleContext context;
    private ServiceTracker<Daemon, String> tracker;
    private boolean closed;
    private final List<Runnable> watchers = new CopyOnWriteArrayList<>();
    private final Map<ServiceReference<Daemon>, String> ready = new ConcurrentHashMap<>();

    ServiceDependencyGate(BundleContext context) {
        this.context = context;
    }

    /** Opens the tracker on first use: daemons without dependencies never cost a service listener. */
    private synchronized void open() {
        if (tracker != null || closed) {
            return;
        }
        Filter filter;
        try {
            filter = context.createFilter(READY_FILTER);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        tracker = new ServiceTracker<>(context, filter, new ServiceTrackerCustomizer<Daemon, String>() {
            @Override
            public String addingService(ServiceReference<Daemon> ref) {
                Object name = ref.getProperty(Daemon.PROP_NAME);
                String n = name == null ? "" : name.toString();
                ready.put(ref, n);
                fire();
                return n;
            }

            @Override
            public void modifiedService(ServiceReference<Daemon> ref, String name) {
                fire();
            }

            @Override
            public void removedService(ServiceReference<Daemon> ref, String name) {
                ready.remove(ref);
                fire();
            }
        });
        tracker.open();
    }

    private void fire() {
        for (Runnable r : watchers) {
            r.run();
        }
    }

    @Override
    public List<String> missing(List<String> names) {
        if (names.isEmpty()) {
            return List.of();
        }
        open();
        return DependencyGate.notReady(names, new HashSet<>(ready.values())::contains);
    }

    @Override
    public AutoCloseable watch(Runnable changed) {
        watchers.add(changed);
        return () -> watchers.remove(changed);
    }

    @Override
    public void close() {
        ServiceTracker<Daemon, String> t;
        synchronized (this) {
            closed = true;
            t = tracker;
            tracker = null;
        }
        if (t != null) {
            t.close();
        }
    }
}
