package org.corral.supervisor.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that left something behind: a live process carrying this JVM's tag (a program or
 * descendant), a helper or broker still running from a runtime directory of these tests, or a runtime
 * directory (with its helper copy) that was not removed. Runs after the class's own {@code @AfterAll}
 * (which closes its Corral).
 */
public final class NoLeftovers implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        List<String> left = leftovers();
        if (!left.isEmpty()) {
            // a teardown that is still finishing (SIGKILL sent, not reaped yet) gets a moment; a leak does not go away
            Thread.sleep(500);
            left = leftovers();
        }
        if (!left.isEmpty()) {
            // report them, but do not let them disturb the next class or run
            for (String s : left) {
                killQuietly(s);
            }
            try (java.util.stream.Stream<Path> s = Files.walk(TestSupport.runtimeParent())) {
                s.sorted(java.util.Comparator.reverseOrder())
                        .filter(p -> !p.equals(TestSupport.runtimeParent()))
                        .forEach(p -> p.toFile().delete());
            }
        }
        assertEquals(List.of(), left, context.getDisplayName() + " left processes or files behind");
    }

    /** What is left now. */
    public static List<String> leftovers() throws IOException {
        List<String> left = new ArrayList<>();
        for (String p : TestSupport.tagged(TestSupport.TAG)) {
            left.add("program " + p);
        }
        String parent = TestSupport.runtimeParent().toString();
        for (String p : TestSupport.withCmdline(parent)) {
            left.add("helper " + p);
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(TestSupport.runtimeParent())) {
            for (Path d : ds) {
                left.add("runtime directory " + d + (Files.exists(d.resolve("corral-helper")) ? " (with its helper copy)" : ""));
            }
        }
        return left;
    }

    private static void killQuietly(String entry) {
        String[] f = entry.split(" ");
        if (f.length > 1 && !f[1].isEmpty() && f[1].chars().allMatch(Character::isDigit)) {
            ProcessHandle.of(Long.parseLong(f[1])).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
