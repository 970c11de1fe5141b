package org.corral.supervisor.internal;

import org.corral.supervisor.internal.daemon.HandOverStore;

import org.corral.supervisor.internal.engine.Engine;

/**
 * The supervisor's core, registered (in OSGi) as a singleton service of this internal type by the
 * supervisor's own DS component, so that the bundle's other DS components (daemons) share one engine.
 * Not exported: only components of this bundle see it.
 */
public interface Core {

    /** The engine every program of this bundle runs on. Never null while the service is registered. */
    Engine engine();

    /** Daemons handed over from the previous version of this bundle, and to the next one. */
    HandOverStore handOver();

    /** The one-shot runs of every ProcessService of this bundle, by result. */
    RunCounts runs();
}
