package org.corral.supervisor.internal.daemon;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 12.9: depends.on cycles (a -> b -> a) left both daemons STARTING forever with one INFO line. Now each
 * daemon of the cycle is INVALID naming the cycle, and starts once the cycle is broken; a daemon that waits
 * says for what.
 */
@ExtendWith(NoLeftovers.class)
class DependencyCycleTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    private static DaemonSpec spec(String name, String... dependsOn) {
        return DaemonSpec.builder(name, CommandSpec.builder(prog("sleep_ms"), "600000").build())
                .dependsOn(List.of(dependsOn)).build();
    }

    @Test
    void aCycleIsInvalidNamingItAndStartsOnceBroken() throws Exception {
        Daemon a = corral.start(spec("cyc-a", "cyc-b"));
        Daemon waiter = corral.start(spec("cyc-w", "cyc-a"));
        Daemon b = corral.start(spec("cyc-b", "cyc-c"));
        Daemon c = corral.start(spec("cyc-c", "cyc-a"));
        try {
            for (Daemon d : List.of(a, b, c)) {
                assertEquals(DaemonState.INVALID, d.await(Set.of(DaemonState.INVALID), WAIT), d.name());
            }
            assertEquals(List.of(new DaemonConfigValidator.Problem("depends.on", "depends.on cycle: cyc-a -> cyc-b"
                    + " -> cyc-c -> cyc-a (each waits for the next to be READY)")), a.problems());
            assertTrue(b.problems().get(0).text().startsWith("depends.on cycle: cyc-b -> cyc-c -> cyc-a -> cyc-b"),
                    b.problems().toString());
            assertEquals(DaemonState.STARTING, waiter.state(), "behind the cycle, not in it");
            assertEquals(List.of("cyc-a"), waiter.waitingFor());

            ((SupervisedDaemon) c).reconfigure(spec("cyc-c"));
            for (Daemon d : List.of(c, b, a, waiter)) {
                assertEquals(DaemonState.READY, d.await(Set.of(DaemonState.READY), WAIT), d.name());
                assertEquals(List.of(), d.problems());
            }
        } finally {
            for (Daemon d : List.of(waiter, a, b, c)) {
                d.stop();
            }
        }
    }

    @Test
    void aMissingDependencyIsShownAsWaitedFor() throws Exception {
        Daemon d = corral.start(spec("lonely", "nobody-has-this-name"));
        try {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (d.waitingFor().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(DaemonState.STARTING, d.state());
            assertEquals(List.of("nobody-has-this-name"), d.waitingFor());
        } finally {
            d.stop();
        }
    }

    @Test
    void theRegistryFindsTheShortestCycle() {
        DaemonRegistry r = new DaemonRegistry();
        assertEquals(List.of(), r.cycleThrough("x", List.of("y")));
        assertEquals(List.of(), r.cycleThrough("x", List.of()));
    }
}
