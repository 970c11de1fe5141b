package org.corral.supervisor.internal.config;

import java.util.Map;

import org.corral.supervisor.internal.Core;
import org.corral.supervisor.internal.daemon.DaemonListener;
import org.corral.supervisor.internal.daemon.DaemonRegistry;
import org.corral.supervisor.internal.daemon.SupervisedDaemon;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * Posts the state changes of every daemon of the engine (from configurations and from
 * {@code ProcessService.start}) to OSGi Event Admin, topics of {@link org.corral.api.DaemonEvents}. Active
 * only while an Event Admin service exists; the supervisor's import of {@code org.osgi.service.event} is
 * optional, so without Event Admin this class is never loaded and daemons simply post nothing.
 */
@Component(service = {})
public final class EventAdminBridge implements DaemonListener {

    @Reference
    private Core core;

    @Reference
    private EventAdmin eventAdmin;

    private DaemonRegistry registry;

    @Activate
    void activate() {
        registry = DaemonRegistry.of(core.engine());
        registry.addListener(this);
    }

    @Deactivate
    void deactivate() {
        registry.removeListener(this);
    }

    @Override
    public void event(SupervisedDaemon daemon, String topic, Map<String, Object> properties) {
        eventAdmin.postEvent(new Event(topic, properties));
    }
}
