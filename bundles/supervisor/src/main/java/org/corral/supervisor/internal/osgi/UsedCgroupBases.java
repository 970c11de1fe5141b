package org.corral.supervisor.internal.osgi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import org.corral.api.CgroupException;
import org.corral.cgroup.DefaultBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroup bases the supervisor used, remembered in its bundle data area ({@value #NAME}, one path relative to
 * the cgroup2 mount per line) so that the start-up sweep after a crash also covers bases named by daemons whose
 * configurations are gone. At most {@value #MAX} bases; the file is rewritten whole (write, then rename).
 */
final class UsedCgroupBases {

    private static final Logger LOG = LoggerFactory.getLogger(UsedCgroupBases.class);

    static final String NAME = "cgroup-bases";
    static final int MAX = 64;

    private final Path file;
    private final Set<String> bases = new LinkedHashSet<>();

    UsedCgroupBases(Path file) {
        this.file = file;
    }

    /** The bases in the file (invalid lines are dropped). */
    synchronized List<String> load() {
        bases.clear();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String b = line.trim();
                if (b.isEmpty() || b.startsWith("#") || b.equalsIgnoreCase("auto") || b.equalsIgnoreCase("none")) {
                    continue;
                }
                try {
                    DefaultBase.checkSetting(b);
                } catch (CgroupException e) {
                    LOG.debug("dropping '{}' from {}: {}", b, file, e.getMessage());
                    continue;
                }
                if (bases.size() < MAX) {
                    bases.add(b);
                }
            }
        } catch (NoSuchFileException e) {
            // first start
        } catch (IOException e) {
            LOG.warn("corral: cannot read {}: {}", file, e.toString());
        }
        return new ArrayList<>(bases);
    }

    /** Keeps only the bases {@code keep} accepts (those that still exist, say) and writes the file. */
    synchronized void retain(Predicate<String> keep) {
        if (bases.removeIf(keep.negate())) {
            write();
        }
    }

    /** Remembers {@code base} (written at once). */
    synchronized void add(String base) {
        if (bases.contains(base)) {
            return;
        }
        if (bases.size() >= MAX) {
            String oldest = bases.iterator().next();
            bases.remove(oldest);
        }
        bases.add(base);
        write();
    }

    private void write() {
        Path tmp = file.resolveSibling(NAME + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.write(tmp, bases, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.warn("corral: cannot write {}: {}", file, e.toString());
        }
    }
}
