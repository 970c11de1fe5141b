package org.corral.supervisor.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.corral.supervisor.internal.fs.PrivateFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where runtime directories go ({@link RuntimeDir#chooseParent}, on described places) and what the sweep takes. */
class RuntimeDirTest {

    /** Places described by the test: private ones, sticky shared ones, root's parent usable or not. */
    static final class Fake implements RuntimeDir.Places {
        final Map<Path, String> notPrivate = new HashMap<>();
        final Set<Path> priv = new HashSet<>();
        final Set<Path> sticky = new HashSet<>();
        String rootParent;

        Fake priv(String p) {
            priv.add(Path.of(p));
            return this;
        }

        Fake sticky(String p) {
            sticky.add(Path.of(p));
            notPrivate.put(Path.of(p), p + " is writable by every user (mode 1777)");
            return this;
        }

        @Override
        public String whyNotPrivate(Path dir, int uid) {
            return priv.contains(dir) ? null : notPrivate.getOrDefault(dir, dir + " belongs to uid 1234");
        }

        @Override
        public boolean sharedSticky(Path dir) {
            return sticky.contains(dir);
        }

        @Override
        public String prepareRootParent(Path dir) {
            return rootParent;
        }
    }

    static final String KARAF_DATA_TMP = "/opt/karaf/data/tmp";
    /** 71 bytes: the longest socket under it, /corral-0-<12 hex>-h/4194304.sock, makes 108. */
    static final String TOO_LONG = "/opt/" + "k".repeat(57) + "/data/tmp";

    @Test
    void rootUsesAPrivateShortRequestedParent() {
        RuntimeDir.Choice c = RuntimeDir.chooseParent(0, Path.of(KARAF_DATA_TMP), null, new Fake().priv(KARAF_DATA_TMP));
        assertEquals(Path.of(KARAF_DATA_TMP), c.parent());
        assertEquals(List.of(), c.passedOver());
    }

    @Test
    void theLengthLimitIsTheLongestHandOverSocket() {
        assertEquals(71, TOO_LONG.length());
        assertEquals(108, RuntimeDir.socketPathLength(Path.of(TOO_LONG), 0));
        assertFalse(RuntimeDir.fits(Path.of(TOO_LONG), 0));
        assertTrue(RuntimeDir.fits(Path.of(TOO_LONG.substring(1)), 0));
        assertFalse(RuntimeDir.fits(Path.of(TOO_LONG.substring(1)), 1000), "a longer uid in the name");
    }

    @Test
    void rootGoesToRunCorralWhenTheRequestedParentIsTooLong() {
        RuntimeDir.Choice c = RuntimeDir.chooseParent(0, Path.of(TOO_LONG), null, new Fake().priv(TOO_LONG).sticky("/tmp"));
        assertEquals(Path.of("/run/corral"), c.parent());
        assertEquals(1, c.passedOver().size());
        assertTrue(c.passedOver().get(0).contains("too long a directory for the Unix sockets in it (108 bytes, at most 107)"),
                c.passedOver().toString());
    }

    @Test
    void rootNeverUsesASharedDirectory() {
        RuntimeDir.Choice c = RuntimeDir.chooseParent(0, Path.of("/tmp"), null, new Fake().sticky("/tmp"));
        assertEquals(Path.of("/run/corral"), c.parent());
        Fake noRun = new Fake().sticky("/tmp");
        noRun.rootParent = "/run/corral: /run cannot be resolved";
        c = RuntimeDir.chooseParent(0, Path.of("/tmp"), "/run/user/0", noRun);
        assertNull(c.parent(), "neither /tmp nor XDG_RUNTIME_DIR for root: " + c);
        assertEquals(List.of("/tmp is writable by every user (mode 1777)", "/run/corral: /run cannot be resolved"),
                c.passedOver());
    }

    @Test
    void anotherUserPrefersXdgRuntimeDirToASharedOne() {
        Fake f = new Fake().sticky("/tmp").priv("/run/user/1000");
        assertEquals(Path.of("/run/user/1000"), RuntimeDir.chooseParent(1000, Path.of("/tmp"), "/run/user/1000", f).parent());
        assertEquals(Path.of("/home/u/app"), RuntimeDir.chooseParent(1000, Path.of("/home/u/app"), "/run/user/1000",
                f.priv("/home/u/app")).parent(), "a private requested parent first");
    }

    @Test
    void anotherUserWithoutAPrivatePlaceUsesAStickySharedOne() {
        Fake f = new Fake().sticky("/tmp").sticky("/var/tmp");
        RuntimeDir.Choice c = RuntimeDir.chooseParent(1000, Path.of("/var/tmp"), null, f);
        assertEquals(Path.of("/var/tmp"), c.parent());
        assertTrue(c.passedOver().contains("XDG_RUNTIME_DIR is not set"), c.toString());
        c = RuntimeDir.chooseParent(1000, Path.of(TOO_LONG), "relative/dir", f.priv(TOO_LONG));
        assertEquals(Path.of("/tmp"), c.parent());
        assertTrue(c.passedOver().get(1).contains("not an absolute path"), c.toString());
        c = RuntimeDir.chooseParent(1000, Path.of("/srv/app"), "/run/user/1000", new Fake());
        assertNull(c.parent());
        assertEquals(List.of("/srv/app belongs to uid 1234", "XDG_RUNTIME_DIR: /run/user/1000 belongs to uid 1234",
                "/tmp is not a sticky world-writable directory"), c.passedOver());
    }

    // ------------------------------------------------------------------ on the file system (root)

    @TempDir
    Path tmp;

    static void owner(Path dir, String line) throws IOException {
        PrivateFiles.writeNew(dir, "owner", line.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void theSweepTakesOnlyStaleDirectoriesOfOursWithMode0700() throws Exception {
        int uid = PrivateFiles.selfUid();
        assumeTrue(uid == 0, "chown to another uid needs root");
        Path gone = PrivateFiles.createDirectory(tmp, "corral-0-00000000000a");
        owner(gone, "4194303 1");
        Path goneH = PrivateFiles.createDirectory(tmp, "corral-0-00000000000b-h");
        owner(goneH, "4194303 1");
        Files.createDirectories(goneH.resolve("x/y"));
        Path alive = PrivateFiles.createDirectory(tmp, "corral-0-00000000000c");
        owner(alive, RuntimeDir.ownerLine(ProcessHandle.current().pid()));
        Path reusedPid = PrivateFiles.createDirectory(tmp, "corral-0-00000000000d");
        owner(reusedPid, ProcessHandle.current().pid() + " 1");
        Path noOwner = PrivateFiles.createDirectory(tmp, "corral-0-00000000000e");
        Path wide = PrivateFiles.createDirectory(tmp, "corral-0-00000000000f");
        owner(wide, "4194303 1");
        Files.setPosixFilePermissions(wide, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path theirs = PrivateFiles.createDirectory(tmp, "corral-0-000000000010");
        owner(theirs, "4194303 1");
        Files.setAttribute(theirs, "unix:uid", 65534);
        Path link = Files.createSymbolicLink(tmp.resolve("corral-0-000000000011"), gone);
        Path otherName = PrivateFiles.createDirectory(tmp, "corral-0-stale");
        owner(otherName, "4194303 1");
        Path otherUid = PrivateFiles.createDirectory(tmp, "corral-1000-000000000012");
        owner(otherUid, "4194303 1");
        Path linkedOwner = PrivateFiles.createDirectory(tmp, "corral-0-000000000013");
        Files.createSymbolicLink(linkedOwner.resolve("owner"), gone.resolve("owner"));

        assertEquals(3, RuntimeDir.sweepStale(tmp), "the stale one, the stale -h one and the one whose pid was reused");
        for (Path p : List.of(gone, goneH, reusedPid)) {
            assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " removed");
        }
        for (Path p : List.of(alive, noOwner, wide, theirs, link, otherName, otherUid, linkedOwner)) {
            assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " left alone");
        }
        assertTrue(Files.exists(linkedOwner.resolve("owner"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void runtimeAndHandOverDirectoriesAreFreshPrivateDirectoriesWithAnOwner() throws Exception {
        Path rd = RuntimeDir.create(tmp);
        try {
            assertEquals(tmp, rd.getParent());
            assertTrue(RuntimeDir.namePattern(PrivateFiles.selfUid()).matcher(rd.getFileName().toString()).matches());
            assertEquals(0700, (Integer) Files.getAttribute(rd, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
            assertEquals(RuntimeDir.ownerLine(ProcessHandle.current().pid()), Files.readString(rd.resolve("owner")));
            assertEquals(0600, (Integer) Files.getAttribute(rd.resolve("owner"), "unix:mode") & 07777);
            Path h = RuntimeDir.createHandOverDir(rd);
            assertEquals(tmp, h.getParent());
            assertTrue(h.getFileName().toString().endsWith("-h"));
            assertFalse(h.getFileName().toString().startsWith(rd.getFileName().toString()),
                    "a fresh name, not one derived from the runtime directory's");
            assertEquals(0700, (Integer) Files.getAttribute(h, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
            assertEquals(0, RuntimeDir.sweepStale(tmp), "both owned by a live JVM");
            RuntimeDir.delete(h);
            assertFalse(Files.exists(h));
        } finally {
            RuntimeDir.delete(rd);
        }
        assertFalse(Files.exists(rd));
    }

    @Test
    void aMissingRequestedParentIsCreatedOnlyInsideAPrivateDirectory() throws Exception {
        assumeTrue(PrivateFiles.selfUid() == 0, "chown to another uid needs root");
        Path mine = tmp.resolve("mine/a/b");
        RuntimeDir.createMissing(mine, 0);
        assertTrue(Files.isDirectory(mine));
        assertEquals(0700, (Integer) Files.getAttribute(mine, "unix:mode") & 07777);

        Path theirs = Files.createDirectory(tmp.resolve("theirs"));
        Files.setAttribute(theirs, "unix:uid", 65534);
        RuntimeDir.createMissing(theirs.resolve("x/y"), 0);
        assertFalse(Files.exists(theirs.resolve("x")), "nothing created in another user's directory");

        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(theirs.resolve("link"), elsewhere);
        RuntimeDir.createMissing(link.resolve("z"), 0);
        assertFalse(Files.exists(elsewhere.resolve("z")), "nothing created through another user's link");
    }
}
