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

    long getStdoutBytes();

    long getStderrBytes();

    String[] getCommand();

    String[] getRecentLines();

    /** Starts a STOPPED or FAILED daemon. */
    void start();

    /** Stops the program gracefully; returns when it and its descendants are gone. */
    void stop();

    /** Stops the program gracefully and starts it again. */
    void restart();
}
