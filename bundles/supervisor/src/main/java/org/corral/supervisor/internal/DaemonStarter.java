package org.corral.supervisor.internal;

import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;

/**
 * SEAM for daemon supervision (to be wired by the lead to
 * {@code org.corral.supervisor.internal.daemon.DaemonSupervisor}): starts a supervised daemon for an owner.
 * The owner calls {@link Daemon#stop()} on each daemon it started when it goes away.
 */
@FunctionalInterface
public interface DaemonStarter {

    /** Starts {@code spec}; validation errors are thrown before anything runs. */
    Daemon start(DaemonSpec spec);

    /** Not wired yet. */
    DaemonStarter NOT_WIRED = spec -> {
        throw new UnsupportedOperationException("daemons: not wired");
    };
}
