package org.corral.supervisor.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.corral.supervisor.Corral;

/**
 * Shared by the real-process tests: where the test programs are, a {@link Corral} whose programs carry
 * this JVM's tag in their environment (inherited by every descendant), and /proc scans to find what is
 * left.
 */
public final class TestSupport {

    /** Environment variable carried by every program the tests start (and their descendants). */
    public static final String TAG_VAR = "CORRAL_TEST_TAG";
    /** This JVM's tag. */
    public static final String TAG = System.getProperty("corral.test.tag", UUID.randomUUID().toString());
    private static Path runtimeParent;

    private TestSupport() {
    }

    /** Directory of the test programs (built by make into target/native/testprogs). */
    public static Path testprogs() {
        String p = System.getProperty("corral.testprogs");
        Path dir = p != null ? Path.of(p) : Path.of("target/native/testprogs").toAbsolutePath();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("test programs not built: " + dir
                    + " (run make -C native testprogs OUT=target/native)");
        }
        return dir;
    }

    /** Absolute path of one test program. */
    public static String prog(String name) {
        return testprogs().resolve(name).toString();
    }

    /** The parent of every runtime directory these tests create (one per test JVM). */
    public static synchronized Path runtimeParent() {
        if (runtimeParent == null) {
            try {
                runtimeParent = Files.createTempDirectory("corral-sv-test-");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Path dir = runtimeParent;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                    if (!ds.iterator().hasNext()) {
                        Files.deleteIfExists(dir);
                    }
                } catch (IOException ignored) {
                    // best effort
                }
            }));
        }
        return runtimeParent;
    }

    /** The JVM's environment plus the tag. */
    public static Map<String, String> taggedEnv() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put(TAG_VAR, TAG);
        return env;
    }

    /** A Corral that requires the helper, with its runtime directory under {@link #runtimeParent()}. */
    public static Corral open() {
        return Corral.builder().runtimeDirectory(runtimeParent()).baseEnvironment(taggedEnv()).requireHelper(true).open();
    }

    /** Whether a process exists and is not a zombie. */
    public static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** Live processes whose environment holds {@code TAG_VAR=tag} ("pid cmdline" each). */
    public static List<String> tagged(String tag) {
        byte[] needle = (TAG_VAR + "=" + tag).getBytes(StandardCharsets.UTF_8);
        List<String> found = new ArrayList<>();
        for (long pid : pids()) {
            if (pid == ProcessHandle.current().pid()) {
                continue;
            }
            try {
                byte[] env = Files.readAllBytes(Path.of("/proc/" + pid + "/environ"));
                if (contains(env, needle) && alive(pid)) {
                    found.add(pid + " " + cmdline(pid));
                }
            } catch (IOException e) {
                // gone or not readable
            }
        }
        return found;
    }

    /** Live processes whose command line contains {@code text}. */
    public static List<String> withCmdline(String text) {
        List<String> found = new ArrayList<>();
        for (long pid : pids()) {
            if (pid == ProcessHandle.current().pid()) {
                continue;
            }
            String c = cmdline(pid);
            if (c.contains(text) && alive(pid)) {
                found.add(pid + " " + c);
            }
        }
        return found;
    }

    public static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static List<Long> pids() {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.isEmpty() && n.chars().allMatch(Character::isDigit)) {
                    out.add(Long.parseLong(n));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (i > 0 && hay[i - 1] != 0) {
                continue;
            }
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            if (i + needle.length == hay.length || hay[i + needle.length] == 0) {
                return true;
            }
        }
        return false;
    }

    /** Parses pids from lines of output (lines that are only digits). */
    public static List<Long> pidsIn(String text) {
        List<Long> pids = new ArrayList<>();
        for (String line : text.split("\n")) {
            String t = line.trim();
            if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
                pids.add(Long.parseLong(t));
            }
        }
        return pids;
    }

    /**
     * Waits until none of {@code pids} is alive or {@code maxMillis} passed (the bound keeps a failing test
     * from hanging; the assertion is on what is left, not on the time).
     *
     * @return the pids still alive
     */
    public static List<Long> awaitGone(List<Long> pids, long maxMillis) throws InterruptedException {
        long deadline = System.nanoTime() + maxMillis * 1_000_000L;
        while (true) {
            List<Long> left = new ArrayList<>();
            for (long p : pids) {
                if (alive(p)) {
                    left.add(p);
                }
            }
            if (left.isEmpty() || System.nanoTime() > deadline) {
                return left;
            }
            Thread.sleep(5);
        }
    }
}
