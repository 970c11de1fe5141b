package org.corral.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.corral.itests.support.Await;
import org.corral.itests.support.ItestPaths;
import org.corral.itests.support.KarafClient;
import org.corral.itests.support.KarafProcess;
import org.corral.itests.support.Procs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, finding 5, on the distribution as an operator runs it ({@code bin/karaf server}, through its
 * {@code bin/setenv}): daemon configurations carry secrets ({@code env.*}), and another local user (uid 65534,
 * through {@code setpriv}) must not read them from any copy: the {@code .cfg} that {@code corral:create} writes,
 * Config Admin's own store under {@code data/}, or {@code karaf.log}, which never repeats them anyway.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FileModesIT {

    private static final Duration BOOT = Duration.ofMinutes(3);
    private static final int NOBODY = 65534;
    private static final String TOKEN = "s3cr3t-API-TOKEN-4711";
    private static final String DBPASS = "hunter2-DBPASS-0815";

    private final List<KarafProcess> karafs = new ArrayList<>();
    private final List<Path> progDirs = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (KarafProcess k : karafs) {
            try {
                k.stop(Duration.ofMinutes(2));
            } catch (AssertionError e) {
                System.out.println("FileModesIT: " + e.getMessage());
            }
            k.close();
            Procs.killSurvivors(Procs.runningFrom(k.home()));
        }
        for (Path dir : progDirs) {
            Procs.killSurvivors(Procs.runningFrom(dir));
        }
    }

    static int mode(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static String octal(int mode) {
        return String.format("%04o", mode);
    }

    /** What uid 65534 gets from {@code command} (stdout and stderr), and its exit status. */
    static String[] asNobody(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups", "--"));
        cmd.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd + " finished");
            return new String[] {Integer.toString(p.exitValue()), out};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Config Admin's stored copy of daemon {@code name} ({@code data/cache/bundle<id>/data/config/...}). */
    static List<Path> storedCopies(KarafProcess k, String name) {
        String file = "daemon%007e" + name + ".config";
        try (Stream<Path> s = Files.walk(k.home().resolve("data/cache"))) {
            return s.filter(p -> p.getFileName().toString().equals(file)).collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String modes(Path from, Path to) {
        StringBuilder sb = new StringBuilder();
        for (Path p = to; p != null && p.startsWith(from); p = p.getParent()) {
            sb.insert(0, p.getFileName() + " " + octal(mode(p)) + (sb.length() == 0 ? "" : ", "));
        }
        return sb.toString();
    }

    @Test
    void anotherUserReadsNoSecretOfADaemonAndNoLog() throws Exception {
        assumeTrue(Stream.of("/usr/bin/setpriv", "/bin/setpriv").anyMatch(p -> Files.isExecutable(Path.of(p))),
                "setpriv is needed to act as uid " + NOBODY);
        Path progs = ItestPaths.privateTestprogs("FileModesIT");
        progDirs.add(progs);
        KarafProcess k = KarafProcess.unpack("filemodes");
        karafs.add(k);
        KarafClient.addUser(k);
        // the home and the path to it can be passed by others, as an installation under /opt can
        for (Path p = k.home(); p != null; p = p.getParent()) {
            assumeTrue((mode(p) & 0001) != 0, p + " cannot be passed by others (mode " + octal(mode(p))
                    + "): the test would prove nothing");
            // a directory others may write into is fine only with the sticky bit (as /tmp): then they cannot
            // rename or remove what root put there
            assertTrue((mode(p) & 0002) == 0 || (mode(p) & 01000) != 0, p + " is writable by others and not sticky"
                    + " (mode " + octal(mode(p)) + ")");
        }
        k.start();

        // a daemon created at the console with a secret in its environment
        String out = KarafClient.execute(k, "corral:create -e API_TOKEN=" + TOKEN + " fm-created -- "
                + progs.resolve("sleep_ms") + " 600000", BOOT);
        Path cfg = k.home().resolve("etc/org.corral.daemon-fm-created.cfg");
        assertTrue(Files.exists(cfg), "corral:create wrote " + cfg + ": " + out);
        // a configuration with mistakes next to secrets: its errors are logged, the secrets are not
        // written by the operator, who keeps a file with secrets to itself (the README says so)
        Path badCfg = k.home().resolve("etc/org.corral.daemon-fm-bad.cfg");
        Path tmp = Files.createTempFile(k.home().resolve("etc"), ".fm-bad", ".tmp"); // 0600
        Files.writeString(tmp, "name = fm-bad\ncommand = " + progs.resolve("sleep_ms") + "\nenv.DB\\=PASS = " + DBPASS
                + "\nevn.DBPASS = " + DBPASS + "\nrestart = sometimes\n", StandardCharsets.ISO_8859_1);
        Files.move(tmp, badCfg, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Await.until("the errors of fm-bad in karaf.log", BOOT, () -> read(k.log()).contains("fm-bad")
                && read(k.log()).contains("sometimes") && read(k.log()).contains("evn.DBPASS"), k::logExcerpt);
        Await.until("Config Admin's copy of fm-created", BOOT, () -> storedCopies(k, "fm-created").size() == 1,
                k::logExcerpt);
        Path stored = storedCopies(k, "fm-created").get(0);
        assertTrue(Files.readString(stored).contains(TOKEN), "the stored copy holds the secret: " + stored);

        Path data = k.home().resolve("data");
        System.out.println("FileModesIT: " + k.home().relativize(cfg) + " " + octal(mode(cfg)) + "; "
                + modes(k.home(), stored) + "; karaf.log " + octal(mode(k.log())));

        // the modes: nothing of these for others
        assertEquals(0600, mode(cfg), "mode of " + cfg + " (corral:create)");
        assertEquals(0, mode(stored) & 0007, "mode of Config Admin's copy " + stored + ": " + octal(mode(stored)));
        assertEquals(0, mode(k.log()) & 0007, "mode of " + k.log() + ": " + octal(mode(k.log())));
        assertEquals(0, mode(data) & 0007, "mode of " + data + ": " + octal(mode(data)));
        for (Path p = stored.getParent(); !p.equals(data); p = p.getParent()) {
            assertEquals(0, mode(p) & 0007, "mode of " + p + ": " + octal(mode(p)));
        }

        // and what another user actually gets
        for (Path p : List.of(stored, k.log(), cfg)) {
            String[] r = asNobody("cat", p.toString());
            System.out.println("FileModesIT: uid " + NOBODY + " reads " + k.home().relativize(p) + ": exit " + r[0]
                    + " (" + r[1].substring(r[1].lastIndexOf(':') + 1).trim() + ")");
            assertNotEquals("0", r[0], "uid " + NOBODY + " read " + p);
        }
        String[] grep = asNobody("grep", "-rlF", "-e", TOKEN, "-e", DBPASS, k.home().toString());
        List<String> found = grep[1].lines().filter(l -> !l.contains("Permission denied")).collect(Collectors.toList());
        System.out.println("FileModesIT: uid " + NOBODY + " finds the secrets in " + found);
        assertEquals(List.of(), found, "files under " + k.home() + " that uid " + NOBODY + " reads the secrets from");

        // karaf.log names the mistakes but repeats no secret
        String log = Files.readString(k.log());
        assertFalse(log.contains(TOKEN), "karaf.log repeats " + TOKEN);
        assertFalse(log.contains(DBPASS), "karaf.log repeats " + DBPASS);
        assertTrue(log.contains("env.DB=PASS: invalid environment variable name 'DB=PASS'"),
                "the bad env key is named" + k.logExcerpt());
        assertTrue(log.contains("evn.DBPASS: unknown key, ignored (did you mean env.DBPASS?)"),
                "the mistyped key is named" + k.logExcerpt());

        // a .cfg written by hand under the usual umask 022 (0644) with a secret in it: the operator is told
        Path open = k.home().resolve("etc/org.corral.daemon-fm-open.cfg");
        Files.writeString(open, "name = fm-open\ncommand = " + progs.resolve("sleep_ms") + "\nargs = 600000\n"
                + "env.API_TOKEN = " + TOKEN + "\n", StandardCharsets.ISO_8859_1);
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        String warning = "Daemon configuration " + open + " holds env.API_TOKEN and every local user may read it"
                + " (mode 0644): chmod 600 " + open;
        Await.until("the warning about " + open, BOOT, () -> read(k.log()).contains(warning), k::logExcerpt);
        assertFalse(read(k.log()).contains(TOKEN), "karaf.log repeats " + TOKEN);
    }
}
