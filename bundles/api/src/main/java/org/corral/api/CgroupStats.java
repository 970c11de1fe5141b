package org.corral.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A snapshot of a cgroup's readable interface files, parsed by shape ({@link CgroupValue}), keyed by file
 * name, plus typed getters for the figures most callers want. A getter is empty when the file (or key) is
 * absent, e.g. {@code memory.peak} on kernels before 5.19 or any memory figure when the memory controller
 * is not enabled for the cgroup.
 */
public final class CgroupStats {

    private final String path;
    private final Map<String, CgroupValue> files;

    public CgroupStats(String path, Map<String, CgroupValue> files) {
        this.path = path;
        this.files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /** The cgroup's path relative to the cgroup2 mount. */
    public String path() {
        return path;
    }

    /** Every file read, by name. */
    public Map<String, CgroupValue> files() {
        return files;
    }

    public Optional<CgroupValue> get(String file) {
        return Optional.ofNullable(files.get(file));
    }

    /** A single-valued file as a number ({@code max} is {@code Long.MAX_VALUE}). */
    public OptionalLong single(String file) {
        CgroupValue v = files.get(file);
        return v instanceof CgroupValue.Single ? ((CgroupValue.Single) v).numberOrMax() : OptionalLong.empty();
    }

    /** One key of a flat keyed file, e.g. {@code flat("memory.events", "oom_kill")}. */
    public OptionalLong flat(String file, String key) {
        CgroupValue v = files.get(file);
        return v instanceof CgroupValue.FlatKeyed ? ((CgroupValue.FlatKeyed) v).get(key) : OptionalLong.empty();
    }

    /** A pressure file, e.g. {@code pressure("memory.pressure")}. */
    public Optional<CgroupValue.Pressure> pressure(String file) {
        CgroupValue v = files.get(file);
        return v instanceof CgroupValue.Pressure ? Optional.of((CgroupValue.Pressure) v) : Optional.empty();
    }

    /** {@code memory.events oom_kill}: processes the OOM killer killed (0 when absent). */
    public long oomKills() {
        return flat("memory.events", "oom_kill").orElse(0);
    }

    /** {@code memory.events oom_group_kill}: times the whole group was killed (kernel 5.17+; 0 when absent). */
    public long oomGroupKills() {
        return flat("memory.events", "oom_group_kill").orElse(0);
    }

    /** {@code memory.current} in bytes. */
    public OptionalLong memoryCurrent() {
        return single("memory.current");
    }

    /** {@code memory.peak} in bytes (kernel 5.19+). */
    public OptionalLong memoryPeak() {
        return single("memory.peak");
    }

    /** {@code memory.swap.current} in bytes. */
    public OptionalLong memorySwapCurrent() {
        return single("memory.swap.current");
    }

    /** {@code pids.current}. */
    public OptionalLong pidsCurrent() {
        return single("pids.current");
    }

    /** {@code pids.peak} (kernel 6.1+). */
    public OptionalLong pidsPeak() {
        return single("pids.peak");
    }

    /** {@code pids.events max}: forks refused by pids.max. */
    public OptionalLong pidsMaxEvents() {
        return flat("pids.events", "max");
    }

    /** {@code cpu.stat usage_usec}: cpu time used (present even without the cpu controller). */
    public OptionalLong cpuUsageMicros() {
        return flat("cpu.stat", "usage_usec");
    }

    /** {@code cpu.stat user_usec}. */
    public OptionalLong cpuUserMicros() {
        return flat("cpu.stat", "user_usec");
    }

    /** {@code cpu.stat system_usec}. */
    public OptionalLong cpuSystemMicros() {
        return flat("cpu.stat", "system_usec");
    }

    /** {@code cpu.stat nr_throttled}: periods in which cpu.max throttled the group (cpu controller). */
    public OptionalLong nrThrottled() {
        return flat("cpu.stat", "nr_throttled");
    }

    /** {@code cpu.stat throttled_usec}: time the group was throttled (cpu controller). */
    public OptionalLong throttledMicros() {
        return flat("cpu.stat", "throttled_usec");
    }

    /** {@code cgroup.events populated}: whether processes are in the cgroup or below it. */
    public Optional<Boolean> populated() {
        OptionalLong p = flat("cgroup.events", "populated");
        return p.isPresent() ? Optional.of(p.getAsLong() != 0) : Optional.empty();
    }

    @Override
    public String toString() {
        return "CgroupStats[" + path + ", " + files.keySet() + "]";
    }
}
