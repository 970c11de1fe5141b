package org.corral.cgroup;

import java.nio.file.Path;
import java.util.List;

/**
 * What a cgroup offers (see {@link CgroupManager#inspect}).
 *
 * @param dir the cgroup directory
 * @param relativePath relative to the cgroup2 mount ({@code ""} for the root)
 * @param controllers its {@code cgroup.controllers}: the controllers its parent grants it, which it can
 *        enable for cgroups below it
 * @param subtreeControl its {@code cgroup.subtree_control}: the controllers enabled for its children
 * @param writable whether this process may create cgroups in it and write its interface files
 *        ({@code cgroup.procs}, {@code cgroup.subtree_control})
 * @param populated whether processes are in it or below it
 * @param ownProcesses whether processes sit directly in it (then, unless it is the root, it cannot enable
 *        controllers for children: cgroup v2's "no internal processes" rule)
 */
public record CgroupInfo(Path dir, String relativePath, List<String> controllers, List<String> subtreeControl,
        boolean writable, boolean populated, boolean ownProcesses) {

    public CgroupInfo {
        controllers = List.copyOf(controllers);
        subtreeControl = List.copyOf(subtreeControl);
    }

    /** Whether cgroups created here can get {@code controller} (it is in {@link #controllers()}). */
    public boolean offers(String controller) {
        return controllers.contains(controller);
    }

    /** Writable and able to pass controllers down: what a delegated base looks like. */
    public boolean delegated() {
        return writable && (!ownProcesses || relativePath.isEmpty());
    }
}
