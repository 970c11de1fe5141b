package org.corral.supervisor.internal.config;

import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/** Posts daemon events to OSGi Event Admin; active only while an Event Admin service exists. */
@Component(service = DaemonEventSink.class)
public final class EventAdminBridge implements DaemonEventSink {

    @Reference
    private EventAdmin eventAdmin;

    @Override
    public void post(String topic, Map<String, Object> properties) {
        eventAdmin.postEvent(new Event(topic, properties));
    }
}
