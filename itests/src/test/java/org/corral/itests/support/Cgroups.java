package org.corral.itests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The tests' own cgroups: a base they create under the cgroup2 mount and remove afterwards. */
public final class Cgroups {

    private Cgroups() {
    }

    /** The cgroup2 mount point, from /proc/self/mountinfo (never assumed to be /sys/fs/cgroup). */
    public static Optional<Path> cgroup2Mount() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/mountinfo"))) {
                int sep = line.indexOf(" - ");
                if (sep < 0) {
                    continue;
                }
                String[] after = line.substring(sep + 3).split(" ");
                String[] before = line.substring(0, sep).split(" ");
                if (after.length > 0 && after[0].equals("cgroup2") && before.length > 4) {
                    return Optional.of(Paths.get(before[4].replace("\\040", " ")));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates a new, empty base cgroup for one test; returns its path relative to the mount. */
    public static String createBase(Path mount, String label) {
        String rel = "itest-" + label + "-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            Files.createDirectory(mount.resolve(rel));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the test's cgroup " + mount.resolve(rel), e);
        }
        return rel;
    }

    /**
     * The cgroups left under a test base (the supervisor must have removed the ones it created), as paths
     * relative to the base.
     */
    public static List<String> children(Path base) {
        // the supervisor may remove a cgroup while we walk: then list again (a few times at most)
        for (int attempt = 1; ; attempt++) {
            try (var s = Files.walk(base)) {
                return s.filter(Files::isDirectory).filter(p -> !p.equals(base))
                        .map(p -> base.relativize(p).toString()).sorted().toList();
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException) || attempt == 10) {
                    throw e;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * The cgroups that the JVM {@code pid} created (named {@code corral-<pid>-<start>-<n>...}) anywhere in the
     * cgroup2 hierarchy, up to four levels down: under its default base, wherever that is.
     */
    public static List<Path> ofJvm(long pid) {
        Optional<Path> mount = cgroup2Mount();
        if (mount.isEmpty()) {
            return List.of();
        }
        String prefix = "corral-" + pid + "-";
        for (int attempt = 1; ; attempt++) {
            try (var s = Files.walk(mount.get(), 4)) {
                return s.filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith(prefix))
                        .filter(Files::isDirectory).sorted().toList();
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException) || attempt == 10) {
                    throw e;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Removes a test base (and, if the product left any, the cgroups under it, deepest first). */
    public static void removeBase(Path base) {
        if (!Files.isDirectory(base)) {
            return;
        }
        try (var s = Files.walk(base)) {
            for (Path p : s.filter(Files::isDirectory).sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the test's cgroup " + base, e);
        }
    }
}
