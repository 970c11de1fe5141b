package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.corral.api.HelperLostException;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.cgroup.CgroupManager;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.HelperEngine;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.Storm;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 10.2: {@code kill -9} of the broker. A new broker starts at once; programs that were running keep
 * every guarantee: a stop ends their whole tree, and with a cgroup the loss of their helper still kills it.
 */
@ExtendWith(NoLeftovers.class)
class BrokerLossTest {

    static Corral corral;
    static CgroupManager m;
    static String base;

    @BeforeAll
    static void open() {
        m = CgroupManager.open();
        base = "corral-svtest-" + UUID.randomUUID().toString().substring(0, 8);
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() throws IOException {
        try {
            corral.close();
            Path dir = m.resolve(base);
            if (Files.isDirectory(dir)) {
                m.remove(List.of(dir));
            }
        } finally {
            m.close();
        }
    }

    private static long killBrokerAndAwaitTheNext(HelperEngine engine) throws InterruptedException {
        long broker = engine.brokerPid().orElseThrow();
        ProcessHandle.of(broker).orElseThrow().destroyForcibly();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (engine.brokerPid().orElse(broker) == broker && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        long next = engine.brokerPid().orElse(broker);
        assertNotEquals(broker, next, "a new broker was started without waiting for the next program");
        return broker;
    }

    @Test
    void helperLossAfterTheBrokerDiedStillKillsTheTreeWithACgroup() throws Exception {
        HelperEngine engine = (HelperEngine) corral.engine();
        for (int trial = 0; trial < HelperLossTest.TRIALS; trial++) {
            String tag = TestSupport.TAG + ".bloss-" + UUID.randomUUID();
            KillTest.Lines lines = new KillTest.Lines();
            RunningProgram p = engine.launch(Storm.spec(tag, base), lines);
            lines.awaitReady();
            long broker = killBrokerAndAwaitTheNext(engine);
            long helper = p.helperPid().orElseThrow();
            ProcessHandle.of(helper).orElseThrow().destroyForcibly();
            ExecutionException e = assertThrows(ExecutionException.class, () -> p.completion().get(30, TimeUnit.SECONDS));
            try {
                assertTrue(e.getCause() instanceof HelperLostException, String.valueOf(e.getCause()));
                String msg = e.getCause().getMessage();
                assertTrue(msg.startsWith("helper pid " + helper + " ended; how is unknown (its broker (pid " + broker
                        + ") is gone)"), msg);
                assertTrue(msg.contains("was killed and removed"), msg);
                assertEquals(List.of(), Storm.awaitNoneTagged(tag, 10_000), "trial " + trial + ": survivors");
            } finally {
                Storm.killAll(tag);
            }
        }
        assertEquals(List.of(), Storm.childCgroups(m, base), "no cgroup left below the test base");
        assertEquals("again\n", corral.run("echo", "again").stdoutText(), "the new broker serves the next run");
    }

    @Test
    void programsRunningWhenTheBrokerDiesAreStillStoppedWithTheirWholeTree() throws Exception {
        HelperEngine engine = (HelperEngine) corral.engine();
        String tag = TestSupport.TAG + ".bstop-" + UUID.randomUUID();
        KillTest.Lines lines = new KillTest.Lines();
        RunningProgram p = engine.launch(Storm.spec(tag, null), lines);
        lines.awaitReady();
        try {
            killBrokerAndAwaitTheNext(engine);
            assertTrue(TestSupport.tagged(tag).size() > Storm.WORKERS, "the program and its workers still run: "
                    + TestSupport.tagged(tag));
            ProcessResult r = p.stop(Signal.TERM, Duration.ofMillis(200)).get(30, TimeUnit.SECONDS);
            assertTrue(r.killed(), r.toString());
            assertEquals(List.of(), Storm.awaitNoneTagged(tag, 10_000), "survivors of the stop");
        } finally {
            Storm.killAll(tag);
        }
    }

    @Test
    void aRunStartedRightAfterTheBrokerDiedWorks() throws Exception {
        HelperEngine engine = (HelperEngine) corral.engine();
        killBrokerAndAwaitTheNext(engine);
        assertEquals("ok\n", corral.run(prog("print_args"), "ok").stdoutText().lines()
                .skip(1).findFirst().map(s -> s + "\n").orElse(""));
    }
}
