package org.corral.api;

import java.util.Optional;

/**
 * The helper that supervised a program ended without reporting the program's exit (killed by the OOM
 * killer or by {@code kill -9}, crashed, or stopped answering). Corral killed the program's whole tree
 * before this was reported: with a cgroup by {@code cgroup.kill}, without one as far as the kernel allows
 * (see the README). The message names the helper's pid and how it ended, e.g.
 * {@code "helper pid 4242 died: SIGKILL"}.
 *
 * @since 1.1
 */
public class HelperLostException extends ProcessException {
    private static final long serialVersionUID = 1L;

    private final long helperPid;
    private final long pid;
    private final transient CgroupStats cgroupStats;

    /**
     * @param message names the helper, how it ended and the program
     * @param helperPid the helper's pid, or -1 when unknown
     * @param pid the program's pid, or -1 when it never started
     * @param cgroupStats the program's final cgroup statistics, when it ran in a cgroup and they were readable
     */
    public HelperLostException(String message, long helperPid, long pid, CgroupStats cgroupStats) {
        super(message);
        this.helperPid = helperPid;
        this.pid = pid;
        this.cgroupStats = cgroupStats;
    }

    /** The helper's pid, or -1 when unknown. */
    public long helperPid() {
        return helperPid;
    }

    /** The program's pid, or -1 when it never started. */
    public long pid() {
        return pid;
    }

    /** The program's final cgroup statistics, when it ran in a cgroup and they were readable. */
    public Optional<CgroupStats> cgroupStats() {
        return Optional.ofNullable(cgroupStats);
    }
}
