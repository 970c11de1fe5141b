package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.corral.api.CommandSpec;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.api.StreamKind;
import org.corral.supervisor.internal.daemon.FakeEngine.FakeProgram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How a daemon records the ends of its program (the reasons of {@link DaemonExit}, a lost helper), and what its
 * program is launched with: on the fake engine, with virtual time.
 */
class SupervisedDaemonEndsTest {

    private final FakeEngine engine = new FakeEngine();
    private final DaemonSupervisor supervisor = new DaemonSupervisor(engine, "test", engine.clock, CgroupAccess.NONE);
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final List<Map<String, Object>> eventProps = Collections.synchronizedList(new ArrayList<>());

    SupervisedDaemonEndsTest() {
        supervisor.addListener(new DaemonListener() {
            @Override
            public void event(SupervisedDaemon daemon, String topic, Map<String, Object> properties) {
                events.add(topic.substring(DaemonEvents.TOPIC_PREFIX.length()));
                eventProps.add(properties);
            }
        });
    }

    @AfterEach
    void tearDown() {
        supervisor.close();
        engine.close();
    }

    private static DaemonSpec.Builder spec(String name) {
        return DaemonSpec.builder(name, CommandSpec.builder("/bin/prog").grace(Duration.ofMillis(300)).build())
                .restartDelay(Duration.ofMillis(100)).maxRestartDelay(Duration.ofSeconds(2))
                .intensity(3, Duration.ofSeconds(10));
    }

    private SupervisedDaemon started(DaemonSpec s) {
        SupervisedDaemon d = supervisor.create(s, "test", supervisor.registry());
        d.start();
        engine.flush();
        return d;
    }

    private static void await(SupervisedDaemon d, DaemonState s) {
        try {
            d.await(Set.of(s), Duration.ofSeconds(10));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private Map<String, Object> props(String topic) {
        engine.flush();
        for (int i = events.size() - 1; i >= 0; i--) {
            if (events.get(i).equals(topic)) {
                return eventProps.get(i);
            }
        }
        throw new AssertionError("no " + topic + " in " + events);
    }

    /** Issue 10.1: the helper dies without an exit report; the engine completes with HelperLostException. */
    @Test
    void lostHelperIsAnExitWithItsReasonAndTheDaemonRestarts() {
        SupervisedDaemon d = started(spec("lost").build());
        FakeProgram p = engine.last();
        p.spawn();
        await(d, DaemonState.READY);
        p.print(StreamKind.STDOUT, "hello\n");
        CgroupStats stats = new CgroupStats("corral/lost", Map.of("memory.events",
                new CgroupValue.FlatKeyed("oom_kill 1", Map.of("oom_kill", 1L))));
        p.helperLost(stats);
        await(d, DaemonState.BACKING_OFF);
        DaemonExit x = d.lastExit().orElseThrow();
        assertEquals(DaemonExit.Reason.HELPER_LOST, x.reason());
        assertEquals(p.pid, x.pid());
        assertEquals(-1, x.exitCode());
        assertTrue(x.signal().isEmpty());
        assertFalse(x.requested(), "a failure, not a requested stop");
        assertTrue(x.oomKilled(), "the final statistics of the exception count");
        assertEquals("helper lost (OOM)", x.toString());
        assertEquals(6, d.stdoutBytes(), "what was delivered before the loss is counted");
        Map<String, Object> exited = props("EXITED");
        assertEquals("HELPER_LOST", exited.get(DaemonEvents.EXIT_REASON));
        assertEquals(p.pid, exited.get(DaemonEvents.PID));
        assertTrue(events.contains("OOM"), events.toString());
        String reason = (String) props("RESTARTING").get(DaemonEvents.REASON);
        assertTrue(reason.startsWith("its helper was lost (helper pid " + (p.pid + 100_000) + " died: SIGKILL)"), reason);
        engine.advance(Duration.ofMillis(100));
        assertEquals(2, engine.launched().size(), "restarted by its policy");
        assertEquals(1, d.restarts());
        engine.last().spawn();
        await(d, DaemonState.READY);
    }

    @Test
    void lostHelperOfATemporaryDaemonStopsIt() {
        SupervisedDaemon d = started(spec("lost-once").restart(RestartPolicy.TEMPORARY).build());
        engine.last().spawn();
        engine.last().helperLost(null);
        await(d, DaemonState.STOPPED);
        assertEquals(DaemonExit.Reason.HELPER_LOST, d.lastExit().orElseThrow().reason());
        engine.advance(Duration.ofSeconds(5));
        assertEquals(1, engine.launched().size());
    }

    @Test
    void lostHelperDuringAStopEndsTheStop() {
        SupervisedDaemon d = started(spec("lost-stop").build());
        FakeProgram p = engine.last();
        p.exitOnStop = false;
        p.spawn();
        await(d, DaemonState.READY);
        d.stopAsync();
        p.helperLost(null);
        await(d, DaemonState.STOPPED);
        DaemonExit x = d.lastExit().orElseThrow();
        assertTrue(x.requested());
        assertEquals(DaemonExit.Reason.STOPPED, x.reason());
    }

    @Test
    void reasonsOfTheOtherEnds() {
        SupervisedDaemon d = started(spec("ends").readiness(Readiness.logLine("up").withTimeout(Duration.ofSeconds(1)))
                .build());
        engine.last().spawn();
        engine.last().exit(3);
        await(d, DaemonState.BACKING_OFF);
        assertEquals(DaemonExit.Reason.EXITED, d.lastExit().orElseThrow().reason());
        assertEquals("EXITED", props("EXITED").get(DaemonEvents.EXIT_REASON));
        engine.advance(Duration.ofMillis(100));
        engine.last().spawn();
        engine.advance(Duration.ofSeconds(1)); // the readiness check times out: Corral kills it
        await(d, DaemonState.BACKING_OFF);
        DaemonExit x = d.lastExit().orElseThrow();
        assertEquals(DaemonExit.Reason.READINESS_TIMEOUT, x.reason());
        assertFalse(x.requested());
        engine.advance(Duration.ofMillis(200));
        engine.last().spawn();
        engine.last().print(StreamKind.STDOUT, "up\n");
        await(d, DaemonState.READY);
        d.stop();
        assertEquals(DaemonExit.Reason.STOPPED, d.lastExit().orElseThrow().reason());
        assertTrue(d.lastExit().orElseThrow().requested());
    }

    /** Issue 10.6: a daemon never collects its output and ignores the command's timeout (DaemonSpec says so). */
    @Test
    void programIsLaunchedWithoutTimeoutCollectionOrConsumer() {
        CommandSpec cmd = CommandSpec.builder("/bin/prog").timeout(Duration.ofMillis(200)).collectOutput(true)
                .maxOutputBytes(1 << 20).consumer((s, b) -> { }).build();
        SupervisedDaemon d = started(DaemonSpec.builder("plain", cmd).build());
        CommandSpec launched = engine.last().spec;
        assertTrue(launched.timeout().isEmpty(), "no timeout");
        assertFalse(launched.collectOutput(), "no collection");
        assertTrue(launched.consumer().isEmpty(), "no consumer");
        assertEquals(ProgramIdentity.of(cmd), ProgramIdentity.of(launched), "the same program otherwise");
        assertEquals(cmd, d.spec().command(), "the daemon's spec is the caller's");
    }

    /**
     * The engine reports the spawn on its IO thread and delivers output on another: when the IO thread runs ahead
     * of the daemon (a loaded machine), the program's first lines can be delivered before its spawn is handled. A
     * readiness line among them still counts.
     */
    @Test
    void readyLineDeliveredBeforeTheSpawnIsHandledCounts() {
        SupervisedDaemon d = started(spec("early").readiness(Readiness.logLine("^ready$")).build());
        FakeProgram p = engine.last();
        p.print(StreamKind.STDOUT, "ready\n");
        assertEquals(DaemonState.STARTING, d.state());
        p.spawn();
        await(d, DaemonState.READY);
        assertEquals(List.of("ready"), d.recentLines(10));
    }

    @Test
    void waitingDaemonTellsWhatItWaitsFor() {
        SupervisedDaemon app = started(spec("app").dependsOn(List.of("db", "mq")).build());
        assertEquals(List.of("db", "mq"), app.waitingFor());
        assertEquals(DaemonState.STARTING, app.state());
        app.stop();
        assertEquals(List.of(), app.waitingFor());
    }
}
