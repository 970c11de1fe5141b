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

    @Test
    void stderrCannotBeMergedIntoADiscardedStdout() {
        assertThrows(InvalidCommandException.class, () -> CommandSpec.builder("true").stdout(StdoutMode.DISCARD)
                .stderr(StderrMode.MERGE).build());
    }
}
