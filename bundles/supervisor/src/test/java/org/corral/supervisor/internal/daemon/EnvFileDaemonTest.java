package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ProcessResult;
import org.corral.api.Readiness;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * env.file with real programs (issue 12.1): read at every start; a file others may read is a failed start under
 * the restart policy whose reason names the file and the cause, never a value; fixed, the next start gets the
 * variables, and an edit applies at the next restart.
 */
@ExtendWith(NoLeftovers.class)
class EnvFileDaemonTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    static Corral corral;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    @Test
    void aRunReadsTheFile() throws Exception {
        Path f = dir.resolve("run.env");
        Files.writeString(f, "GREETING=hello from the file\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        ProcessResult r = corral.run(CommandSpec.builder("/bin/sh", "-c", "echo \"$GREETING\"").envFile(f).build());
        assertEquals("hello from the file\n", r.stdoutText());
    }

    @Test
    void aBadFileIsAFailedStartAndAFixedOneIsReadAtTheNextStart() throws Exception {
        Path f = dir.resolve("app.env");
        Files.writeString(f, "TOKEN=first-secret\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        SupervisedDaemon d = (SupervisedDaemon) corral.start(DaemonSpec.builder("envfile",
                CommandSpec.builder("/bin/sh", "-c", "echo \"token $TOKEN\"; exec sleep 600").envFile(f).build())
                .restartDelay(Duration.ofMillis(500)).intensity(1, Duration.ofMinutes(1)).readiness(Readiness.logLine("^token ")).build());
        List<Map<String, Object>> failed = new CopyOnWriteArrayList<>();
        d.addListener(new DaemonListener() {
            @Override
            public void event(SupervisedDaemon daemon, String topic, Map<String, Object> properties) {
                if (topic.equals(DaemonEvents.FAILED)) {
                    failed.add(properties);
                }
            }
        });
        try {
            // the first try fails and backs off (the restart policy applies), the second makes it FAILED
            d.await(Set.of(DaemonState.FAILED), WAIT);
            assertEquals(1, d.restarts());
            assertTrue(d.lastExit().isEmpty(), "it never ran");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (failed.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10); // the event follows the state change on the delivery thread
            }
            String reason = String.valueOf(failed.get(0).get(DaemonEvents.REASON));
            assertTrue(reason.contains("could not start: env.file " + f + ": is readable by group or others (mode"
                    + " 0644)"), reason);
            assertFalse(reason.contains("first-secret"), reason);
            assertTrue(d.recentLines(10).isEmpty(), d.recentLines(10).toString());

            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            d.start();
            d.await(Set.of(DaemonState.READY), WAIT);
            assertEquals(List.of("token first-secret"), d.recentLines(10));
            assertFalse(d.spec().command().env().containsKey("TOKEN"), "the spec never holds the file's values");

            Files.writeString(f, "TOKEN=second-secret\n");
            d.restart();
            d.await(Set.of(DaemonState.READY), WAIT);
            assertEquals("token second-secret", d.recentLines(1).get(0), "read again at the restart");
        } finally {
            d.stop();
        }
    }
}
