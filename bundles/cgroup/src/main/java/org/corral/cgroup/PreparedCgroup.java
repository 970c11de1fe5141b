package org.corral.cgroup;

import java.nio.file.Path;
import java.util.List;

import org.corral.api.CgroupLimits;

/**
 * A cgroup made ready by {@link CgroupManager#prepare}: controllers enabled, limits written, no process in it
 * yet (unless a populated fixed path was allowed). The helper joins the program to {@link #dir()} and
 * removes {@link #createdDirs()} at teardown; the Java side can do the same with
 * {@link CgroupManager#close(PreparedCgroup, java.time.Duration)}.
 *
 * @param dir the cgroup directory (absolute, under the cgroup2 mount)
 * @param createdDirs the directories this preparation created and that teardown must remove, deepest first
 *        (empty for a fixed path that already existed; base directories created on the way are kept)
 * @param relativePath {@code dir} relative to the cgroup2 mount, e.g. {@code corral/corral-812-4711-3}
 * @param limits the limits that were written
 * @param controllers the controllers enabled for the cgroup (those the limits need)
 */
public record PreparedCgroup(Path dir, List<Path> createdDirs, String relativePath, CgroupLimits limits,
        List<String> controllers) {

    public PreparedCgroup {
        createdDirs = List.copyOf(createdDirs);
        controllers = List.copyOf(controllers);
    }
}
