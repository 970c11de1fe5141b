package org.corral.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A supervised daemon. Registered as an OSGi service (with {@link #PROP_NAME}, {@link #PROP_STATE} and
 * {@link #PROP_PID} kept current) for daemons made from configurations; returned by
 * {@link ProcessService#start} for programmatic ones.
 */
@ProviderType
public interface Daemon {

    /** Service property: the daemon's name. */
    String PROP_NAME = "daemon.name";
    /** Service property: the daemon's {@link DaemonState} name. */
    String PROP_STATE = "daemon.state";
    /** Service property: the program's pid (absent when not running). */
    String PROP_PID = "daemon.pid";

    String name();

    DaemonSpec spec();

    DaemonState state();

    /** The helper's pid while the program runs. */
    OptionalLong helperPid();

    /** The program's pid while it runs. */
    OptionalLong pid();

    /** When the current program was started. */
    Optional<Instant> startedAt();

    /** Restarts since the daemon was started (by hand or by configuration). */
    int restarts();

    Optional<DaemonExit> lastExit();

    /** Output bytes received since the daemon was started. */
    long stdoutBytes();

    long stderrBytes();

    /** The program's cgroup (relative to the cgroup2 mount), when it runs in one. */
    Optional<String> cgroupPath();

    /** Current cgroup statistics, when it runs in a cgroup. */
    Optional<CgroupStats> stats();

    /** The cgroup limits in force (as configured). */
    Optional<CgroupLimits> limits();

    /** Reads an interface file of the daemon's cgroup. */
    String cgget(String file);

    /** Writes an interface file of the daemon's cgroup (not persisted in its configuration). */
    void cgset(String file, String value);

    /** The last {@code n} output lines (stdout and stderr, oldest first). */
    List<String> recentLines(int n);

    /** Sends a signal to the program (SIGHUP to reload is common). */
    void signal(Signal signal);

    /** Starts a STOPPED or FAILED daemon again (resets the intensity count). */
    void start();

    /** Stops the program gracefully (kill signal, grace, SIGKILL) and restarts it at once. */
    void restart();

    /** Stops the program and every descendant gracefully; the daemon stays STOPPED. Returns when all are gone. */
    void stop();

    /** Waits until the daemon is in one of {@code states}. Returns the state reached. */
    DaemonState await(Set<DaemonState> states, Duration timeout) throws InterruptedException, TimeoutException;
}
