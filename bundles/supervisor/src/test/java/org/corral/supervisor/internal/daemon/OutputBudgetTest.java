package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.corral.api.CommandSpec;
import org.corral.api.DaemonSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.Readiness;
import org.corral.api.StreamKind;
import org.junit.jupiter.api.Test;

/** Issue 11.3: the byte budgets of the daemons' output, their accounting and their checks. */
class OutputBudgetTest {

    private static String line(int n) {
        return "x".repeat(n);
    }

    @Test
    void theRingIsBoundedInBytesAsWellAsInLines() {
        RecentLines r = new RecentLines(1000, 10 * (OutputBudget.LINE_COST + 100), null);
        for (int i = 0; i < 50; i++) {
            r.add(StreamKind.STDOUT, line(100));
        }
        assertEquals(10, r.last(1000).size());
        assertEquals(10 * (OutputBudget.LINE_COST + 100), r.bytes());
        r.add(StreamKind.STDOUT, line(450)); // 546 bytes: three lines of 196 go to make room
        assertEquals(8, r.last(1000).size());
        assertEquals(line(450), r.last(1).get(0));
        // characters above U+00FF take two bytes
        assertEquals(OutputBudget.LINE_COST + 6, RecentLines.weight("\u20ac\u20ac\u20ac"));
        assertEquals(OutputBudget.LINE_COST + 3, RecentLines.weight("\u00e9t\u00e9"));
    }

    @Test
    void overTheTotalTheLargestRingGivesUpItsOldestLinesFirst() {
        OutputMemory m = new OutputMemory(new OutputBudget(64 * 1024, 100 * 1024));
        RecentLines big = new RecentLines(100_000, 60 * 1024, m);
        RecentLines small = new RecentLines(100_000, 60 * 1024, m);
        for (int i = 0; i < 20; i++) {
            small.add(StreamKind.STDOUT, line(1000));
        }
        long smallBefore = small.bytes();
        for (int i = 0; i < 1000; i++) {
            big.add(StreamKind.STDOUT, line(1000));
        }
        assertTrue(m.used() <= 100 * 1024, "total " + m.used());
        assertEquals(m.used(), big.bytes() + small.bytes());
        assertEquals(smallBefore, small.bytes(), "the small ring keeps its lines");
        assertTrue(big.bytes() <= 60 * 1024);
        // a ring that leaves (its daemon is gone) no longer counts, and keeps its lines for whoever reads them
        long held = big.bytes();
        big.leaveBudget();
        assertEquals(small.bytes(), m.used());
        assertEquals(held, big.bytes());
    }

    @Test
    void aPartialLineThatCannotGrowIsCutShorter() {
        OutputMemory m = new OutputMemory(new OutputBudget(64 * 1024, 64 * 1024));
        RecentLines filler = new RecentLines(100_000, 64 * 1024, m);
        List<String> lines = new ArrayList<>();
        LineSplitter.Memory counted = new LineSplitter.Memory() {
            @Override
            public boolean grow(int bytes) {
                return m.reserve(bytes);
            }

            @Override
            public void shrink(int bytes) {
                m.add(-bytes);
            }
        };
        LineSplitter s = new LineSplitter(StreamKind.STDOUT, 16 * 1024,
                (k, b, n) -> lines.add(new String(b, 0, n, StandardCharsets.US_ASCII)), counted);
        s.feed(ByteBuffer.wrap(line(10_000).getBytes(StandardCharsets.US_ASCII)));
        // the ring is empty: the line's buffer may take the room (the buffer is counted)
        assertEquals(16 * 1024 - 256, m.used());
        s.feed(ByteBuffer.wrap("\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(List.of(line(10_000)), lines);
        assertEquals(0, m.used(), "a large buffer goes back after its line");
        // other daemons' partial lines take (nearly) everything and no ring has lines to give up: the next long
        // line cannot grow its buffer past the total and is cut where the buffer is full
        filler.leaveBudget();
        m.add(64 * 1024 - 600);
        lines.clear();
        s.feed(ByteBuffer.wrap((line(3000) + "\n").getBytes(StandardCharsets.US_ASCII)));
        assertEquals(6, lines.size(), "cut into pieces of 512 bytes: " + lines.size());
        assertEquals(512, lines.get(0).length());
        assertEquals(line(3000), String.join("", lines));
        assertTrue(m.used() <= 64 * 1024);
    }

    @Test
    void checksNameTheSettingTheBudgetAndTheLimit() {
        OutputBudget b = OutputBudget.DEFAULT;
        assertNull(b.maxLineProblem(256 * 1024));
        assertNull(b.linesProblem(10922));
        assertTrue(b.maxLineProblem(256 * 1024 + 1).contains("at most 256K here"));
        assertTrue(b.linesProblem(10923).contains("at most 10922 here"));
        DaemonSpec spec = DaemonSpec.builder("huge", CommandSpec.of("true")).recentLines(100_000)
                .maxLineLength(1 << 20).readiness(Readiness.logLine("(a)\\1")).build();
        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> DaemonSupervisor.checkOutput(spec, b));
        assertTrue(e.getMessage().startsWith("daemon 'huge': max line length 1048576 bytes: "), e.getMessage());
        assertTrue(e.getMessage().contains("recent lines 100000: "), e.getMessage());
        assertTrue(e.getMessage().contains("readiness log pattern '(a)\\1': cannot be matched in linear time: "
                + "backreferences"), e.getMessage());
    }

    @Test
    void budgetsComeFromPropertiesAndBadOnesAreNamed() {
        Map<String, String> props = new HashMap<>();
        List<String> errors = new ArrayList<>();
        props.put(OutputBudget.DAEMON_PROPERTY, "2M");
        props.put(OutputBudget.TOTAL_PROPERTY, "32M");
        assertEquals(new OutputBudget(2 << 20, 32 << 20), OutputBudget.fromProperties(props::get, (p, w) -> errors.add(p + ": " + w)));
        props.put(OutputBudget.DAEMON_PROPERTY, "lots");
        props.put(OutputBudget.TOTAL_PROPERTY, "1K");
        assertEquals(OutputBudget.DEFAULT, OutputBudget.fromProperties(props::get, (p, w) -> errors.add(p + ": " + w)));
        assertEquals(2, errors.size(), errors.toString());
        assertTrue(errors.get(0).startsWith("org.corral.output.memory.daemon: 'lots': "), errors.toString());
        assertTrue(errors.get(1).startsWith("org.corral.output.memory.total: '1K' is below"), errors.toString());
        props.put(OutputBudget.DAEMON_PROPERTY, "8M");
        props.put(OutputBudget.TOTAL_PROPERTY, "4M"); // below one daemon's
        errors.clear();
        assertEquals(new OutputBudget(8 << 20, 8 << 20), OutputBudget.fromProperties(props::get, (p, w) -> errors.add(p + ": " + w)));
        assertEquals(1, errors.size(), errors.toString());
    }

    @Test
    void linePatternsExplainWhatTheLinearMatcherCannotDo() {
        assertTrue(LinePattern.compile("(.*,){8}X").find(",,,,,,,,X"));
        assertTrue(!LinePattern.compile("(.*,){8}X").find(",".repeat(100_000)));
        assertTrue(LinePattern.compile("^listening on port \\d+").find("listening on port 80"));
        assertNull(LinePattern.problem("\\bready\\b"));
        assertTrue(LinePattern.problem("(a)\\1").contains("backreferences"));
        assertTrue(LinePattern.problem("(?<n>a)\\k<n>").contains("backreferences"));
        assertTrue(LinePattern.problem("a(?!b)").contains("lookahead and lookbehind"));
        assertTrue(LinePattern.problem("(?<=a)b").contains("lookahead and lookbehind"));
        assertTrue(LinePattern.problem("(?>a)").contains("atomic groups"));
        assertTrue(LinePattern.problem("a++").contains("possessive"));
        assertTrue(LinePattern.problem("end\\Z").contains("\\z is"));
        assertTrue(LinePattern.problem("x{2000}").contains("invalid repeat count"), LinePattern.problem("x{2000}"));
    }
}
