package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

import org.corral.supervisor.internal.fs.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An engine's private directory {@code corral-<uid>-<random>} (mode 0700): the control socket, the broker's
 * log and, as a plain library, the helper copy; and the hand-over directory {@code corral-<uid>-<random>-h}
 * beside it. Each holds an {@code owner} file (pid and start time of the JVM) so that directories left by a JVM
 * that was killed are recognized and removed by the next one ({@link #sweepStale}).
 *
 * <p><b>Where</b> ({@link #chooseParent}): under the requested parent (the builder's
 * {@code runtimeDirectory}, else {@code java.io.tmpdir}: Karaf's {@code data/tmp}) when that is private
 * ({@link PrivateFiles#whyNotPrivate}) and short enough for the socket paths in it; otherwise under
 * {@value #ROOT_PARENT} (root) or {@code $XDG_RUNTIME_DIR} (other users). Root never uses a directory other users
 * can write into, such as {@code /tmp}; another user falls back to a sticky one (like {@code /tmp}) when it has no
 * private place.
 *
 * <p><b>How</b>: every directory is created atomically and refused when its name exists; files are created with
 * {@code O_EXCL|O_NOFOLLOW}; sweeps and removals act only on directories of this uid with mode 0700 (checked with
 * lstat, then on the opened descriptor) and remove entries relative to directory descriptors, never following a
 * symbolic link ({@link PrivateFiles}).
 */
final class RuntimeDir {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeDir.class);
    /** sun_path is 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;
    /** Root's short private parent when the requested one is shared or too long. */
    static final String ROOT_PARENT = "/run/corral";
    /** The longest socket path name in either directory: a hand-over socket {@code <helper pid>.sock}. */
    private static final String LONGEST_SOCKET = "4194304.sock";
    private static final int HEX = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private RuntimeDir() {
    }

    // ------------------------------------------------------------------ where

    /** The facts about candidate parents that {@link #chooseParent} needs (the real file system, or a test's). */
    interface Places {
        /** Null when {@code dir} is a private place for {@code uid}'s directories, else why not. */
        String whyNotPrivate(Path dir, int uid);

        /** Whether {@code dir} is world-writable with the sticky bit (like /tmp). */
        boolean sharedSticky(Path dir);

        /** Creates root's parent (mode 0700) or checks the existing one: null when usable, else why not. */
        String prepareRootParent(Path dir);
    }

    /** Where the runtime directory goes, and why the places before it in the order were passed over. */
    record Choice(Path parent, List<String> passedOver) {
    }

    /**
     * Chooses the parent of a runtime directory for {@code uid}:
     * <ol>
     * <li>{@code requested} when it is private and short enough;</li>
     * <li>root: {@value #ROOT_PARENT} (created 0700; an existing one must be root's with mode 0700); another
     *     user: {@code xdgRuntimeDir} when set, absolute, private and short enough;</li>
     * <li>not root: {@code requested} when it is a sticky world-writable directory and short enough, else
     *     {@code /tmp} when that is.</li>
     * </ol>
     *
     * @return the choice, with a null parent when nothing fits (the reasons say why)
     */
    static Choice chooseParent(int uid, Path requested, String xdgRuntimeDir, Places places) {
        List<String> passed = new ArrayList<>();
        Path req = requested.toAbsolutePath().normalize();
        String why = !fits(req, uid) ? tooLong(req, uid) : places.whyNotPrivate(req, uid);
        if (why == null) {
            return new Choice(req, passed);
        }
        passed.add(why);
        if (uid == 0) {
            Path run = Path.of(ROOT_PARENT);
            why = places.prepareRootParent(run);
            if (why == null) {
                return new Choice(run, passed);
            }
            passed.add(why);
            return new Choice(null, passed);
        }
        if (xdgRuntimeDir == null || xdgRuntimeDir.isEmpty()) {
            passed.add("XDG_RUNTIME_DIR is not set");
        } else if (!Path.of(xdgRuntimeDir).isAbsolute()) {
            passed.add("XDG_RUNTIME_DIR (" + xdgRuntimeDir + ") is not an absolute path");
        } else {
            Path xdg = Path.of(xdgRuntimeDir).normalize();
            why = !fits(xdg, uid) ? tooLong(xdg, uid) : places.whyNotPrivate(xdg, uid);
            if (why == null) {
                return new Choice(xdg, passed);
            }
            passed.add("XDG_RUNTIME_DIR: " + why);
        }
        for (Path shared : List.of(req, Path.of("/tmp"))) {
            if (fits(shared, uid) && places.sharedSticky(shared)) {
                return new Choice(shared, passed);
            }
        }
        passed.add("/tmp is not a sticky world-writable directory");
        return new Choice(null, passed);
    }

    /** Whether the longest socket path under a runtime directory in {@code parent} fits in sun_path. */
    static boolean fits(Path parent, int uid) {
        return socketPathLength(parent, uid) <= MAX_SOCKET_PATH;
    }

    /** {@code <parent>/corral-<uid>-<12 hex>-h/<7-digit pid>.sock} in bytes. */
    static int socketPathLength(Path parent, int uid) {
        return parent.toString().getBytes(StandardCharsets.UTF_8).length + ("/corral-" + uid + "-").length() + HEX
                + "-h/".length() + LONGEST_SOCKET.length();
    }

    private static String tooLong(Path parent, int uid) {
        return parent + " is too long a directory for the Unix sockets in it (" + socketPathLength(parent, uid)
                + " bytes, at most " + MAX_SOCKET_PATH + ")";
    }

    /** The real file system. */
    static final Places SYSTEM = new Places() {
        @Override
        public String whyNotPrivate(Path dir, int uid) {
            return PrivateFiles.whyNotPrivate(dir, uid);
        }

        @Override
        public boolean sharedSticky(Path dir) {
            return PrivateFiles.isSharedSticky(dir);
        }

        @Override
        public String prepareRootParent(Path dir) {
            String why = PrivateFiles.whyNotPrivate(dir.getParent(), 0);
            if (why != null) {
                return dir + ": " + why;
            }
            try {
                PrivateFiles.createOrCheckDirectory(dir);
                return null;
            } catch (IOException | RuntimeException e) {
                return dir + ": " + e.getMessage();
            }
        }
    };

    // ------------------------------------------------------------------ creation

    /**
     * Chooses the parent ({@link #chooseParent}), sweeps stale directories of this uid there (and under
     * {@code requested} when that is private but was not chosen), and creates the runtime directory.
     *
     * @throws IOException no usable parent (the message names each place and why not), or creation failed
     */
    static Path create(Path requested) throws IOException {
        int uid = PrivateFiles.selfUid();
        Path req = requested.toAbsolutePath().normalize();
        createMissing(req, uid);
        Choice c = chooseParent(uid, req, System.getenv("XDG_RUNTIME_DIR"), SYSTEM);
        if (c.parent() == null) {
            throw new IOException("no private directory for Corral's runtime directory: " + String.join("; ",
                    c.passedOver()) + ". Give a short private directory (Corral.builder().runtimeDirectory, or "
                    + "org.corral.runtime.dir in Karaf)");
        }
        if (!c.passedOver().isEmpty()) {
            // the default java.io.tmpdir (/tmp) of a plain library is the common, expected case: quietly
            if (PrivateFiles.isSharedSticky(req)) {
                LOG.debug("corral: runtime directory under {} rather than {}: {}", c.parent(), req, c.passedOver());
            } else {
                LOG.info("corral: runtime directory under {} rather than {}: {}", c.parent(), req,
                        String.join("; ", c.passedOver()));
            }
        }
        // from here on the real path: every link on the way was checked to be ours or root's
        Path parent = c.parent().toRealPath();
        sweepStale(parent);
        if (!c.parent().equals(req) && PrivateFiles.whyNotPrivate(req, uid) == null) {
            sweepStale(req.toRealPath());
        }
        return createNamed(parent, uid, "");
    }

    /**
     * Creates the requested parent (mode 0700) when it is missing, but only inside a private directory: never
     * through a directory (or link) another user could have put on the way. Otherwise it is left missing and
     * {@link #chooseParent} passes it over.
     */
    static void createMissing(Path dir, int uid) throws IOException {
        if (Files.exists(dir)) {
            return;
        }
        Path existing = dir.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        String why = existing == null ? "no existing parent" : PrivateFiles.whyNotPrivate(existing, uid);
        if (why != null) {
            LOG.debug("corral: not creating {}: {}", dir, why);
            return;
        }
        Files.createDirectories(existing.toRealPath().resolve(existing.relativize(dir)),
                PosixFilePermissions.asFileAttribute(PrivateFiles.DIR_MODE));
    }

    /**
     * Creates a hand-over directory {@code corral-<uid>-<random>-h} beside {@code runtimeDir} (same rules and
     * owner file as the runtime directory). A fresh random name: an existing entry is never adopted.
     */
    static Path createHandOverDir(Path runtimeDir) throws IOException {
        return createNamed(runtimeDir.toAbsolutePath().getParent(), PrivateFiles.selfUid(), "-h");
    }

    private static Path createNamed(Path parent, int uid, String suffix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            byte[] b = new byte[HEX / 2];
            RANDOM.nextBytes(b);
            String name = "corral-" + uid + "-" + HexFormat.of().formatHex(b) + suffix;
            Path dir;
            try {
                dir = PrivateFiles.createDirectory(parent, name);
            } catch (FileAlreadyExistsException e) {
                if (attempt < 10) {
                    continue; // someone's entry (a planted one, say): never adopted, another name
                }
                throw e;
            }
            try {
                PrivateFiles.writeNew(dir, "owner", ownerLine(ProcessHandle.current().pid())
                        .getBytes(StandardCharsets.US_ASCII));
            } catch (IOException | RuntimeException e) {
                delete(dir);
                throw e;
            }
            return dir;
        }
    }

    /** "pid starttime" of a process, from /proc (start time in clock ticks since boot). */
    static String ownerLine(long pid) {
        return pid + " " + startTime(pid);
    }

    private static String startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return f[19]; // field 22 overall
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    // ------------------------------------------------------------------ sweeping and removal

    /** Names of runtime and hand-over directories of {@code uid}. */
    static Pattern namePattern(int uid) {
        return Pattern.compile("corral-" + uid + "-[0-9a-f]{" + HEX + "}(-h)?");
    }

    /**
     * Removes the runtime and hand-over directories of this uid under {@code parent} whose owner JVM is gone. Only
     * in a private parent, or for a user other than root in a sticky shared one; see {@link #sweepEntries}.
     *
     * @return how many directories were removed
     */
    static int sweepStale(Path parent) {
        int uid = PrivateFiles.selfUid();
        String why = PrivateFiles.whyNotPrivate(parent, uid);
        if (why != null && (uid == 0 || !PrivateFiles.isSharedSticky(parent))) {
            LOG.debug("corral: not sweeping {}: {}", parent, why);
            return 0;
        }
        return sweepEntries(parent, uid);
    }

    /**
     * The sweep itself: each entry named like a directory of {@code uid} is taken only if it is a directory of
     * this uid with mode 0700 (lstat, then fstat once opened without following links); its {@code owner} file is
     * read through the directory's descriptor; a directory whose owner is gone is removed relative to
     * descriptors ({@link PrivateFiles#deleteOwnDirectory}). Anything else is left alone.
     */
    static int sweepEntries(Path parent, int uid) {
        Pattern names = namePattern(uid);
        int removed = 0;
        try (SecureDirectoryStream<Path> p = PrivateFiles.openDirectory(parent)) {
            List<Path> candidates = new ArrayList<>();
            for (Path e : p) {
                if (names.matcher(e.getFileName().toString()).matches()) {
                    candidates.add(e.getFileName());
                }
            }
            for (Path name : candidates) {
                Path d = parent.resolve(name);
                try {
                    String line = StaleCheck.ownerOf(p, d, name);
                    if (line == null || StaleCheck.alive(line)) {
                        continue;
                    }
                    if (PrivateFiles.deleteOwnDirectoryIn(p, d, name)) {
                        removed++;
                        LOG.info("corral: removed runtime directory {} left by JVM {} that is gone", d,
                                line.split(" ")[0]);
                    }
                } catch (PrivateFiles.NotPrivateException e) {
                    LOG.debug("corral: sweep leaves {} alone: {}", d, e.getMessage());
                } catch (NoSuchFileException e) {
                    // gone meanwhile
                } catch (IOException | RuntimeException e) {
                    LOG.warn("corral: could not sweep {}: {}", d, e.toString());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("corral: stale runtime directory sweep in {} failed", parent, e);
        }
        return removed;
    }

    /** Reading the owner file of a candidate, and telling whether its JVM still runs. */
    private static final class StaleCheck {
        /** The owner line of directory {@code name}, or null when it has none (left alone). */
        static String ownerOf(SecureDirectoryStream<Path> parent, Path d, Path name) throws IOException {
            byte[] b = PrivateFiles.readOwnFile(parent, d, name, "owner", 128);
            return b == null ? null : new String(b, StandardCharsets.US_ASCII).trim();
        }

        static boolean alive(String line) {
            String[] f = line.split(" ");
            long pid;
            try {
                pid = Long.parseLong(f[0]);
            } catch (NumberFormatException e) {
                return true; // not ours to judge: leave it
            }
            return Files.exists(Path.of("/proc/" + pid)) && ownerLine(pid).equals(line);
        }
    }

    /**
     * Removes a directory of this uid with mode 0700 and its contents (relative to descriptors). Anything else
     * (a link, another owner, another mode) is refused with a warning.
     */
    static void delete(Path dir) {
        try {
            PrivateFiles.deleteOwnDirectory(dir);
        } catch (IOException | RuntimeException e) {
            LOG.warn("corral: not removing {}: {}", dir, e.getMessage());
        }
    }
}
