package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An engine's private directory {@code corral-<uid>-<random>} (mode 0700): the control socket, the broker's
 * log and, as a plain library, the helper copy. Holds an {@code owner} file (pid and start time of the
 * JVM) so that directories left by a JVM that was killed are recognized and removed.
 */
final class RuntimeDir {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeDir.class);
    /** sun_path is 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;

    private RuntimeDir() {
    }

    static Path create(Path parent) throws IOException {
        Files.createDirectories(parent);
        sweepStale(parent);
        int uid = CommandResolver.selfUid();
        SecureRandom rnd = new SecureRandom();
        for (int attempt = 0; ; attempt++) {
            byte[] b = new byte[6];
            rnd.nextBytes(b);
            Path dir = parent.resolve("corral-" + uid + "-" + HexFormat.of().formatHex(b)).toAbsolutePath();
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                if (attempt < 10) {
                    continue;
                }
                throw e;
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Files.writeString(dir.resolve("owner"), ownerLine(ProcessHandle.current().pid()), StandardCharsets.US_ASCII);
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

    /** Removes {@code corral-<uid>-*} directories whose owner JVM is gone. */
    static void sweepStale(Path parent) {
        String prefix = "corral-" + CommandResolver.selfUid() + "-";
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, prefix + "*")) {
            for (Path d : ds) {
                Path owner = d.resolve("owner");
                if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(owner)) {
                    continue;
                }
                String line = Files.readString(owner, StandardCharsets.US_ASCII).trim();
                String[] f = line.split(" ");
                long pid = Long.parseLong(f[0]);
                boolean alive = Files.exists(Path.of("/proc/" + pid)) && ownerLine(pid).equals(line);
                if (!alive) {
                    LOG.info("removing runtime directory {} left by JVM {} that is gone", d, pid);
                    delete(d);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("stale runtime directory sweep in {} failed", parent, e);
        }
    }

    static void delete(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("could not remove runtime directory {}: {}", dir, e.toString());
        }
    }
}
