package org.corral.supervisor.internal.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The private-directory rules on a real file system, with entries of another uid (65534) made by chown: what is
 * created, what is refused, what a removal leaves alone. Needs root (to chown); the attacks by a real process of
 * that uid are in {@code SymlinkAttackTest}.
 */
class PrivateFilesTest {

    static final int OTHER = 65534;

    @TempDir
    Path tmp;
    Path victim;

    @BeforeEach
    void rootOnly() throws IOException {
        assumeTrue(PrivateFiles.selfUid() == 0, "chown to another uid needs root");
        victim = Files.createDirectory(tmp.resolve("victim"));
        Files.writeString(victim.resolve("file"), "precious\n");
    }

    static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    Path othersDirectory(Path parent, String name, String perms) throws IOException {
        Path d = Files.createDirectory(parent.resolve(name));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(perms));
        Files.setAttribute(d, "unix:uid", OTHER);
        Files.setAttribute(d, "unix:gid", OTHER);
        return d;
    }

    static void chmod(Path p, int mode) throws Exception {
        assertEquals(0, new ProcessBuilder("chmod", Integer.toOctalString(mode), p.toString()).inheritIO().start().waitFor());
    }

    // ------------------------------------------------------------------ creation

    @Test
    void aNewDirectoryIsMode0700AndOurs() throws IOException {
        Path d = PrivateFiles.createDirectory(tmp, "corral-0-new");
        assertEquals(0700, mode(d));
        assertEquals(0, uid(d));
    }

    @Test
    void anExistingDirectoryOfAnotherUserIsNeverAdopted() throws IOException {
        Path planted = othersDirectory(tmp, "corral-0-planted-h", "rwxrwxrwx");
        Files.createSymbolicLink(planted.resolve("owner"), victim.resolve("file"));
        assertThrows(FileAlreadyExistsException.class, () -> PrivateFiles.createDirectory(tmp, "corral-0-planted-h"));
        PrivateFiles.NotPrivateException e = assertThrows(PrivateFiles.NotPrivateException.class,
                () -> PrivateFiles.createOrCheckDirectory(planted));
        assertTrue(e.getMessage().contains("not a directory of this user with mode 0700"), e.getMessage());
        assertEquals(0777, mode(planted), "not chmodded");
        assertEquals(OTHER, uid(planted));
        assertEquals("precious\n", Files.readString(victim.resolve("file")));
    }

    @Test
    void aPlantedSymbolicLinkIsNeverFollowed() throws IOException {
        Path link = Files.createSymbolicLink(tmp.resolve("corral-0-link-h"), victim);
        assertThrows(FileAlreadyExistsException.class, () -> PrivateFiles.createDirectory(tmp, "corral-0-link-h"));
        Files.setPosixFilePermissions(victim, PrivateFiles.DIR_MODE); // even a target of ours with mode 0700
        PrivateFiles.NotPrivateException e = assertThrows(PrivateFiles.NotPrivateException.class,
                () -> PrivateFiles.createOrCheckDirectory(link));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertThrows(PrivateFiles.NotPrivateException.class, () -> PrivateFiles.writeNew(link, "owner", new byte[1]));
        assertFalse(Files.exists(victim.resolve("owner")));
        assertThrows(PrivateFiles.NotPrivateException.class, () -> PrivateFiles.deleteOwnDirectory(link));
        assertTrue(Files.exists(victim.resolve("file")));
    }

    @Test
    void anExistingDirectoryOfOursWithAWiderModeIsRefused() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("wide"));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        PrivateFiles.NotPrivateException e = assertThrows(PrivateFiles.NotPrivateException.class,
                () -> PrivateFiles.createOrCheckDirectory(d));
        assertTrue(e.getMessage().contains("rwxr-xr-x"), e.getMessage());
        assertEquals(0755, mode(d));
        Path ok = Files.createDirectory(tmp.resolve("ok"), PosixFilePermissions.asFileAttribute(PrivateFiles.DIR_MODE));
        assertEquals(ok, PrivateFiles.createOrCheckDirectory(ok));
    }

    @Test
    void writeNewRefusesAnExistingNameAndALink() throws IOException {
        Path d = PrivateFiles.createDirectory(tmp, "own");
        PrivateFiles.writeNew(d, "owner", "1 2\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("1 2\n", Files.readString(d.resolve("owner")));
        assertEquals(0600, mode(d.resolve("owner")));
        assertThrows(FileAlreadyExistsException.class, () -> PrivateFiles.writeNew(d, "owner", new byte[1]));
        Files.createSymbolicLink(d.resolve("link"), victim.resolve("file"));
        assertThrows(FileAlreadyExistsException.class, () -> PrivateFiles.writeNew(d, "link", "x".getBytes()));
        Files.createSymbolicLink(d.resolve("dangling"), victim.resolve("new-file"));
        assertThrows(FileAlreadyExistsException.class, () -> PrivateFiles.writeNew(d, "dangling", "x".getBytes()));
        assertFalse(Files.exists(victim.resolve("new-file")), "created through a dangling link");
        assertEquals("precious\n", Files.readString(victim.resolve("file")));
        assertThrows(IllegalArgumentException.class, () -> PrivateFiles.writeNew(d, "../escape", new byte[1]));
    }

    @Test
    void readOwnFileReadsNoLinkAndNoLargeFile() throws IOException {
        Path d = PrivateFiles.createDirectory(tmp, "own");
        PrivateFiles.writeNew(d, "owner", "12 34".getBytes(StandardCharsets.US_ASCII));
        Files.createSymbolicLink(d.resolve("link"), victim.resolve("file"));
        Files.writeString(d.resolve("big"), "x".repeat(1000));
        try (SecureDirectoryStream<Path> p = PrivateFiles.openDirectory(tmp)) {
            assertEquals("12 34", new String(PrivateFiles.readOwnFile(p, d, d.getFileName(), "owner", 128),
                    StandardCharsets.US_ASCII));
            assertNull(PrivateFiles.readOwnFile(p, d, d.getFileName(), "missing", 128));
            IOException e = assertThrows(IOException.class, () -> PrivateFiles.readOwnFile(p, d, d.getFileName(), "link", 128));
            assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
            assertThrows(IOException.class, () -> PrivateFiles.readOwnFile(p, d, d.getFileName(), "big", 128));
        }
    }

    // ------------------------------------------------------------------ removal

    @Test
    void deleteRemovesOurTreeAndUnlinksLinksInsideWithoutFollowing() throws IOException {
        Path d = PrivateFiles.createDirectory(tmp, "own");
        Files.createDirectories(d.resolve("a/b/c"));
        Files.writeString(d.resolve("a/b/c/f"), "x");
        Files.createSymbolicLink(d.resolve("a/to-victim"), victim);
        Files.createSymbolicLink(d.resolve("a/b/to-file"), victim.resolve("file"));
        assertTrue(PrivateFiles.deleteOwnDirectory(d));
        assertFalse(Files.exists(d, LinkOption.NOFOLLOW_LINKS));
        assertEquals(List.of("file"), List.of(victim.toFile().list()));
        assertFalse(PrivateFiles.deleteOwnDirectory(d), "already gone");
    }

    @Test
    void deleteRefusesAnotherUsersDirectoryAndAWiderMode() throws IOException {
        Path others = othersDirectory(tmp, "corral-0-theirs", "rwx------");
        Files.createSymbolicLink(others.resolve("link"), victim);
        assertThrows(PrivateFiles.NotPrivateException.class, () -> PrivateFiles.deleteOwnDirectory(others));
        assertTrue(Files.exists(others.resolve("link"), LinkOption.NOFOLLOW_LINKS));
        Path wide = Files.createDirectory(tmp.resolve("wide"));
        Files.setPosixFilePermissions(wide, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThrows(PrivateFiles.NotPrivateException.class, () -> PrivateFiles.deleteOwnDirectory(wide));
        assertTrue(Files.isDirectory(wide));
    }

    @Test
    void deleteStopsAtAnAbsurdDepth() throws IOException {
        Path d = PrivateFiles.createDirectory(tmp, "deep");
        Path p = d;
        for (int i = 0; i < PrivateFiles.MAX_DEPTH + 2; i++) {
            p = Files.createDirectory(p.resolve("d"));
        }
        IOException e = assertThrows(IOException.class, () -> PrivateFiles.deleteOwnDirectory(d));
        assertTrue(e.getMessage().contains("directory levels"), e.getMessage());
    }

    // ------------------------------------------------------------------ parents

    @Test
    void privateParents() throws Exception {
        assertNull(PrivateFiles.whyNotPrivate(tmp, 0), "a 0700 directory of root under the sticky /tmp");
        Path open = Files.createDirectory(tmp.resolve("open"));
        chmod(open, 0755);
        assertNull(PrivateFiles.whyNotPrivate(open, 0), "0755 is private: nobody else can write");

        chmod(open, 0777);
        assertNotNull(PrivateFiles.whyNotPrivate(open, 0));
        assertTrue(PrivateFiles.whyNotPrivate(open, 0).contains("writable by every user (mode 0777)"),
                PrivateFiles.whyNotPrivate(open, 0));
        chmod(open, 01777);
        assertNotNull(PrivateFiles.whyNotPrivate(open, 0), "a sticky shared directory is not private");
        assertTrue(PrivateFiles.isSharedSticky(open));
        chmod(open, 0775);
        assertTrue(PrivateFiles.whyNotPrivate(open, 0).contains("writable by its group"));

        Path child = Files.createDirectory(open.resolve("child"));
        chmod(open, 01777);
        assertNull(PrivateFiles.whyNotPrivate(child, 0), "a directory of ours under a sticky shared one");
        chmod(open, 0777);
        assertTrue(PrivateFiles.whyNotPrivate(child, 0).contains("above"), "others could rename it away");

        Path theirs = othersDirectory(tmp, "theirs", "rwxr-xr-x");
        Path inTheirs = Files.createDirectory(theirs.resolve("ours"));
        assertTrue(PrivateFiles.whyNotPrivate(inTheirs, 0).contains("belongs to uid " + OTHER),
                PrivateFiles.whyNotPrivate(inTheirs, 0));
        assertTrue(PrivateFiles.whyNotPrivate(theirs, 0).contains("belongs to uid " + OTHER));

        Path link = Files.createSymbolicLink(tmp.resolve("link-to-theirs"), theirs);
        assertNotNull(PrivateFiles.whyNotPrivate(link, 0), "links are resolved, the real directory is checked");
        Path mine = Files.createDirectory(tmp.resolve("mine"));
        Path ourLink = Files.createSymbolicLink(tmp.resolve("our-link"), mine);
        assertNull(PrivateFiles.whyNotPrivate(ourLink, 0), "a link of ours to a private directory");
        Path linkInTheirs = Files.createSymbolicLink(theirs.resolve("to-mine"), mine);
        assertTrue(PrivateFiles.whyNotPrivate(linkInTheirs, 0).contains("belongs to uid " + OTHER),
                "the real directory is private, but another user may re-point the link: "
                        + PrivateFiles.whyNotPrivate(linkInTheirs, 0));
        Path theirLink = Files.createSymbolicLink(tmp.resolve("their-link"), mine);
        assertEquals(0, new ProcessBuilder("chown", "-h", OTHER + ":" + OTHER, theirLink.toString()).inheritIO()
                .start().waitFor());
        assertTrue(PrivateFiles.whyNotPrivate(theirLink, 0).contains("is a symbolic link of uid " + OTHER),
                PrivateFiles.whyNotPrivate(theirLink, 0));
        assertNotNull(PrivateFiles.whyNotPrivate(tmp.resolve("missing"), 0));
        assertNotNull(PrivateFiles.whyNotPrivate(Path.of("/tmp"), 0));
        assertFalse(PrivateFiles.isSharedSticky(tmp));
    }
}
