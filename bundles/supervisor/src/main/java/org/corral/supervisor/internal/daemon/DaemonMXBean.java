package org.corral.supervisor.internal.daemon;

/**
 * JMX view of one daemon: {@code org.corral:type=Daemon,name=<name>} on the platform MBean server.
 * Numbers are -1 when unknown (no program running, no cgroup).
 */
public interface DaemonMXBean {

    String getName();

    /** The {@link org.corral.api.DaemonState} name. */
    String getState();

    long getPid();

    long getHelperPid();

    int getRestarts();

    /** {@code memory.current} of its cgroup in bytes, -1 without a cgroup. */
    long getMemoryCurrent();

    String getCgroupPath();

    String getStartedAt();

    String getLastExit();

    /** The last sd_notify {@code STATUS=} text of its program ("" when none). */
    String getStatusText();

    long getStdoutBytes();

    long getStderrBytes();

    String[] getCommand();

    String[] getRecentLines();

    /** What is wrong with its configuration: why it is INVALID, or why its last edit was refused. */
    String[] getProblems();

    /** While STARTING: the daemons of depends.on it waits for. */
    String[] getWaitingFor();

    /** The PID of the configuration it comes from, "" for a daemon started through ProcessService.start. */
    String getConfiguration();

    /** The file of that configuration, or "". */
    String getConfigurationFile();

    /** The configuration's keys as "key = value", sorted; env.NAME values (and unknown keys' values) are ****. */
    String[] getConfigurationKeys();

    /** Starts a STOPPED or FAILED daemon. */
    void start();

    /** Stops the program gracefully; returns when it and its descendants are gone. */
    void stop();

    /** Stops the program gracefully and starts it again. */
    void restart();

    /** Sends a signal (a name such as HUP or SIGUSR1, or a number) to the program while it runs. */
    void signal(String signal);

    /** Sends the daemon's reload signal (reload.signal, default SIGHUP) to the program while it runs. */
    void reload();
}
