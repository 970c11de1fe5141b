package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.corral.api.ProcessException;

/**
 * Finds the native helper for the running architecture and installs it where it can be executed: an
 * explicit path (system property {@value #PROP_PATH}), the attached native fragment (OSGi: the caller
 * passes the entry's URL), or the class path resource {@code corral-native/<arch>/corral-helper}. Packaged
 * helpers carry no exec bit, so they are copied to a private directory with mode 0700 and verified (size
 * and SHA-256 against the resource) before use; a copy that differs is replaced.
 */
public final class HelperLocator {

    /** System property: path of a helper executable to use as is. */
    public static final String PROP_PATH = "corral.helper.path";
    /** System property: words put before the helper command (e.g. {@code qemu-aarch64-static}). */
    public static final String PROP_PREFIX = "corral.helper.prefix";
    /** The helper's file name. */
    public static final String NAME = "corral-helper";
    private static final int MAX_SIZE = 32 * 1024 * 1024;

    private HelperLocator() {
    }

    /** The helper architecture for this JVM ({@code x86_64}, {@code aarch64}, {@code armhf}), or null. */
    public static String architecture() {
        return architecture(System.getProperty("os.arch", ""));
    }

    /** Maps a Java {@code os.arch} to a helper architecture, or null when none exists for it. */
    public static String architecture(String osArch) {
        switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64":
            case "x86_64":
            case "x86-64":
                return "x86_64";
            case "aarch64":
            case "arm64":
                return "aarch64";
            case "arm":
            case "armhf":
            case "armv7l":
            case "armv6l":
            case "arm_le":
                return "armhf";
            default:
                return null;
        }
    }

    /**
     * The architecture an ELF executable was built for, from its header ({@code x86_64}, {@code aarch64},
     * {@code armhf}), or empty when it is no ELF file or another machine.
     */
    public static Optional<String> elfArchitecture(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] h = in.readNBytes(20);
            if (h.length < 20 || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') {
                return Optional.empty();
            }
            boolean little = h[5] == 1;
            int machine = little ? (h[18] & 0xff) | (h[19] & 0xff) << 8 : (h[19] & 0xff) | (h[18] & 0xff) << 8;
            switch (machine) {
                case 0x3e:
                    return Optional.of("x86_64");
                case 0xb7:
                    return Optional.of("aarch64");
                case 0x28:
                    return Optional.of("armhf");
                default:
                    return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The resource/entry path of the helper for {@code arch}. */
    public static String resourcePath(String arch) {
        return "corral-native/" + arch + "/" + NAME;
    }

    /** Whether this is Linux (the only OS the helper is built for). */
    public static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    /** The explicit helper from {@value #PROP_PATH}, checked. */
    public static Optional<Path> explicitPath() {
        String p = System.getProperty(PROP_PATH);
        if (p == null || p.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(checkExecutable(Path.of(p.trim()), "system property " + PROP_PATH));
    }

    /** The prefix words from {@value #PROP_PREFIX} (split at white space). */
    public static List<String> explicitPrefix() {
        String p = System.getProperty(PROP_PREFIX);
        if (p == null || p.isBlank()) {
            return List.of();
        }
        return List.of(p.trim().split("\\s+"));
    }

    /** Checks that {@code p} is an executable regular file; names {@code where} it came from when not. */
    public static Path checkExecutable(Path p, String where) {
        Path abs = p.toAbsolutePath();
        if (!Files.isRegularFile(abs)) {
            throw new ProcessException("helper " + abs + " (from " + where + ") does not exist or is not a regular file");
        }
        if (!Files.isExecutable(abs)) {
            throw new ProcessException("helper " + abs + " (from " + where + ") is not executable");
        }
        return abs;
    }

    /** The class path resource of the helper for {@code arch}, if there is one. */
    public static Optional<URL> fromClassLoader(ClassLoader cl, String arch) {
        if (arch == null || cl == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(cl.getResource(resourcePath(arch)));
    }

    /**
     * Copies the helper from {@code source} to {@code dir/corral-helper} (mode 0700) unless an identical
     * copy is there, and verifies it.
     *
     * @return the executable copy
     * @throws ProcessException the resource cannot be read or the copy does not verify
     */
    public static Path install(URL source, Path dir) {
        byte[] bytes;
        try (InputStream in = source.openStream()) {
            bytes = in.readNBytes(MAX_SIZE + 1);
        } catch (IOException e) {
            throw new ProcessException("cannot read the helper from " + source + ": " + e.getMessage(), e);
        }
        if (bytes.length == 0 || bytes.length > MAX_SIZE) {
            throw new ProcessException("the helper at " + source + " has an implausible size (" + bytes.length + " bytes)");
        }
        byte[] want = sha256(bytes);
        Path target = dir.resolve(NAME);
        try {
            Files.createDirectories(dir);
            if (!matches(target, bytes.length, want)) {
                Path tmp = Files.createTempFile(dir, NAME, ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                try {
                    Files.write(tmp, bytes);
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
                    try {
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
            if (!matches(target, bytes.length, want)) {
                throw new ProcessException("the helper copied to " + target + " does not match " + source
                        + " (size/SHA-256 differ)");
            }
        } catch (IOException e) {
            throw new ProcessException("cannot install the helper into " + dir + ": " + e.getMessage(), e);
        }
        return target;
    }

    private static boolean matches(Path file, long size, byte[] sha) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) != size) {
            return false;
        }
        return Arrays.equals(sha256(Files.readAllBytes(file)), sha);
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
