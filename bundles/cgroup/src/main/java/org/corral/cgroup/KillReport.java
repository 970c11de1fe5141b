package org.corral.cgroup;

import java.util.List;

/**
 * What {@link CgroupManager#kill} did.
 *
 * @param signalled the pids that were sent the polite signal (SIGTERM)
 * @param forced whether processes were still there after the grace and had to be killed
 * @param method how they were killed: {@code none} (all left within the grace), {@code cgroup.kill},
 *        or {@code freeze+SIGKILL} (kernels before 5.14)
 */
public record KillReport(List<Long> signalled, boolean forced, String method) {

    public KillReport {
        signalled = List.copyOf(signalled);
    }
}
