package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.InvalidCommandException;
import org.corral.api.ProcessResult;
import org.corral.api.Readiness;
import org.corral.api.StderrMode;
import org.corral.api.StdoutMode;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 12.8, MuonTrap's {@code capture_stderr_only}: stdout to /dev/null (the protocol's STDOUT_MODE 2) while
 * stderr is kept, for a run and for a daemon.
 */
@ExtendWith(NoLeftovers.class)
class StdoutDiscardTest {

    /** The shell's own fd 1, read while no redirection of the shell's is in place, said on stderr. */
    private static final String FD1 = "fd1=$(readlink /proc/$$/fd/1); echo \"$fd1\" >&2";

    private static final String CHATTY = "seq 1 20000; echo 'only this' >&2";

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    @Test
    void aRunKeepsOnlyStderr() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder("/bin/sh", "-c", CHATTY).stdout(StdoutMode.DISCARD).build());
        assertEquals(0, r.exitCode());
        assertEquals(0, r.stdout().length);
        assertEquals("only this\n", new String(r.stderr(), StandardCharsets.UTF_8));
        r = corral.run(CommandSpec.builder("/bin/sh", "-c", FD1).stdout(StdoutMode.DISCARD)
                .build());
        assertEquals("/dev/null\n", new String(r.stderr(), StandardCharsets.UTF_8), "the helper opened /dev/null as fd 1");
    }

    @Test
    void aDaemonLogsOnlyStderr() throws Exception {
        Daemon d = corral.start(DaemonSpec.builder("stderr-only", CommandSpec.builder("/bin/sh", "-c",
                CHATTY + "; exec sleep 600").stdout(StdoutMode.DISCARD).build())
                .readiness(Readiness.logLine("^only this$")).build());
        try {
            d.await(Set.of(DaemonState.READY), Duration.ofSeconds(20));
            assertEquals(List.of("only this"), d.recentLines(100));
            assertEquals(0, d.stdoutBytes(), "stdout never reached the JVM");
            assertEquals(10, d.stderrBytes());
        } finally {
            d.stop();
        }
    }

    /**
     * A GiB written to a discarded stdout goes to /dev/null in the program itself: the helper hands it
     * /dev/null as fd 1, so not one byte crosses the helper's socket (stdoutBytes stays 0: nothing to log,
     * keep or buffer), and the program is never held up by a reader; stderr is still read, logged and kept.
     */
    @Test
    void aFloodOnTheDiscardedStdoutNeverReachesTheJvm() throws Exception {
        String flood = "head -c 1073741824 /dev/zero; " + FD1 + "; echo flooded >&2; exec sleep 600";
        Daemon d = corral.start(DaemonSpec.builder("stdout-flood", CommandSpec.builder("/bin/sh", "-c", flood)
                .stdout(StdoutMode.DISCARD).build()).readiness(Readiness.logLine("^flooded$")).build());
        try {
            d.await(Set.of(DaemonState.READY), Duration.ofSeconds(120));
            assertEquals(List.of("/dev/null", "flooded"), d.recentLines(100), "fd 1 of the program is /dev/null");
            assertEquals(0, d.stdoutBytes(), "not one byte of stdout reached the JVM");
            assertEquals("/dev/null\nflooded\n".length(), d.stderrBytes());
        } finally {
            d.stop();
        }
        ProcessResult r = corral.run(CommandSpec.builder("/bin/sh", "-c", "head -c 1073741824 /dev/zero;"
                + " echo done >&2").stdout(StdoutMode.DISCARD).build());
        assertEquals(0, r.exitCode());
        assertEquals(0, r.stdout().length);
        assertEquals("done\n", new String(r.stderr(), StandardCharsets.UTF_8));
    }

    @Test
    void stderrCannotBeMergedIntoADiscardedStdout() {
        assertThrows(InvalidCommandException.class, () -> CommandSpec.builder("true").stdout(StdoutMode.DISCARD)
                .stderr(StderrMode.MERGE).build());
    }
}
