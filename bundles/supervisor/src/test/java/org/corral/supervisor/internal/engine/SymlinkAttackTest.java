package org.corral.supervisor.internal.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.corral.api.CommandSpec;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, findings 1 and 2, played as the review did: a real unprivileged user (uid 65534 through
 * {@code setpriv}) plants directories and symbolic links where a root JVM runs Corral, and swaps a directory for
 * a symbolic link ({@code rename_exchange}) while the JVM sweeps stale runtime directories. Nothing outside may
 * be written, chmodded or deleted, and no socket may land in a directory the other user controls.
 */
@ExtendWith(NoLeftovers.class)
class SymlinkAttackTest {

    static final int NOBODY = 65534;
    /** Files in the victim directory (and in the attacker's subdirectory, with the same names). */
    static final int VICTIMS = 100;
    /** Subdirectory/link pairs swapped in each round. */
    static final int PAIRS = 4;
    static final int ROUNDS = Integer.getInteger("corral.attack.rounds", 20);

    @TempDir
    Path tmp;

    private final List<Path> attackerEntries = new ArrayList<>();

    @BeforeAll
    static void rootAndSetpriv() {
        assumeTrue(CommandResolver.selfUid() == 0, "these attacks need a root JVM");
        assumeTrue(setpriv() != null, "setpriv (util-linux) is needed to act as uid " + NOBODY);
    }

    static String setpriv() {
        for (String p : List.of("/usr/bin/setpriv", "/bin/setpriv")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return null;
    }

    /** What a command run as uid 65534 printed (stdout and stderr) and its exit status. */
    record Run(int exit, String output) {
    }

    static Run asNobody(String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(setpriv(), "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups", "--"));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "command as uid " + NOBODY + " " + cmd);
        return new Run(p.exitValue(), out.trim());
    }

    /** {@code rename_exchange} as uid 65534, swapping each pair of {@code paths} over and over. */
    static Process racer(List<Path> paths) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(setpriv(), "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups", "--", prog("rename_exchange")));
        paths.forEach(p -> cmd.add(p.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = r.readLine();
        assertEquals("ready", first, "rename_exchange as uid " + NOBODY + " started");
        return p;
    }

    /** A world-writable sticky directory (like /tmp) of the test's own, so that no other test's entry is touched. */
    Path sharedDirectory() throws Exception {
        Path s = Files.createTempDirectory(Path.of("/tmp"), "corral-sec-shared-");
        attackerEntries.add(s);
        Process p = new ProcessBuilder("chmod", "1777", s.toString()).inheritIO().start();
        assertEquals(0, p.waitFor());
        return s;
    }

    Path victims() throws IOException {
        Path v = Files.createDirectories(tmp.resolve("victim"));
        for (int i = 0; i < VICTIMS; i++) {
            Path f = v.resolve("f" + i);
            if (!Files.exists(f)) {
                Files.writeString(f, "root's file " + i + "\n");
            }
        }
        return v;
    }

    static int missing(Path victims) {
        int n = 0;
        for (int i = 0; i < VICTIMS; i++) {
            if (!Files.exists(victims.resolve("f" + i), LinkOption.NOFOLLOW_LINKS)) {
                n++;
            }
        }
        return n;
    }

    /** Removes a tree the attacker made (nothing races any more), never following a link. */
    static void removeTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(p);
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @AfterEach
    void removeAttackerEntries() throws IOException {
        for (int i = attackerEntries.size() - 1; i >= 0; i--) {
            removeTree(attackerEntries.get(i));
        }
    }

    static String hex12() {
        byte[] b = new byte[6];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * One round of finding 2: uid 65534 makes {@code <shared>/corral-0-<hex>} that looks stale (its owner pid is
     * gone) with subdirectories {@code a0..a3} holding files named like the victims, and symbolic links to the
     * victim directory in a directory of its own beside it; it swaps each subdirectory with a link without pause
     * while {@code sweep} runs.
     *
     * @return how many of root's files were deleted
     */
    int sweepRound(Path shared, Path victims, ThrowingRunnable sweep) throws Exception {
        String hex = hex12();
        Path d = shared.resolve("corral-0-" + hex);
        Path links = shared.resolve("links-" + hex);
        StringBuilder plant = new StringBuilder("mkdir -m 0700 " + d + " " + links + " && echo '4194303 1' > " + d
                + "/owner");
        List<Path> pairs = new ArrayList<>();
        for (int j = 0; j < PAIRS; j++) {
            plant.append(" && mkdir ").append(d).append("/a").append(j).append(" && ln -s ").append(victims)
                    .append(' ').append(links).append("/l").append(j).append(" && (cd ").append(d).append("/a")
                    .append(j).append(" && touch");
            for (int i = 0; i < VICTIMS; i++) {
                plant.append(" f").append(i);
            }
            plant.append(')');
            pairs.add(d.resolve("a" + j));
            pairs.add(links.resolve("l" + j));
        }
        Run planted = asNobody("sh", "-c", plant.toString());
        assertEquals(0, planted.exit(), "uid " + NOBODY + " planted " + d + ": " + planted.output());
        Process race = racer(pairs);
        try {
            sweep.run();
        } finally {
            race.destroy();
            race.waitFor(10, TimeUnit.SECONDS);
        }
        int gone = missing(victims);
        removeTree(d);
        removeTree(links);
        victims();
        return gone;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void corralOpenAsRootNeverDeletesThroughASwappedDirectory() throws Exception {
        Path shared = sharedDirectory();
        Path victims = victims();
        int rounds = 0;
        int hit = 0;
        int deleted = 0;
        for (int i = 0; i < ROUNDS; i++) {
            int n = sweepRound(shared, victims, () -> Corral.builder().runtimeDirectory(shared)
                    .baseEnvironment(TestSupport.taggedEnv()).requireHelper(true).open().close());
            rounds++;
            hit += n > 0 ? 1 : 0;
            deleted += n;
        }
        System.out.println("SymlinkAttackTest: Corral.open() as root, " + rounds + " starts racing rename_exchange: "
                + hit + " deleted root's files (" + deleted + " files)");
        assertEquals(0, deleted, hit + " of " + rounds + " starts deleted " + deleted + " of root's files");
    }

    /** A stale runtime directory of root's own (owner pid gone), as a killed JVM leaves one. */
    static Path staleOwnDirectory(Path parent) throws IOException {
        Path d = org.corral.supervisor.internal.fs.PrivateFiles.createDirectory(parent, "corral-0-" + hex12());
        org.corral.supervisor.internal.fs.PrivateFiles.writeNew(d, "owner", "4194303 1\n".getBytes(StandardCharsets.US_ASCII));
        Files.createDirectory(d.resolve("sub"));
        Files.writeString(d.resolve("sub").resolve("file"), "x");
        Files.createSymbolicLink(d.resolve("link"), tmp().resolve("victim"));
        return d;
    }

    private static Path sharedTmp;

    private static Path tmp() {
        return sharedTmp;
    }

    /**
     * The sweep's own checks, as a user other than root applies them in a sticky shared directory such as /tmp
     * ({@code sweepEntries}; root does not sweep a shared directory at all): the attacker's directories are left
     * alone, root's own stale ones (with a link to the victims inside) are removed, no victim is touched.
     */
    @Test
    void theSweepItselfNeverDeletesThroughASwappedDirectory() throws Exception {
        Path shared = sharedDirectory();
        Path victims = victims();
        sharedTmp = tmp;
        int hit = 0;
        int deleted = 0;
        int ownRemoved = 0;
        for (int i = 0; i < ROUNDS; i++) {
            Path own = staleOwnDirectory(shared);
            int n = sweepRound(shared, victims, () -> RuntimeDir.sweepEntries(shared, 0));
            hit += n > 0 ? 1 : 0;
            deleted += n;
            ownRemoved += Files.exists(own, LinkOption.NOFOLLOW_LINKS) ? 0 : 1;
            removeTree(own);
        }
        System.out.println("SymlinkAttackTest: the sweep as root, " + ROUNDS + " sweeps racing rename_exchange: " + hit
                + " deleted root's files (" + deleted + " files); root's own stale directories removed: " + ownRemoved
                + " of " + ROUNDS);
        assertEquals(0, deleted, hit + " of " + ROUNDS + " sweeps deleted " + deleted + " of root's files");
        assertEquals(ROUNDS, ownRemoved, "root's own stale directories are still swept");
        assertEquals(VICTIMS, VICTIMS - missing(victims));
    }

    /** Root never sweeps (nor uses) a directory that others can write into, even a stale directory of its own there. */
    @Test
    void rootDoesNotSweepASharedDirectory() throws Exception {
        Path shared = sharedDirectory();
        sharedTmp = tmp;
        victims();
        Path own = staleOwnDirectory(shared);
        assertEquals(0, RuntimeDir.sweepStale(shared));
        assertTrue(Files.isDirectory(own, LinkOption.NOFOLLOW_LINKS), own + " left alone");
        removeTree(own);
    }

    /** Karaf's data/tmp under a deep installation: longer than a socket path allows under it. */
    Path longPrivateParent() throws IOException {
        Path p = Files.createDirectories(tmp.resolve("karaf-installed-rather-deep-" + "d".repeat(60)).resolve("data")
                .resolve("tmp"));
        assertTrue(p.toString().getBytes(StandardCharsets.UTF_8).length > 67, p.toString());
        return p;
    }

    static Corral open(Path parent) {
        return Corral.builder().runtimeDirectory(parent).baseEnvironment(TestSupport.taggedEnv()).requireHelper(true)
                .open();
    }

    /** Whether another user could create, rename or remove entries in {@code dir} or above it. */
    static String sharedAncestor(Path dir) throws IOException {
        for (Path p = dir; p != null; p = p.getParent()) {
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0022) != 0 || uid != 0) {
                return p + " (mode " + Integer.toOctalString(mode & 07777) + ", uid " + uid + ")";
            }
        }
        return null;
    }

    @Test
    void aLongKarafDataDirectoryDoesNotSendTheRuntimeDirectoryToASharedOne() throws Exception {
        Path parent = longPrivateParent();
        try (Corral c = open(parent)) {
            Path rd = ((HelperEngine) c.engine()).runtimeDir();
            String shared = sharedAncestor(rd);
            System.out.println("SymlinkAttackTest: parent of " + parent.toString().length() + " bytes -> runtime directory "
                    + rd + (shared == null ? "" : ", under the shared " + shared));
            assertEquals(null, shared, "runtime directory " + rd + " lies in a directory others can write");
            assertEquals("ok\n", c.run("echo", "ok").stdoutText());
        }
    }

    /** Detaches a sleeping program (what a bundle:update of the supervisor does) and takes it back to stop it. */
    static HandOff detachAndStop(Corral c) throws Exception {
        CommandSpec spec = CommandSpec.builder(prog("sleep_ms"), "60000").grace(Duration.ofMillis(200)).build();
        RunningProgram p = c.engine().launch(spec, null);
        p.started().get(20, TimeUnit.SECONDS);
        HandOff off;
        try {
            off = c.engine().detach(p, Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.stop().get(20, TimeUnit.SECONDS);
            throw e;
        }
        RunningProgram back = c.engine().attach(off, spec, null);
        back.stop();
        back.completion().get(20, TimeUnit.SECONDS);
        return off;
    }

    @Test
    void aPlantedHandOverDirectoryWithAnOwnerSymlinkDoesNotGetRootToWriteThroughIt() throws Exception {
        Path victim = Files.writeString(tmp.resolve("root-owned-file"), "precious\n");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
        try (Corral c = open(longPrivateParent())) {
            Path rd = ((HelperEngine) c.engine()).runtimeDir();
            Path h = rd.resolveSibling(rd.getFileName() + "-h");
            Run plant = asNobody("sh", "-c", "mkdir " + h + " && ln -s " + victim + " " + h + "/owner");
            if (plant.exit() == 0) {
                attackerEntries.add(h);
            }
            System.out.println("SymlinkAttackTest: uid " + NOBODY + " plants " + h + " with owner -> " + victim
                    + ": exit " + plant.exit() + (plant.output().isEmpty() ? "" : " (" + plant.output() + ")"));
            HandOff off = detachAndStop(c);
            Path sockets = off.socket().getParent();
            String content = Files.readString(victim);
            int uid = (Integer) Files.getAttribute(sockets, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            System.out.println("SymlinkAttackTest: hand-over socket " + off.socket() + " in a directory of uid " + uid
                    + "; root's file now reads " + content.trim());
            assertEquals("precious\n", content, "root's file was overwritten through the planted owner link");
            assertEquals(0, uid, "hand-over sockets in " + sockets + ", a directory of uid " + uid);
            assertFalse(Files.isSymbolicLink(sockets), sockets + " is a symbolic link");
            HelperHandOver.deleteDir(sockets);
        }
    }

    @Test
    void aHandOverDirectoryPlantedAsASymlinkDoesNotReceiveRootsFilesOrSockets() throws Exception {
        Path attackers = Files.createTempDirectory(Path.of("/tmp"), "corral-sec-attacker-");
        attackerEntries.add(attackers);
        Files.setAttribute(attackers, "unix:uid", NOBODY);
        Files.setAttribute(attackers, "unix:gid", NOBODY);
        Files.setPosixFilePermissions(attackers, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (Corral c = open(longPrivateParent())) {
            Path rd = ((HelperEngine) c.engine()).runtimeDir();
            Path h = rd.resolveSibling(rd.getFileName() + "-h");
            Run plant = asNobody("ln", "-s", attackers.toString(), h.toString());
            if (plant.exit() == 0) {
                attackerEntries.add(h);
            }
            System.out.println("SymlinkAttackTest: uid " + NOBODY + " plants " + h + " -> " + attackers + ": exit "
                    + plant.exit() + (plant.output().isEmpty() ? "" : " (" + plant.output() + ")"));
            HandOff off = detachAndStop(c);
            Path sockets = off.socket().getParent();
            List<String> inAttackers = new ArrayList<>();
            try (var s = Files.list(attackers)) {
                s.forEach(p -> inAttackers.add(p.getFileName().toString()));
            }
            int mode = (Integer) Files.getAttribute(attackers, "unix:mode") & 0777;
            System.out.println("SymlinkAttackTest: hand-over socket " + off.socket() + "; the attacker's directory holds "
                    + inAttackers + ", mode " + Integer.toOctalString(mode));
            assertEquals(List.of(), inAttackers, "root wrote into the attacker's directory");
            assertEquals(0777, mode, "root changed the mode of the attacker's directory");
            assertEquals(sockets.toRealPath(), sockets, "hand-over sockets reached through a symbolic link");
            HelperHandOver.deleteDir(sockets);
        }
    }
}
