package org.corral.supervisor.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Directories and files that only this JVM's user may touch, made, read and removed so that no other local user
 * can redirect them (issue 11: a root JVM must not follow a symbolic link another user planted):
 * <ul>
 * <li>a directory is created atomically ({@code mkdir}, which fails when the name exists, link or not) and then
 *     opened without following a link ({@code O_NOFOLLOW}) and checked on the open descriptor ({@code fstat}):
 *     a directory, owned by this uid, mode 0700;</li>
 * <li>an existing directory is only used or removed after the same checks, first on the name ({@code lstat})
 *     and again on the opened descriptor;</li>
 * <li>files are created with {@code O_CREAT|O_EXCL|O_NOFOLLOW} and read with {@code O_NOFOLLOW}, relative to
 *     the directory's descriptor ({@link SecureDirectoryStream});</li>
 * <li>trees are removed entry by entry relative to directory descriptors ({@code unlinkat}), never through a
 *     path, so an entry swapped for a symbolic link meanwhile is unlinked itself, never followed.</li>
 * </ul>
 * A parent directory that others may write into is usable only with the sticky bit (like {@code /tmp}): there an
 * entry owned by this uid cannot be renamed or replaced by anyone else, so the checks made on its name hold.
 */
public final class PrivateFiles {

    /** Mode of a private directory. */
    public static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    /** Mode of a private file. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    /** How deep a private tree may be nested (Corral's own are one or two levels deep). */
    static final int MAX_DEPTH = 16;

    private static final int S_ISVTX = 01000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFLNK = 0120000;
    private static volatile UserPrincipal self;

    private PrivateFiles() {
    }

    /** The JVM's uid (the owner of {@code /proc/self}), or -1 when it cannot be read. */
    public static int selfUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** This JVM's user as a principal (equal to the owner of any file of that uid). */
    public static UserPrincipal self() throws IOException {
        UserPrincipal s = self;
        if (s == null) {
            s = Files.getOwner(Path.of("/proc/self"));
            self = s;
        }
        return s;
    }

    // ------------------------------------------------------------------ parents

    /**
     * Why {@code dir} is not a private place for this uid's files, or null when it is. Checked twice, with lstat:
     * along the path as given (so that no link on the way is another user's, or lies in a directory another user
     * may change) and along the real path it resolves to. On both, every entry belongs to this uid or to root, and
     * a directory that others may write into is accepted only above {@code dir} and with the sticky bit (there an
     * entry of ours cannot be renamed or replaced by anyone else). {@code dir} itself is writable by nobody else.
     * Use the {@link Path#toRealPath real path} afterwards: its parts cannot change under us.
     */
    public static String whyNotPrivate(Path dir, int uid) {
        Path abs = dir.toAbsolutePath().normalize();
        String why = whyNotPrivateChain(abs, uid);
        if (why != null) {
            return why;
        }
        Path real;
        try {
            real = abs.toRealPath();
        } catch (IOException e) {
            return dir + " cannot be resolved: " + e;
        }
        return real.equals(abs) ? null : whyNotPrivateChain(real, uid);
    }

    private static String whyNotPrivateChain(Path path, int uid) {
        for (Path p = path; p != null; p = p.getParent()) {
            Map<String, Object> a;
            try {
                a = Files.readAttributes(p, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | RuntimeException e) {
                return p + " cannot be examined: " + e;
            }
            int mode = (Integer) a.get("mode");
            int owner = (Integer) a.get("uid");
            String where = p.equals(path) ? p.toString() : p + " (above " + path + ")";
            boolean link = (mode & S_IFMT) == S_IFLNK;
            if (owner != uid && owner != 0) {
                return where + (link ? " is a symbolic link of uid " : " belongs to uid ") + owner;
            }
            if (!link && (mode & 0022) != 0 && (p.equals(path) || (mode & S_ISVTX) == 0)) {
                return where + " is writable by " + ((mode & 0002) != 0 ? "every user" : "its group") + " (mode "
                        + octal(mode) + ")";
            }
        }
        return null;
    }

    /** Whether {@code dir} is a directory every user may write into with the sticky bit set (like /tmp). */
    public static boolean isSharedSticky(Path dir) {
        try {
            Map<String, Object> a = Files.readAttributes(dir.toRealPath(), "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            return (mode & 0002) != 0 && (mode & S_ISVTX) != 0 && (Integer) a.get("uid") == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ directories

    /**
     * Creates {@code parent/name} atomically with mode 0700 and checks the result on its descriptor.
     *
     * @throws FileAlreadyExistsException the name exists (directory, file or link, whoever made it): the caller
     *     picks another name or refuses; an existing entry is never adopted
     */
    public static Path createDirectory(Path parent, String name) throws IOException {
        Path dir = parent.resolve(checkName(name));
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
        try (SecureDirectoryStream<Path> p = openDirectory(parent);
                SecureDirectoryStream<Path> d = p.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS)) {
            PosixFileAttributeView v = d.getFileAttributeView(PosixFileAttributeView.class);
            PosixFileAttributes a = v.readAttributes();
            if (!a.isDirectory() || !a.owner().equals(self())) {
                throw new IOException(dir + " changed under us after mkdir: " + describe(a));
            }
            if (!a.permissions().equals(DIR_MODE)) {
                v.setPermissions(DIR_MODE); // the umask took bits away: fchmod on the descriptor
            }
        }
        return dir;
    }

    /**
     * Creates {@code dir} (mode 0700) when it does not exist, or checks that the existing one is a directory of
     * this uid with mode 0700 (lstat, then fstat on the opened descriptor).
     *
     * @throws IOException naming what is wrong with an existing {@code dir}
     */
    public static Path createOrCheckDirectory(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        String name = dir.getFileName().toString();
        try {
            return createDirectory(parent, name);
        } catch (FileAlreadyExistsException e) {
            try (SecureDirectoryStream<Path> p = openDirectory(parent);
                    SecureDirectoryStream<Path> d = openOwn(p, dir, Path.of(name))) {
                return dir;
            }
        }
    }

    /**
     * Opens {@code name} in {@code parent} after checking, without following a link, that it is a directory of
     * this uid with mode 0700; checks again on the opened descriptor.
     *
     * @throws NotPrivateException it is not (link, other type, other owner, other mode)
     */
    static SecureDirectoryStream<Path> openOwn(SecureDirectoryStream<Path> parent, Path dirForMessages, Path name)
            throws IOException {
        PosixFileAttributes a = parent.getFileAttributeView(name, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS).readAttributes();
        String why = notOwnDirectory(a);
        if (why != null) {
            throw new NotPrivateException(dirForMessages + " is not a directory of this user with mode 0700: " + why);
        }
        // owned by us: nobody else can replace the name now (private or sticky parent); open and check again
        SecureDirectoryStream<Path> d = parent.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
        try {
            why = notOwnDirectory(d.getFileAttributeView(PosixFileAttributeView.class).readAttributes());
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        if (why != null) {
            d.close();
            throw new NotPrivateException(dirForMessages + " changed while it was opened: " + why);
        }
        return d;
    }

    /** Null when {@code a} describes a directory of this uid with mode 0700, else what it is. */
    private static String notOwnDirectory(PosixFileAttributes a) throws IOException {
        if (!a.isDirectory() || !a.owner().equals(self()) || !a.permissions().equals(DIR_MODE)) {
            return describe(a);
        }
        return null;
    }

    private static String describe(PosixFileAttributes a) {
        String type = a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory"
                : a.isRegularFile() ? "a regular file" : "a special file";
        return type + " of " + a.owner().getName() + " with mode " + PosixFilePermissions.toString(a.permissions());
    }

    /** Opens a directory (following links in its path: pass only checked parents) as a secure stream. */
    public static SecureDirectoryStream<Path> openDirectory(Path dir) throws IOException {
        DirectoryStream<Path> ds = Files.newDirectoryStream(dir);
        if (ds instanceof SecureDirectoryStream) {
            @SuppressWarnings("unchecked")
            SecureDirectoryStream<Path> s = (SecureDirectoryStream<Path>) ds;
            return s;
        }
        ds.close();
        throw new IOException("this platform offers no SecureDirectoryStream (openat/unlinkat) for " + dir);
    }

    // ------------------------------------------------------------------ files

    /**
     * Writes a new file {@code name} (mode 0600) in the private directory {@code dir}: {@code dir} is checked as
     * by {@link #createOrCheckDirectory}, the file is created with {@code O_CREAT|O_EXCL|O_NOFOLLOW} relative to
     * its descriptor.
     *
     * @throws FileAlreadyExistsException the name exists (also when it is a link)
     */
    public static void writeNew(Path dir, String name, byte[] content) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        try (SecureDirectoryStream<Path> p = openDirectory(parent);
                SecureDirectoryStream<Path> d = openOwn(p, dir, dir.getFileName());
                SeekableByteChannel ch = d.newByteChannel(Path.of(checkName(name)), createNewNoFollow(), fileMode())) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    /** Options for a new file that must not exist yet and must not be reached through a link. */
    public static Set<OpenOption> createNewNoFollow() {
        return Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    }

    /** The mode 0600 as a creation attribute. */
    public static FileAttribute<Set<PosixFilePermission>> fileMode() {
        return PosixFilePermissions.asFileAttribute(FILE_MODE);
    }

    /**
     * Reads the regular file {@code name} of {@code dir} (an open, checked directory), at most {@code max}
     * bytes, without following a link.
     *
     * @return null when there is no such file
     * @throws IOException not a regular file, or larger than {@code max}
     */
    static byte[] readSmall(SecureDirectoryStream<Path> dir, Path name, int max) throws IOException {
        PosixFileAttributes a;
        try {
            a = dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!a.isRegularFile()) {
            throw new IOException(name + " is " + describe(a) + ", not a regular file");
        }
        try (SeekableByteChannel ch = dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            ByteBuffer b = ByteBuffer.allocate(max + 1);
            while (b.hasRemaining() && ch.read(b) > 0) {
                // fill
            }
            if (b.position() > max) {
                throw new IOException(name + " is larger than " + max + " bytes");
            }
            byte[] out = new byte[b.position()];
            b.flip().get(out);
            return out;
        }
    }

    /**
     * Reads the regular file {@code file} (at most {@code max} bytes) of the directory {@code name} of
     * {@code parent}, which must be a private directory of this uid (checked as by {@link #openOwn}).
     *
     * @return null when {@code file} does not exist
     * @throws NotPrivateException the directory is not a private directory of this uid
     */
    public static byte[] readOwnFile(SecureDirectoryStream<Path> parent, Path dirForMessages, Path name, String file,
            int max) throws IOException {
        try (SecureDirectoryStream<Path> d = openOwn(parent, dirForMessages, name)) {
            return readSmall(d, Path.of(checkName(file)), max);
        }
    }

    // ------------------------------------------------------------------ removal

    /**
     * Removes {@code dir} and everything in it, after checking (lstat, then fstat) that it is a directory of
     * this uid with mode 0700. Entries are removed relative to directory descriptors; a symbolic link inside is
     * unlinked, never followed.
     *
     * @return false when {@code dir} does not exist
     * @throws NotPrivateException {@code dir} is not a private directory of this uid: nothing was removed
     */
    public static boolean deleteOwnDirectory(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        Path parent = abs.getParent();
        if (parent == null || abs.getFileName() == null) {
            throw new NotPrivateException(dir + " has no parent");
        }
        try (SecureDirectoryStream<Path> p = openDirectory(parent)) {
            return deleteOwnDirectoryIn(p, abs, abs.getFileName());
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** {@link #deleteOwnDirectory(Path)} for the entry {@code name} of the open directory {@code parent}. */
    public static boolean deleteOwnDirectoryIn(SecureDirectoryStream<Path> parent, Path dirForMessages, Path name)
            throws IOException {
        try (SecureDirectoryStream<Path> d = openOwn(parent, dirForMessages, name)) {
            deleteContents(d, 0);
        } catch (NoSuchFileException e) {
            return false;
        }
        parent.deleteDirectory(name);
        return true;
    }

    /** Removes every entry of the open directory {@code d}, depth first, relative to descriptors. */
    static void deleteContents(SecureDirectoryStream<Path> d, int depth) throws IOException {
        List<Path> names = new ArrayList<>();
        for (Path e : d) {
            names.add(e.getFileName());
        }
        for (Path name : names) {
            PosixFileAttributes a;
            try {
                a = d.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
            } catch (NoSuchFileException gone) {
                continue;
            }
            if (a.isDirectory()) {
                if (depth + 1 >= MAX_DEPTH) {
                    throw new IOException("more than " + MAX_DEPTH + " directory levels at " + name);
                }
                try (SecureDirectoryStream<Path> sub = d.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                    deleteContents(sub, depth + 1);
                }
                d.deleteDirectory(name);
            } else {
                d.deleteFile(name);
            }
        }
    }

    private static String checkName(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("'" + name + "' is not a plain file name");
        }
        return name;
    }

    private static String octal(int mode) {
        return String.format("%04o", mode & 07777);
    }

    /** A directory that exists but is not a private directory of this uid (refused, left untouched). */
    public static final class NotPrivateException extends IOException {
        private static final long serialVersionUID = 1L;

        NotPrivateException(String message) {
            super(message);
        }
    }
}
