package org.corral.cgroup;

import java.util.List;

/**
 * What one {@link CgroupManager#sweep(java.util.Collection, java.time.Duration) sweep} did.
 *
 * @param bases the base directories it looked in
 * @param swept the stale cgroups it found (each says whether it was removed)
 * @param skipped entries it left alone, and why (another owner, a mode that others may write, a base it could
 *     not read)
 */
public record SweepReport(List<String> bases, List<SweptCgroup> swept, List<String> skipped) {

    public SweepReport {
        bases = List.copyOf(bases);
        swept = List.copyOf(swept);
        skipped = List.copyOf(skipped);
    }

    /** How many stale cgroups were removed. */
    public long removed() {
        return swept.stream().filter(SweptCgroup::removed).count();
    }

    /** How many processes were still in them and were killed. */
    public long processesKilled() {
        return swept.stream().mapToLong(s -> s.killed().size()).sum();
    }

    /** How many distinct JVMs (that are gone) had left them. */
    public long owners() {
        return swept.stream().mapToLong(SweptCgroup::ownerPid).distinct().count();
    }

    /** One line for the log: the counts, and where it looked. */
    public String summary() {
        String where = bases.isEmpty() ? "no base" : String.join(", ", bases);
        if (swept.isEmpty()) {
            return "start-up sweep: no stale cgroup under " + where
                    + (skipped.isEmpty() ? "" : " (" + skipped.size() + " left alone, see the warnings)");
        }
        long failed = swept.size() - removed();
        return "start-up sweep: removed " + removed() + " stale cgroup(s) left by " + owners() + " JVM(s) that are gone,"
                + " killing " + processesKilled() + " process(es), under " + where
                + (failed > 0 ? "; " + failed + " could not be removed (see the warnings)" : "")
                + (skipped.isEmpty() ? "" : "; " + skipped.size() + " left alone (see the warnings)");
    }
}
