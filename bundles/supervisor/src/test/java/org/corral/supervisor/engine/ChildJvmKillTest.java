package org.corral.supervisor.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.corral.supervisor.Corral;
import org.corral.supervisor.support.ChildJvmMain;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The owner JVM dies with kill -9 while inside run(): every program and descendant dies with it. */
@ExtendWith(NoLeftovers.class)
class ChildJvmKillTest {

    @Test
    void killMinus9OfTheJvmLeavesNoSurvivor() throws Exception {
        Path parent = Files.createTempDirectory(TestSupport.runtimeParent(), "child-");
        Process[] started = new Process[1];
        try {
            killedJvm(parent, started);
        } finally {
            if (started[0] != null) {
                started[0].destroyForcibly();
            }
            if (Files.exists(parent)) {
                try (Stream<Path> s = Files.walk(parent)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private void killedJvm(Path parent, Process[] started) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", cp, "-Dcorral.test.tag=" + TestSupport.TAG,
                ChildJvmMain.class.getName(), parent.toString(), TestSupport.testprogs().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        started[0] = child;
        List<Long> pids = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
            String line;
            boolean ready = false;
            // the tree's "ready" and the daemonized grandchild's pid line may come in either order
            while (!(ready && pids.size() >= 21) && (line = r.readLine()) != null) {
                if (line.equals("ready")) {
                    ready = true;
                } else if (!line.isBlank() && line.trim().chars().allMatch(Character::isDigit)) {
                    pids.add(Long.parseLong(line.trim()));
                }
            }
            assertTrue(ready && pids.size() >= 21, "the child JVM ended early; pids so far " + pids);
        }
        // 20 tree nodes + the daemonized grandchild
        assertEquals(21, pids.size(), pids.toString());
        for (long p : pids) {
            assertTrue(TestSupport.alive(p), "pid " + p + " runs before the kill");
        }
        new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor();
        child.waitFor();
        assertEquals(List.of(), TestSupport.awaitGone(pids, 10_000), "survivors of the JVM's kill -9");

        // the dead JVM's runtime directory (socket, helper copy) is swept by the next Corral using the same parent
        try (Stream<Path> s = Files.list(parent)) {
            assertEquals(1, s.count(), "the killed JVM left its runtime directory");
        }
        Corral.builder().runtimeDirectory(parent).requireHelper(true).open().close();
        try (Stream<Path> s = Files.list(parent)) {
            assertFalse(s.findAny().isPresent(), "stale runtime directory swept");
        }
        Files.delete(parent);
        assertFalse(new File(parent.toString()).exists());
    }
}
