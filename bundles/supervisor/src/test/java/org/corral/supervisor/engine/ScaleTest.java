package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Many programs at once: all succeed, and the JVM's thread count does not grow with them. */
@ExtendWith(NoLeftovers.class)
class ScaleTest {

    @Test
    void twoHundredConcurrentRunsSucceed() throws Exception {
        try (Corral corral = TestSupport.open()) {
            List<CompletableFuture<ProcessResult>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                fs.add(corral.runAsync(CommandSpec.of("echo", "run " + i)));
            }
            for (int i = 0; i < 200; i++) {
                ProcessResult r = fs.get(i).get(120, TimeUnit.SECONDS);
                assertEquals(0, r.exitCode());
                assertEquals("run " + i + "\n", r.stdoutText());
            }
            // and 200 blocking callers on their own threads
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 200; i++) {
                String want = "thread " + i + "\n";
                Thread t = new Thread(() -> {
                    try {
                        ProcessResult r = corral.run("echo", want.trim());
                        if (!r.stdoutText().equals(want)) {
                            errors.add(new AssertionError(r.stdoutText() + " != " + want));
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join(120_000);
            }
            assertEquals(List.of(), errors);
        }
    }

    @Test
    void noThreadPerProcess() throws Exception {
        int before = Thread.getAllStackTraces().size();
        try (Corral corral = TestSupport.open()) {
            List<RunningProgram> ps = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                ps.add(corral.engine().launch(CommandSpec.builder(prog("sleep_ms"), "600000").grace(Duration.ZERO).build()));
            }
            for (RunningProgram p : ps) {
                p.started().get(60, TimeUnit.SECONDS);
            }
            int during = Thread.getAllStackTraces().size();
            assertTrue(during - before <= 4, "threads before " + before + ", with 100 programs running " + during
                    + ": " + Thread.getAllStackTraces().keySet());
            for (RunningProgram p : ps) {
                p.stop(Signal.KILL, Duration.ZERO);
            }
            for (RunningProgram p : ps) {
                assertEquals(Signal.KILL, p.completion().get(60, TimeUnit.SECONDS).signal().orElseThrow());
            }
        }
    }
}
