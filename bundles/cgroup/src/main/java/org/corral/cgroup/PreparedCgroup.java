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
 * <p>With {@link CgroupRequest.Builder#statsAfterExit(boolean)} the program's cgroup {@link #dir()} is a leaf
 * inside the cgroup that carries the limits ({@link #statsDir()}): the helper removes only the leaf, and
 * the JVM reads the final statistics of {@link #statsDir()} after the helper reported the exit, then removes
 * {@link #removeAfterStats()} ({@link CgroupManager#finish(PreparedCgroup)}). If the JVM dies first, the
 * start-up {@link CgroupManager#sweep sweep} removes it.
 *
 * @param dir the program's cgroup directory (absolute, under the cgroup2 mount): the helper writes the pid
 *        to its {@code cgroup.procs}
 * @param createdDirs the directories the helper removes at teardown, deepest first (empty for a fixed path
 *        that already existed; base directories created on the way are kept)
 * @param relativePath {@code dir} relative to the cgroup2 mount, e.g. {@code corral/corral-812-4711-3}
 * @param limits the limits that were written (to {@code statsDir})
 * @param controllers the controllers enabled for the cgroup (those the limits need)
 * @param statsDir the cgroup whose files hold the limits and the statistics of the whole run: {@code dir}
 *        itself, or its parent with {@code statsAfterExit}
 * @param removeAfterStats what the JVM removes after reading the final statistics (empty unless
 *        {@code statsAfterExit})
 */
public record PreparedCgroup(Path dir, List<Path> createdDirs, String relativePath, CgroupLimits limits,
        List<String> controllers, Path statsDir, List<Path> removeAfterStats) {

    public PreparedCgroup {
        createdDirs = List.copyOf(createdDirs);
        controllers = List.copyOf(controllers);
        removeAfterStats = List.copyOf(removeAfterStats);
    }
}
