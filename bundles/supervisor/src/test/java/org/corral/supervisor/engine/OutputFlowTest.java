package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.corral.api.CommandSpec;
import org.corral.api.OutputConsumer;
import org.corral.api.ProcessResult;
import org.corral.api.StreamKind;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.HelperEngine;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Nothing is lost, order is kept, and a slow consumer holds the program back instead of filling memory. */
@ExtendWith(NoLeftovers.class)
class OutputFlowTest {

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
    void streamingConsumerGetsEveryChunkInOrder() throws Exception {
        List<String> order = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread[] callers = new Thread[1];
        OutputConsumer c = (stream, data) -> {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            (stream == StreamKind.STDOUT ? out : err).writeBytes(b);
            order.add(stream.name());
            callers[0] = Thread.currentThread();
        };
        ProcessResult r = corral.run(CommandSpec.builder(prog("interleave"), "500").consumer(c).build());
        StringBuilder wantOut = new StringBuilder();
        StringBuilder wantErr = new StringBuilder();
        for (int i = 1; i <= 500; i++) {
            wantOut.append("out ").append(i).append('\n');
            wantErr.append("err ").append(i).append('\n');
        }
        assertEquals(wantOut.toString(), out.toString(StandardCharsets.US_ASCII));
        assertEquals(wantErr.toString(), err.toString(StandardCharsets.US_ASCII));
        assertEquals(wantOut.toString(), r.stdoutText(), "collected as well");
        assertTrue(callers[0].getName().matches("corral-deliver-[0-9]+"), callers[0].getName());

        PrintALot check = new PrintALot();
        r = corral.run(CommandSpec.builder(prog("print_a_lot"), "7000000", "4093").consumer(check).collectOutput(false).build());
        assertEquals(7_000_000, check.count);
        assertEquals(-1, check.firstBadAt, "pattern broken (lost, repeated or reordered chunk)");
        assertEquals(7_000_000, r.stdoutBytes());
        assertEquals(0, r.stdout().length, "not collected");
    }

    @Test
    void thousandLinesWithATinyWindow() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // no cgroup: the bound below is about output bytes, and a cgroup's final STATS frame (control, ~1-10 kB,
        // sent after both EOFs) may sit in the same read buffer as the last DATA frames
        CommandSpec spec = CommandSpec.builder("seq", "1", "1000").window(4096).defaultCgroup(false)
                .consumer((s, d) -> {
                    byte[] b = new byte[d.remaining()];
                    d.get(b);
                    out.writeBytes(b);
                }).build();
        RunningProgram p = corral.engine().launch(spec);
        ProcessResult r = p.completion().get();
        StringBuilder want = new StringBuilder();
        for (int i = 1; i <= 1000; i++) {
            want.append(i).append('\n');
        }
        assertEquals(want.toString(), out.toString(StandardCharsets.US_ASCII));
        assertEquals(want.toString(), r.stdoutText());
        assertTrue(HelperEngine.maxBuffered(p) <= 4096 + 64 * 6 + 64,
                "window 4096 but " + HelperEngine.maxBuffered(p) + " bytes were buffered");
    }

    @Test
    void twoHundredMegabytesCountedExactlyTwentyTimes() throws Exception {
        for (int i = 0; i < 20; i++) {
            PrintALot check = new PrintALot();
            ProcessResult r = corral.run(CommandSpec.builder(prog("print_a_lot"), "200000000").collectOutput(false)
                    .consumer(check).build());
            assertEquals(0, r.exitCode());
            assertEquals(200_000_000L, check.count, "run " + i);
            assertEquals(200_000_000L, r.stdoutBytes(), "run " + i);
            assertEquals(-1, check.firstBadAt, "run " + i + ": pattern broken at byte " + check.firstBadAt);
        }
    }

    @Test
    void collectedOutputIsComplete() throws Exception {
        ProcessResult r = corral.run(prog("print_a_lot"), "20000000");
        byte[] out = r.stdout();
        assertEquals(20_000_000, out.length);
        PrintALot check = new PrintALot();
        check.accept(StreamKind.STDOUT, ByteBuffer.wrap(out));
        assertEquals(-1, check.firstBadAt);
    }

    @Test
    void slowConsumerKeepsTheBufferBoundedByTheWindow() throws Exception {
        int window = 64 * 1024;
        AtomicLong maxSeen = new AtomicLong();
        HelperEngine engine = (HelperEngine) corral.engine();
        long[] count = new long[1];
        CommandSpec spec = CommandSpec.builder(prog("print_a_lot"), "30000000").window(window).collectOutput(false)
                .consumer((s, d) -> {
                    count[0] += d.remaining();
                    maxSeen.accumulateAndGet(engine.bufferedBytes(), Math::max);
                    if (count[0] < 2_000_000) {
                        try {
                            Thread.sleep(2); // slow for the first 2 MB: the program must wait, not the heap grow
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }).build();
        RunningProgram p = engine.launch(spec);
        ProcessResult r = p.completion().get();
        assertEquals(30_000_000L, count[0]);
        assertEquals(30_000_000L, r.stdoutBytes());
        int oneFrame = 6 + window;
        assertTrue(HelperEngine.maxBuffered(p) <= window + oneFrame,
                "buffered " + HelperEngine.maxBuffered(p) + " > window " + window + " + one frame");
        assertTrue(maxSeen.get() <= window + oneFrame, "engine held " + maxSeen.get() + " bytes");
    }
}
