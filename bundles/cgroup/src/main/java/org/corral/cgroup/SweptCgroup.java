package org.corral.cgroup;

import java.util.List;

/**
 * A cgroup that {@link CgroupManager#sweep} found left behind by a JVM that is gone, and removed.
 *
 * @param relativePath relative to the cgroup2 mount
 * @param ownerPid the pid of the JVM that created it (from its name)
 * @param killed the pids that were still in it and were killed
 * @param removed whether its directory could be removed
 */
public record SweptCgroup(String relativePath, long ownerPid, List<Long> killed, boolean removed) {

    public SweptCgroup {
        killed = List.copyOf(killed);
    }
}
