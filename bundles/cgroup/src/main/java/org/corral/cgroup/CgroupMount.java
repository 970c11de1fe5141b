package org.corral.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.corral.api.CgroupException;

/**
 * A mount of a cgroup file system as {@code /proc/self/mountinfo} describes it. {@link #findCgroup2()} finds
 * the cgroup v2 hierarchy of this process (never assumed to be at {@code /sys/fs/cgroup}: hybrid systems
 * mount it at {@code /sys/fs/cgroup/unified}).
 *
 * @param mountPoint where it is mounted (octal escapes such as {@code \040} decoded)
 * @param root the directory of the hierarchy that is mounted there ({@code /} for the whole hierarchy)
 * @param fsType {@code cgroup2}, or {@code cgroup} for a v1 hierarchy
 * @param superOptions the super block options; for a v1 hierarchy they name its controllers ({@code rw,memory})
 */
public record CgroupMount(Path mountPoint, String root, String fsType, List<String> superOptions) {

    public static final Path MOUNTINFO = Paths.get("/proc/self/mountinfo");

    public CgroupMount {
        superOptions = List.copyOf(superOptions);
    }

    /** The cgroup2 mount of this process, from {@code /proc/self/mountinfo}. */
    public static CgroupMount findCgroup2() {
        return findCgroup2(readMountinfo(MOUNTINFO));
    }

    /**
     * The cgroup2 mount among {@code mounts}: the first that mounts the whole hierarchy (root {@code /}),
     * else the first at all.
     *
     * @throws CgroupException when there is none, saying how to get one
     */
    public static CgroupMount findCgroup2(List<CgroupMount> mounts) {
        Optional<CgroupMount> whole = mounts.stream().filter(m -> m.fsType.equals("cgroup2") && m.root.equals("/")).findFirst();
        return whole.or(() -> mounts.stream().filter(m -> m.fsType.equals("cgroup2")).findFirst())
                .orElseThrow(() -> new CgroupException("no cgroup2 file system is mounted (none in " + MOUNTINFO
                        + "): cgroup v2 needs a kernel >= 4.5 and a mount such as 'mount -t cgroup2 none /sys/fs/cgroup'"
                        + " (systemd does it when booted with systemd.unified_cgroup_hierarchy=1); see docs/cgroups.md"));
    }

    /** The cgroup v1 mounts whose super options name {@code controller} (a controller bound to v1 is unavailable to v2). */
    public static List<CgroupMount> v1MountsOf(String controller) {
        try {
            return v1MountsOf(controller, readMountinfo(MOUNTINFO));
        } catch (CgroupException e) {
            return List.of();
        }
    }

    static List<CgroupMount> v1MountsOf(String controller, List<CgroupMount> mounts) {
        List<CgroupMount> found = new ArrayList<>();
        for (CgroupMount m : mounts) {
            if (m.fsType.equals("cgroup") && m.superOptions.contains(controller)) {
                found.add(m);
            }
        }
        return found;
    }

    /** Reads and parses a mountinfo file, keeping only cgroup and cgroup2 mounts. */
    public static List<CgroupMount> readMountinfo(Path mountinfo) {
        try {
            return parseMountinfo(Files.readString(mountinfo));
        } catch (IOException e) {
            throw new CgroupException("cannot read " + mountinfo + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses mountinfo text (proc(5)): {@code id parent major:minor root mount-point options [optional...] -
     * fstype source super-options}. Keeps the cgroup and cgroup2 mounts.
     *
     * @throws CgroupException naming the line when a line is malformed
     */
    public static List<CgroupMount> parseMountinfo(String text) {
        List<CgroupMount> mounts = new ArrayList<>();
        int n = 0;
        for (String line : text.split("\n")) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split(" ");
            int dash = Arrays.asList(f).indexOf("-");
            if (f.length < 7 || dash < 6 || dash + 3 > f.length) {
                throw new CgroupException("mountinfo line " + n + " is malformed (expected 'id parent major:minor root"
                        + " mount-point options ... - fstype source options'): '" + line + "'");
            }
            String fsType = f[dash + 1];
            if (!fsType.equals("cgroup2") && !fsType.equals("cgroup")) {
                continue;
            }
            String options = dash + 3 < f.length ? f[dash + 3] : "";
            mounts.add(new CgroupMount(Paths.get(unescape(f[4])), unescape(f[3]), fsType, Arrays.asList(options.split(","))));
        }
        return mounts;
    }

    /** Decodes the octal escapes ({@code \040} space, {@code \011} tab, {@code \012} newline, {@code \134} backslash). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1) && isOctal(s, i + 2) && isOctal(s, i + 3)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }
}
