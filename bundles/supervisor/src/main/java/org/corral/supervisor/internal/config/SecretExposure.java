package org.corral.supervisor.internal.config;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Tells the operator when a daemon's {@code .cfg} file holds {@code env.*} values (secrets, as far as Corral
 * knows) and every local user may read it: a file written by hand under the usual umask 022 is 0644 (issue 11).
 * {@code corral:create} writes 0600; Config Admin's own copy is protected by the distribution's umask.
 */
public final class SecretExposure {

    private SecretExposure() {
    }

    /** How a file's mode is read (the real file system, or a test's). */
    public interface Modes {
        /** The permission bits of {@code file}, or -1 when they cannot be read. */
        int of(Path file);
    }

    /** The real file system. */
    public static final Modes SYSTEM = file -> {
        try {
            return (Integer) Files.getAttribute(file, "unix:mode") & 07777;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    };

    /**
     * The warning for a configuration whose fileinstall file other users may read while it holds
     * {@code env.*} values, or empty. Names the keys, never their values.
     */
    public static Optional<String> warning(Map<String, ?> props, Modes modes) {
        TreeSet<String> keys = new TreeSet<>();
        props.forEach((k, v) -> {
            if (DaemonConfigParser.secret(k) && v != null && !v.toString().isEmpty()) {
                keys.add(k);
            }
        });
        Object url = props.get(DaemonConfigParser.FILEINSTALL_FILENAME);
        if (keys.isEmpty() || url == null || !url.toString().startsWith("file:")) {
            return Optional.empty();
        }
        Path file;
        try {
            file = Paths.get(URI.create(url.toString()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        int mode = modes.of(file);
        if (mode < 0 || (mode & 0004) == 0) {
            return Optional.empty();
        }
        return Optional.of("Daemon configuration " + file + " holds " + String.join(", ", keys)
                + " and every local user may read it (mode " + String.format("%04o", mode) + "): chmod 600 " + file);
    }
}
