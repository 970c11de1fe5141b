package org.corral.supervisor.internal.config;

import java.util.Map;

/**
 * Where daemon events go: an internal service, registered by {@link EventAdminBridge} while an OSGi Event
 * Admin is present. It keeps Event Admin types out of the daemon component, so that the supervisor works
 * (without events) in a framework that has no Event Admin and whose {@code org.osgi.service.event} import
 * stayed unwired.
 */
public interface DaemonEventSink {

    /** Posts (asynchronously) an event on {@code topic}. */
    void post(String topic, Map<String, Object> properties);
}
