package org.corral.supervisor.internal.daemon;

import java.util.Map;

import org.corral.api.DaemonState;

/**
 * Observes a {@link SupervisedDaemon}. Calls are made on the daemon's lane of the engine's delivery threads,
 * one at a time and in the order the changes happened (calls for different daemons may run at the same time); they must return quickly and must not wait for the daemon (no
 * {@code stop()}, no {@code await()}).
 */
public interface DaemonListener {

    /** The daemon entered {@code state} (service properties, JMX). */
    default void stateChanged(SupervisedDaemon daemon, DaemonState state) {
    }

    /**
     * Something worth an Event Admin event happened.
     *
     * @param topic one of the topics of {@link org.corral.api.DaemonEvents}
     * @param properties the event's properties (keys of {@link org.corral.api.DaemonEvents})
     */
    default void event(SupervisedDaemon daemon, String topic, Map<String, Object> properties) {
    }
}
