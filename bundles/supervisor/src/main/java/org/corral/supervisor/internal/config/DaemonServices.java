package org.corral.supervisor.internal.config;

import java.util.Dictionary;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.corral.api.Daemon;
import org.corral.supervisor.internal.Core;
import org.corral.supervisor.internal.daemon.DaemonRegistry;
import org.corral.supervisor.internal.daemon.SupervisedDaemon;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the daemons started through {@code ProcessService.start} (by any bundle) as {@link Daemon}
 * services too, with the same live properties as configured daemons, so that the console lists them and
 * configured daemons can depend on them. They disappear when their owner stops them or goes away.
 * (Configured daemons are registered by their {@link DaemonComponent}.)
 */
@Component(service = {})
public final class DaemonServices {

    private static final Logger LOG = LoggerFactory.getLogger(DaemonServices.class);

    @Reference
    private Core core;

    private BundleContext context;
    private DaemonRegistry registry;
    private AutoCloseable watch;
    private final Map<SupervisedDaemon, ServiceRegistration<Daemon>> registered = new HashMap<>();
    private final Map<SupervisedDaemon, Dictionary<String, Object>> published = new HashMap<>();
    private boolean active;

    @Activate
    void activate(BundleContext ctx) {
        context = ctx;
        registry = DaemonRegistry.of(core.engine());
        synchronized (this) {
            active = true;
        }
        watch = registry.watch(this::sync);
        sync();
    }

    @Deactivate
    void deactivate() {
        try {
            watch.close();
        } catch (Exception e) {
            LOG.debug("closing the registry watch", e);
        }
        synchronized (this) {
            active = false;
            for (ServiceRegistration<Daemon> r : registered.values()) {
                unregister(r);
            }
            registered.clear();
            published.clear();
        }
    }

    /** Brings the registrations in line with the registry (any thread; cheap when nothing changed). */
    private synchronized void sync() {
        if (!active) {
            return;
        }
        Set<SupervisedDaemon> now = new HashSet<>();
        for (SupervisedDaemon d : registry.all()) {
            if (!d.isPublishedByOwner() && !d.isClosed()) {
                now.add(d);
            }
        }
        for (SupervisedDaemon d : new HashSet<>(registered.keySet())) {
            if (!now.contains(d)) {
                unregister(registered.remove(d));
                published.remove(d);
            }
        }
        for (SupervisedDaemon d : now) {
            Dictionary<String, Object> props = DaemonComponent.properties(d);
            ServiceRegistration<Daemon> r = registered.get(d);
            if (r == null) {
                registered.put(d, context.registerService(Daemon.class, d, props));
                published.put(d, props);
            } else if (!props.equals(published.get(d))) {
                try {
                    r.setProperties(props);
                    published.put(d, props);
                } catch (IllegalStateException e) {
                    // unregistered meanwhile
                }
            }
        }
    }

    private static void unregister(ServiceRegistration<Daemon> r) {
        try {
            r.unregister();
        } catch (IllegalStateException e) {
            // already gone
        }
    }
}
