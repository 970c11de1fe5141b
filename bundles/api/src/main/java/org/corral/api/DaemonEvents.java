package org.corral.api;

/**
 * OSGi Event Admin topics and property keys of daemon state changes (posted when Event Admin is
 * present). Subscribe to {@code org/corral/daemon/*}.
 */
public final class DaemonEvents {

    public static final String TOPIC_PREFIX = "org/corral/daemon/";
    public static final String STARTED = TOPIC_PREFIX + "STARTED";
    public static final String READY = TOPIC_PREFIX + "READY";
    public static final String EXITED = TOPIC_PREFIX + "EXITED";
    public static final String RESTARTING = TOPIC_PREFIX + "RESTARTING";
    public static final String FAILED = TOPIC_PREFIX + "FAILED";
    public static final String OOM = TOPIC_PREFIX + "OOM";
    public static final String STOPPED = TOPIC_PREFIX + "STOPPED";
    /**
     * A daemon configuration was refused, or a daemon became {@link DaemonState#INVALID} ({@link #PROBLEMS} says
     * why; {@link #CONFIGURATION} and {@link #FILE} name the configuration, when it is one). Also posted when an
     * edit of a running daemon's configuration is refused (the daemon keeps running with the previous one).
     *
     * @since 1.2
     */
    public static final String INVALID = TOPIC_PREFIX + "INVALID";
    /**
     * A signal was sent to the program on request ({@link Daemon#signal}, {@code corral:signal}, JMX): properties
     * {@link #SIGNAL_SENT}, {@link #TARGET}, {@link #REQUESTED_BY}.
     *
     * @since 1.2
     */
    public static final String SIGNALED = TOPIC_PREFIX + "SIGNALED";
    /**
     * The program was asked to reload ({@link Daemon#reload}, {@code corral:reload}, JMX): properties
     * {@link #SIGNAL_SENT}, {@link #REQUESTED_BY}.
     *
     * @since 1.2
     */
    public static final String RELOADED = TOPIC_PREFIX + "RELOADED";

    /** Event property: daemon name (String). */
    public static final String NAME = "daemon.name";
    /** Event property: program pid (Long). */
    public static final String PID = "daemon.pid";
    /** Event property: helper pid (Long). */
    public static final String HELPER_PID = "daemon.helper.pid";
    /** Event property: exit code (Integer), on EXITED. */
    public static final String EXIT_CODE = "exit.code";
    /** Event property: terminating signal name (String), on EXITED. */
    public static final String SIGNAL = "exit.signal";
    /**
     * Event property: why the program ended (String, a {@link DaemonExit.Reason} name), on EXITED.
     *
     * @since 1.1
     */
    public static final String EXIT_REASON = "exit.reason";
    /**
     * Event property: whether the program ended cleanly (Boolean, on EXITED): stopped on request, or exit code 0,
     * or a status of {@link DaemonSpec#successExitStatus()}.
     *
     * @since 1.2
     */
    public static final String EXIT_CLEAN = "exit.clean";
    /** Event property: restart count (Integer). */
    public static final String RESTARTS = "daemon.restarts";
    /** Event property: a human-readable reason (String), on FAILED. */
    public static final String REASON = "reason";
    /** Event property: the signal sent (String, e.g. {@code HUP}), on SIGNALED and RELOADED. @since 1.2 */
    public static final String SIGNAL_SENT = "signal";
    /** Event property: who got it (String: {@code program} or {@code group}), on SIGNALED. @since 1.2 */
    public static final String TARGET = "signal.target";
    /**
     * Event property: the user who asked (String), on SIGNALED and RELOADED, when the request came with a JAAS
     * Subject (the Karaf console, JMX in Karaf).
     *
     * @since 1.2
     */
    public static final String REQUESTED_BY = "requested.by";
    /** Event property: what is wrong (String[], one problem each), on INVALID. @since 1.2 */
    public static final String PROBLEMS = "problems";
    /** Event property: the PID of the daemon's configuration (String), when it has one. @since 1.2 */
    public static final String CONFIGURATION = "daemon.configuration";
    /** Event property: the file of the daemon's configuration (String), when it came from one. @since 1.2 */
    public static final String FILE = "daemon.configuration.file";

    private DaemonEvents() {
    }
}
