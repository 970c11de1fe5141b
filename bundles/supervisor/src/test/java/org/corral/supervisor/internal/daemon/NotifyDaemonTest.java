package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.corral.supervisor.internal.daemon.FakeEngine.FakeProgram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** sd_notify on the fake engine: READY=1, STATUS=, the watchdog and its signals, with fake time. */
class NotifyDaemonTest {

    private final FakeEngine engine = new FakeEngine();
    private final DaemonSupervisor supervisor = new DaemonSupervisor(engine, "test", engine.clock, CgroupAccess.NONE);
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final List<Map<String, Object>> props = Collections.synchronizedList(new ArrayList<>());

    NotifyDaemonTest() {
        supervisor.addListener(new DaemonListener() {
            @Override
            public void event(SupervisedDaemon daemon, String topic, Map<String, Object> properties) {
                events.add(topic.substring(DaemonEvents.TOPIC_PREFIX.length()));
                props.add(properties);
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
                .intensity(3, Duration.ofSeconds(10)).readiness(Readiness.notifySocket());
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

    @Test
    void readyOnReadyOneAndStatusIsShown() {
        SupervisedDaemon d = started(spec("n").build());
        FakeProgram p = engine.last();
        assertEquals(Duration.ZERO, p.notify.watchdog(), "a socket without a watchdog");
        p.spawn();
        assertEquals(DaemonState.RUNNING, d.state());
        p.notify("STATUS=loading \u001b[2Jmodels");
        assertEquals(Optional.of("loading \\x1b[2Jmodels"), d.statusText(), "made printable");
        assertEquals(DaemonState.RUNNING, d.state());
        p.notify("READY=1\nSTATUS=serving 3 clients");
        await(d, DaemonState.READY);
        assertEquals(Optional.of("serving 3 clients"), d.statusText());
        engine.flush();
        assertEquals(List.of("STARTED", "READY"), events);
        // a restart starts with no status
        p.exit(1);
        await(d, DaemonState.BACKING_OFF);
        assertEquals(Optional.of("serving 3 clients"), d.statusText(), "kept while it is down: what it last said");
        engine.advance(Duration.ofMillis(100));
        assertTrue(d.statusText().isEmpty(), "a new run, a new status");
    }

    @Test
    void readyOneBeforeTheSpawnWasHandledCounts() {
        SupervisedDaemon d = started(spec("early").build());
        FakeProgram p = engine.last();
        p.notify("READY=1");
        assertEquals(DaemonState.STARTING, d.state());
        p.spawn();
        await(d, DaemonState.READY);
    }

    @Test
    void withoutReadyOneTheReadinessTimeoutFailsTheStart() {
        SupervisedDaemon d = started(spec("silent").restart(RestartPolicy.TEMPORARY)
                .readiness(Readiness.notifySocket().withTimeout(Duration.ofSeconds(5))).build());
        FakeProgram p = engine.last();
        p.spawn();
        p.notify("STATUS=still thinking\nREADY=0");
        engine.advance(Duration.ofSeconds(5));
        assertEquals(Signal.TERM, p.stopSignal);
        await(d, DaemonState.FAILED);
        assertEquals(DaemonExit.Reason.READINESS_TIMEOUT, d.lastExit().orElseThrow().reason());
    }

    @Test
    void extendTimeoutUsecMovesTheReadinessTimeoutLaterNeverEarlier() {
        SupervisedDaemon d = started(spec("slow").restart(RestartPolicy.TEMPORARY)
                .readiness(Readiness.notifySocket().withTimeout(Duration.ofSeconds(5))).build());
        FakeProgram p = engine.last();
        p.spawn();
        p.notify("EXTEND_TIMEOUT_USEC=1000000"); // 1s from now: before the configured 5s, changes nothing
        engine.advance(Duration.ofSeconds(4));
        p.notify("EXTEND_TIMEOUT_USEC=3000000\nSTATUS=recovering the journal"); // until 7s
        engine.advance(Duration.ofSeconds(2));
        assertEquals(DaemonState.RUNNING, d.state(), "still starting at 6s: the program asked for more time");
        assertNull(p.stopSignal);
        p.notify("EXTEND_TIMEOUT_USEC=500000"); // 6.5s: earlier than the 7s already granted
        engine.advance(Duration.ofMillis(999));
        assertEquals(DaemonState.RUNNING, d.state());
        assertNull(p.stopSignal);
        engine.advance(Duration.ofMillis(1));
        assertEquals(Signal.TERM, p.stopSignal, "at 7s the start failed");
        await(d, DaemonState.FAILED);
        assertEquals(DaemonExit.Reason.READINESS_TIMEOUT, d.lastExit().orElseThrow().reason());
        engine.flush();
        assertTrue(String.valueOf(props.get(events.indexOf("FAILED")).get(DaemonEvents.REASON)).contains(
                "did not pass within 5s, nor within the 3s the program asked for (EXTEND_TIMEOUT_USEC=)"), props.toString());
    }

    @Test
    void extendTimeoutUsecThenReadyOneAndNothingAfterReady() {
        SupervisedDaemon d = started(spec("slow2").readiness(Readiness.notifySocket().withTimeout(Duration.ofSeconds(5)))
                .build());
        FakeProgram p = engine.last();
        p.spawn();
        p.notify("EXTEND_TIMEOUT_USEC=20000000");
        engine.advance(Duration.ofSeconds(15));
        p.notify("READY=1");
        await(d, DaemonState.READY);
        p.notify("EXTEND_TIMEOUT_USEC=1000000");
        engine.advance(Duration.ofSeconds(30));
        assertEquals(DaemonState.READY, d.state(), "after READY it starts no timer");
        assertNull(p.stopSignal);
    }

    @Test
    void numbersBeyondALongAreIgnoredNotFatal() {
        SupervisedDaemon d = started(spec("big").watchdog(Duration.ofSeconds(10)).build());
        FakeProgram p = engine.last();
        p.spawn();
        // 19 digits above Long.MAX_VALUE: the rest of the datagram still counts
        p.notify("WATCHDOG_USEC=9999999999999999999\nEXTEND_TIMEOUT_USEC=9999999999999999999\nMAINPID=9999999999999999999"
                + "\nREADY=1\nSTATUS=big numbers");
        await(d, DaemonState.READY);
        assertEquals(Optional.of("big numbers"), d.statusText());
        engine.advance(Duration.ofSeconds(10));
        assertEquals(List.of(Signal.ABRT), p.signals, "the configured interval still applies");
    }

    @Test
    void theWatchdogIsPettedThenFiresWithSigabrtThenTheNormalStop() {
        SupervisedDaemon d = started(spec("pet").watchdog(Duration.ofSeconds(10)).build());
        FakeProgram p = engine.last();
        assertEquals(Duration.ofSeconds(10), p.notify.watchdog(), "the helper tells the program WATCHDOG_USEC");
        p.exitOnStop = false;
        p.spawn();
        engine.advance(Duration.ofSeconds(20));
        assertEquals(DaemonState.RUNNING, d.state(), "no watchdog before READY (the readiness timeout is 30s)");
        p.notify("READY=1");
        await(d, DaemonState.READY);
        for (int i = 0; i < 5; i++) {
            engine.advance(Duration.ofSeconds(9));
            p.notify("WATCHDOG=1");
        }
        assertEquals(DaemonState.READY, d.state());
        assertTrue(p.signals.isEmpty());
        engine.advance(Duration.ofMillis(9_999));
        assertTrue(p.signals.isEmpty(), "not before the interval");
        engine.advance(Duration.ofMillis(1));
        assertEquals(List.of(Signal.ABRT), p.signals, "SIGABRT first, to the program");
        assertEquals(DaemonState.STOPPING, d.state());
        assertNull(p.stopSignal);
        engine.advance(Duration.ofMillis(300));
        assertEquals(Signal.TERM, p.stopSignal, "then the normal stop after the kill grace");
        p.killedBy(Signal.ABRT);
        await(d, DaemonState.BACKING_OFF);
        DaemonExit x = d.lastExit().orElseThrow();
        assertEquals(DaemonExit.Reason.WATCHDOG, x.reason());
        assertEquals(Signal.ABRT, x.signal().orElseThrow());
        assertFalse(x.requested());
        assertEquals("killed by SIGABRT (watchdog timeout)", x.toString());
        engine.flush();
        assertEquals("watchdog: no WATCHDOG=1 within 10s (killed by SIGABRT), restarting in 100ms",
                props.get(events.indexOf("RESTARTING")).get(DaemonEvents.REASON));
        assertEquals(false, props.get(events.indexOf("EXITED")).get(DaemonEvents.EXIT_CLEAN));
        assertEquals("WATCHDOG", props.get(events.indexOf("EXITED")).get(DaemonEvents.EXIT_REASON));
    }

    @Test
    void watchdogTriggerAndANewInterval() {
        SupervisedDaemon d = started(spec("trig").watchdog(Duration.ofSeconds(10)).build());
        FakeProgram p = engine.last();
        p.spawn();
        p.notify("READY=1");
        await(d, DaemonState.READY);
        p.notify("WATCHDOG_USEC=60000000");
        engine.advance(Duration.ofSeconds(59));
        assertEquals(DaemonState.READY, d.state(), "the program asked for 60s");
        p.notify("WATCHDOG=trigger");
        assertEquals(List.of(Signal.ABRT), p.signals);
        assertEquals(DaemonState.STOPPING, d.state());
        engine.flush();
        p.killedBy(Signal.ABRT);
        await(d, DaemonState.BACKING_OFF);
        assertEquals(DaemonExit.Reason.WATCHDOG, d.lastExit().orElseThrow().reason());
    }

    @Test
    void aStopCancelsTheWatchdogAndLateDatagramsChangeNothing() {
        SupervisedDaemon d = started(spec("calm").watchdog(Duration.ofSeconds(1)).build());
        FakeProgram p = engine.last();
        p.spawn();
        p.notify("READY=1");
        await(d, DaemonState.READY);
        d.stop();
        assertEquals(DaemonState.STOPPED, d.state());
        engine.advance(Duration.ofSeconds(5));
        assertTrue(p.signals.isEmpty(), "no SIGABRT after the stop: " + p.signals);
        p.notify("STATUS=after the end\nREADY=1\nWATCHDOG=trigger");
        assertEquals(DaemonState.STOPPED, d.state());
        assertFalse(d.statusText().map(t -> t.contains("after the end")).orElse(false));
        assertEquals(DaemonExit.Reason.STOPPED, d.lastExit().orElseThrow().reason());
    }

    @Test
    void aWatchdogWithAnotherReadinessStartsAtReady() {
        SupervisedDaemon d = started(spec("mixed").readiness(Readiness.logLine("^up$")).watchdog(Duration.ofSeconds(2))
                .build());
        FakeProgram p = engine.last();
        assertTrue(p.notify != null, "a watchdog alone gives a notify socket");
        p.spawn();
        p.notify("READY=1");
        assertEquals(DaemonState.RUNNING, d.state(), "READY=1 is not its readiness check");
        p.print(org.corral.api.StreamKind.STDOUT, "up\n");
        await(d, DaemonState.READY);
        engine.advance(Duration.ofSeconds(2));
        assertEquals(List.of(Signal.ABRT), p.signals);
    }

    @Test
    void aDaemonWithoutNotifyGetsNoSocket() {
        started(DaemonSpec.builder("plain", CommandSpec.of("/bin/prog")).build());
        assertNull(engine.last().notify);
    }

    @Test
    void turningNotifyOnRestartsTheProgram() {
        SupervisedDaemon d = started(DaemonSpec.builder("toggle", CommandSpec.of("/bin/prog")).build());
        engine.last().spawn();
        await(d, DaemonState.READY);
        assertTrue(d.reconfigure(spec("toggle").build()), "its environment changes: NOTIFY_SOCKET");
        engine.flush();
        assertEquals(2, engine.launched().size());
        assertTrue(engine.last().notify != null);
        engine.last().spawn();
        engine.last().notify("READY=1");
        await(d, DaemonState.READY);
        assertTrue(d.reconfigure(spec("toggle").watchdog(Duration.ofSeconds(9)).build()), "WATCHDOG_USEC changes");
        assertFalse(d.reconfigure(spec("toggle").watchdog(Duration.ofSeconds(9)).logPrefix("x ").build()));
    }
}
