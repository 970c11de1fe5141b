package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
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

/**
 * Issue 12.2 with real programs: a daemon that writes terminal control sequences (retitle: ESC ] 0 ; text BEL,
 * clear: ESC [ 2 J) and binary output. Its recent lines, their followers and the JMX view get the escaped text
 * and a summary of the binary line; a one-shot run still gets the exact bytes.
 */
@ExtendWith(NoLeftovers.class)
class DaemonOutputEscapingTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** The two sequences, then 3000 random bytes (newlines replaced), then a marker line. */
    private static final String SCRIPT = "printf '\\033]0;owned\\007 and \\033[2J cleared\\n'; "
            + "head -c 3000 /dev/urandom | tr '\\n' x; echo; echo done; exec sleep 600";

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    private static boolean hasControl(String s) {
        return s.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f));
    }

    @Test
    void aDaemonCannotReachTheTerminalThroughItsOutput() throws Exception {
        List<String> followed = Collections.synchronizedList(new ArrayList<>());
        Daemon d = corral.start(DaemonSpec.builder("escapes", CommandSpec.builder("/bin/sh", "-c", SCRIPT).build())
                .readiness(Readiness.logLine("^done$")).build());
        Daemon.Subscription sub = d.followLines(100, followed::add);
        try {
            d.await(Set.of(DaemonState.READY), WAIT);
            List<String> lines = d.recentLines(10);
            assertEquals(3, lines.size(), lines.toString());
            assertEquals("\\x1b]0;owned\\x07 and \\x1b[2J cleared", lines.get(0));
            assertEquals("[3000 bytes of binary output]", lines.get(1));
            assertEquals("done", lines.get(2));
            for (String l : lines) {
                assertFalse(hasControl(l), "no control character reaches the recent lines: " + l);
            }
            assertEquals(lines, List.copyOf(followed), "followers get the same safe text");
            String[] jmx = (String[]) ManagementFactory.getPlatformMBeanServer()
                    .getAttribute(DaemonMBeans.objectName("escapes"), "RecentLines");
            assertEquals(lines, List.of(jmx), "and so does JMX");
        } finally {
            sub.close();
            d.stop();
        }
    }

    @Test
    void aRunGetsTheExactBytes() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder("/bin/sh", "-c", "printf '\\033[2J\\001\\377'").build());
        assertTrue(java.util.Arrays.equals(new byte[] {0x1b, '[', '2', 'J', 1, (byte) 0xff}, r.stdout()),
                java.util.Arrays.toString(r.stdout()));
    }
}
