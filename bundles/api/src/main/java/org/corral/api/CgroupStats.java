package org.corral.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of a cgroup's readable interface files, parsed by shape, keyed by file name.
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

    /** {@code memory.events oom_kill} (0 when absent). */
    public long oomKills() {
        CgroupValue v = files.get("memory.events");
        if (v instanceof CgroupValue.FlatKeyed) {
            return ((CgroupValue.FlatKeyed) v).values().getOrDefault("oom_kill", 0L);
        }
        return 0;
    }

    @Override
    public String toString() {
        return "CgroupStats[" + path + ", " + files.keySet() + "]";
    }
}
