package org.corral.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

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
    /**
     * Service property: the PID of the configuration the daemon comes from ({@code org.corral.daemon~mqtt}); absent
     * for a daemon started through {@link ProcessService#start}. Two configurations may claim one daemon name: the
     * second one's service is {@link DaemonState#INVALID}, and this property tells them apart.
     *
     * @since 1.2
     */
    String PROP_CONFIGURATION = "daemon.configuration";

    String name();

    /**
     * What it runs. For an {@link DaemonState#INVALID} daemon made from a configuration that could not be read, what
     * could be read of it: the keys that are right, defaults for the others, and the command as written (nothing
     * runs from it).
     */
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

    /**
     * What is wrong with its configuration: why it is {@link DaemonState#INVALID}, or, in another state, why the
     * last edit of its configuration was refused (it keeps running with the previous one). Each problem names
     * its key, as the log's ERROR line does; never the value of an {@code env.<NAME>} key. Empty when nothing is.
     *
     * @since 1.2
     */
    default List<DaemonConfigValidator.Problem> problems() {
        return List.of();
    }

    /**
     * While it is {@link DaemonState#STARTING}: the daemons of its {@code depends.on} that are not READY yet (it
     * waits for them). Empty otherwise.
     *
     * @since 1.2
     */
    default List<String> waitingFor() {
        return List.of();
    }

    /**
     * The last {@code STATUS=} text the program sent over sd_notify ({@link Readiness#notifySocket()},
     * {@link DaemonSpec#watchdog()}), with control characters made visible ({@link org.corral.api.values.Printable});
     * kept until the next program run starts. Empty when it sent none.
     *
     * @since 1.2
     */
    default Optional<String> statusText() {
        return Optional.empty();
    }

    /** Output bytes received since the daemon was started. */
    long stdoutBytes();

    long stderrBytes();

    /**
     * The daemon's cgroup (relative to the cgroup2 mount) while its program runs in one: the cgroup that holds
     * its limits, which {@link #stats()}, {@link #cgget} and {@link #cgset} use. When Corral created it under a
     * base, the program's processes sit in its leaf {@code program}; {@code cgget("cgroup.procs")} lists them.
     */
    Optional<String> cgroupPath();

    /** Current cgroup statistics, when it runs in a cgroup. */
    Optional<CgroupStats> stats();

    /** The cgroup limits in force (as configured). */
    Optional<CgroupLimits> limits();

    /** Reads an interface file of the daemon's cgroup ({@code cgroup.procs}/{@code cgroup.threads}: of its program's leaf). */
    String cgget(String file);

    /** Writes an interface file of the daemon's cgroup (not persisted in its configuration). */
    void cgset(String file, String value);

    /** The last {@code n} output lines (stdout and stderr, oldest first). */
    List<String> recentLines(int n);

    /**
     * Follows the output: {@code listener} first receives the last {@code backlog} lines (as
     * {@link #recentLines} would return them), then every new line as it arrives, in order and without gap
     * or repetition, until the returned subscription is closed. The listener runs on a Corral thread: it must
     * return quickly and never block (hand the line over to a queue). This is what the console's
     * {@code corral:logs -f} waits on.
     *
     * @throws UnsupportedOperationException when this implementation cannot follow its output
     */
    default Subscription followLines(int backlog, Consumer<String> listener) {
        throw new UnsupportedOperationException("daemon '" + name() + "': following output is not supported by "
                + getClass().getName());
    }

    /** Ends a {@link #followLines} subscription; closing twice is harmless. */
    @FunctionalInterface
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Sends a signal to the program (its main process) while it runs (RUNNING or READY); posts
     * {@link DaemonEvents#SIGNALED}.
     *
     * @throws IllegalStateException when no program runs
     */
    void signal(Signal signal);

    /**
     * Sends a signal to the program's whole process group (the program and the children it did not move out of
     * its group), like {@code kill -SIG -<pgid>}; posts {@link DaemonEvents#SIGNALED}.
     *
     * @throws IllegalStateException when no program runs
     * @throws UnsupportedOperationException when this implementation cannot
     * @since 1.2
     */
    default void signalGroup(Signal signal) {
        throw new UnsupportedOperationException("daemon '" + name() + "': signalling the process group is not"
                + " supported by " + getClass().getName());
    }

    /**
     * Asks the program to reload its configuration: sends {@link DaemonSpec#reloadSignal()} (SIGHUP by default) to
     * it, and posts {@link DaemonEvents#RELOADED}.
     *
     * @throws IllegalStateException when no program runs
     * @since 1.2
     */
    default void reload() {
        signal(spec().reloadSignal());
    }

    /** Starts a STOPPED or FAILED daemon again (resets the intensity count). */
    void start();

    /** Stops the program gracefully (kill signal, grace, SIGKILL) and restarts it at once. */
    void restart();

    /** Stops the program and every descendant gracefully; the daemon stays STOPPED. Returns when all are gone. */
    void stop();

    /** Waits until the daemon is in one of {@code states}. Returns the state reached. */
    DaemonState await(Set<DaemonState> states, Duration timeout) throws InterruptedException, TimeoutException;
}
