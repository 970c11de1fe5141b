package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.corral.api.DaemonExit;
import org.corral.api.DaemonState;
import org.corral.api.Signal;
import org.corral.api.StreamKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-over record built with its withers, through the file and back. */
class HandOverFileTest {

    @TempDir
    Path dir;

    private static final Instant AT = Instant.parse("2026-01-02T03:04:05Z");

    private static DaemonHandOver record(DaemonExit exit) {
        return DaemonHandOver.of("db", DaemonState.STARTING, "p2-00", 15, 700, "/usr/bin/db")
                .withCounters(3, 100, 20)
                .withRun(AT, exit)
                .withOom("corral/db", 2)
                .withProgram(null, "par".getBytes(), new byte[0])
                .withRecent(List.of(new RecentLines.Line(1, AT, StreamKind.STDERR, "a line")));
    }

    private DaemonHandOver roundTrip(DaemonHandOver h) throws Exception {
        Path file = dir.resolve(HandOverFile.NAME);
        HandOverFile.write(file, "1 2", List.of(h));
        return HandOverFile.read(file).orElseThrow().daemons().get(0);
    }

    @Test
    void everyFieldAndTheExitReasonSurviveTheFile() throws Exception {
        DaemonExit lost = new DaemonExit(77, -1, Optional.empty(), AT, true, false, DaemonExit.Reason.HELPER_LOST);
        DaemonHandOver h = record(lost);
        DaemonHandOver read = roundTrip(h);
        assertEquals(h.name(), read.name());
        assertEquals(h.state(), read.state());
        assertEquals(3, read.restarts());
        assertEquals(100, read.doneStdout());
        assertEquals(20, read.doneStderr());
        assertEquals(AT, read.startedAt());
        assertEquals(lost, read.lastExit());
        assertEquals("corral/db", read.oomPath());
        assertEquals(2, read.oomKills());
        assertEquals("p2-00", read.fingerprint());
        assertEquals(15, read.killSignal());
        assertEquals(700, read.graceMs());
        assertEquals("/usr/bin/db", read.executable());
        assertNull(read.program());
        assertArrayEquals("par".getBytes(), read.stdoutTail());
        assertEquals("a line", read.recent().get(0).text());
        assertEquals(StreamKind.STDERR, read.recent().get(0).stream());
    }

    @Test
    void fileOfTheFirstFormatWithoutAReasonGetsOneFromItsFields() throws Exception {
        DaemonHandOver h = record(new DaemonExit(77, -1, Optional.of(Signal.SEGV), AT, false, false));
        assertEquals(DaemonExit.Reason.KILLED, h.lastExit().reason());
        Path file = dir.resolve(HandOverFile.NAME);
        HandOverFile.write(file, "1 2", List.of(h));
        List<String> lines = Files.readAllLines(file);
        lines.removeIf(l -> l.startsWith("daemon.0.exit.reason"));
        Files.write(file, lines);
        assertEquals(DaemonExit.Reason.KILLED, HandOverFile.read(file).orElseThrow().daemons().get(0).lastExit().reason());
    }

    @Test
    void withoutProgramKeepsTheCountersAndDropsTheRun() {
        DaemonHandOver h = record(null).withoutProgram(DaemonState.STARTING);
        assertEquals(3, h.restarts());
        assertNull(h.startedAt());
        assertEquals(0, h.stdoutTail().length);
        assertEquals(1, h.recent().size());
    }
}
