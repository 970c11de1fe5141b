package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.corral.api.CommandSpec;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.PreStart;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.corral.api.StreamKind;
import org.corral.supervisor.internal.daemon.FakeEngine.FakeProgram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pre-start hook ({@link DaemonSpec#beforeStart()}) on the fake engine: command and call, each way it ends. */
class PreStartTest {

    private final FakeEngine engine = new FakeEngine();
    private final DaemonSupervisor supervisor = new DaemonSupervisor(engine, "test", engine.clock, CgroupAccess.NONE);
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final List<Map<String, Object>> props = Collections.synchronizedList(new ArrayList<>());

    PreStartTest() {
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
                .intensity(3, Duration.ofSeconds(10));
    }

    private static final CommandSpec HOOK = CommandSpec.builder("/bin/wait-for", "modem").grace(Duration.ofMillis(200))
            .build();

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
            throw new AssertionError(e + ", events " + d, e);
        }
    }

    @Test
    void theCommandRunsFirstThenTheProgram() {
        SupervisedDaemon d = started(spec("modem").beforeStart(HOOK).build());
        FakeProgram hook = engine.last();
        assertEquals(List.of("/bin/wait-for", "modem"), hook.spec.argv());
        assertEquals(Optional.of(PreStart.DEFAULT_TIMEOUT), hook.spec.timeout(), "the engine bounds it");
        hook.spawn();
        hook.print(StreamKind.STDOUT, "waiting for /dev/ttyUSB2\n");
        assertEquals(DaemonState.STARTING, d.state(), "STARTING while the hook waits");
        assertEquals(1, engine.launched().size());
        assertTrue(d.recentLines(5).contains("waiting for /dev/ttyUSB2"), "its output is the daemon's");
        hook.exit(0);
        engine.flush();
        assertEquals(2, engine.launched().size());
        FakeProgram program = engine.last();
        assertEquals(List.of("/bin/prog"), program.spec.argv());
        assertEquals(Optional.empty(), program.spec.timeout(), "the program has no timeout");
        program.spawn();
        await(d, DaemonState.READY);
        assertEquals(program.pid, d.pid().getAsLong());
        engine.flush();
        assertEquals(List.of("STARTED", "READY"), events, "the hook is no program of the daemon: no EXITED");
        assertTrue(d.lastExit().isEmpty());
        // a restart runs the hook again
        program.exit(1);
        await(d, DaemonState.BACKING_OFF);
        engine.advance(Duration.ofMillis(100));
        assertEquals(List.of("/bin/wait-for", "modem"), engine.last().spec.argv());
    }

    @Test
    void aFailingCommandIsAFailedStartAndCountsAgainstTheIntensity() {
        SupervisedDaemon d = started(spec("flaky").beforeStart(HOOK).build());
        for (int i = 0; i < 3; i++) {
            engine.last().spawn();
            engine.last().exit(2);
            await(d, DaemonState.BACKING_OFF);
            engine.advance(Duration.ofSeconds(3));
        }
        engine.last().spawn();
        engine.last().killedBy(Signal.SEGV);
        await(d, DaemonState.FAILED);
        assertEquals(4, engine.launched().size(), "only hooks ran");
        assertTrue(engine.launched().stream().allMatch(p -> p.spec.argv().get(0).equals("/bin/wait-for")));
        engine.flush();
        String failed = (String) props.get(events.lastIndexOf("FAILED")).get(DaemonEvents.REASON);
        assertTrue(failed.startsWith("pre-start hook failed: killed by SIGSEGV; restarted 3 times"), failed);
        String first = (String) props.get(events.indexOf("RESTARTING")).get(DaemonEvents.REASON);
        assertEquals("pre-start hook failed: exited with code 2, restarting in 100ms", first);
    }

    @Test
    void aCommandThatTimesOutFailsTheStart() {
        SupervisedDaemon d = started(spec("slow").restart(RestartPolicy.TEMPORARY)
                .beforeStart(PreStart.command(HOOK).withTimeout(Duration.ofSeconds(5))).build());
        FakeProgram hook = engine.last();
        assertEquals(Optional.of(Duration.ofSeconds(5)), hook.spec.timeout());
        hook.spawn();
        hook.timedOut(Signal.TERM);
        await(d, DaemonState.FAILED);
        engine.flush();
        assertEquals("pre-start hook failed: did not finish within 5s (killed by SIGTERM)",
                props.get(events.indexOf("FAILED")).get(DaemonEvents.REASON));
    }

    @Test
    void aCommandThatCannotStartFailsTheStart() {
        engine.failLaunch = new org.corral.api.ProgramNotFoundException("/bin/wait-for", "program '/bin/wait-for' not found");
        SupervisedDaemon d = started(spec("nohook").restart(RestartPolicy.TEMPORARY).beforeStart(HOOK).build());
        await(d, DaemonState.FAILED);
        engine.flush();
        assertEquals("pre-start hook failed: could not start: program '/bin/wait-for' not found",
                props.get(events.indexOf("FAILED")).get(DaemonEvents.REASON));
    }

    @Test
    void stopWhileTheCommandRunsKillsItAndWaitsForIt() throws Exception {
        SupervisedDaemon d = started(spec("stopped").beforeStart(HOOK).build());
        FakeProgram hook = engine.last();
        hook.spawn();
        hook.exitOnStop = false;
        CompletableFuture<Void> stop = d.stopAsync();
        assertEquals(Signal.TERM, hook.stopSignal);
        assertEquals(Duration.ofMillis(200), hook.stopGrace, "the hook's own grace");
        assertEquals(DaemonState.STOPPED, d.state());
        assertFalse(stop.isDone(), "a stop returns when the hook is gone too");
        hook.killedBy(Signal.TERM);
        stop.get(5, java.util.concurrent.TimeUnit.SECONDS);
        engine.advance(Duration.ofSeconds(1));
        assertEquals(1, engine.launched().size(), "nothing launched after the stop");
        assertEquals(DaemonState.STOPPED, d.state());
        // started again: a new hook, and the old one's end changed nothing
        d.start();
        engine.flush();
        assertEquals(2, engine.launched().size());
        assertEquals(DaemonState.STARTING, d.state());
    }

    @Test
    void aCallWaitsThenTheProgramStarts() {
        CompletableFuture<Void> modem = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        SupervisedDaemon d = started(spec("call").beforeStart(PreStart.call(() -> {
            calls.incrementAndGet();
            return modem;
        })).build());
        assertEquals(1, calls.get());
        assertEquals(0, engine.launched().size());
        assertEquals(DaemonState.STARTING, d.state());
        modem.complete(null);
        engine.flush();
        assertEquals(1, engine.launched().size());
        engine.last().spawn();
        await(d, DaemonState.READY);
    }

    @Test
    void aCallThatFailsThrowsOrTimesOutFailsTheStart() {
        CompletableFuture<Void> failing = new CompletableFuture<>();
        SupervisedDaemon d = started(spec("fails").restart(RestartPolicy.TEMPORARY)
                .beforeStart(PreStart.call(() -> failing)).build());
        failing.completeExceptionally(new IllegalStateException("no modem"));
        await(d, DaemonState.FAILED);
        engine.flush();
        assertEquals("pre-start hook failed: the stage failed: java.lang.IllegalStateException: no modem",
                props.get(events.lastIndexOf("FAILED")).get(DaemonEvents.REASON));

        SupervisedDaemon t = started(spec("throws").restart(RestartPolicy.TEMPORARY).beforeStart(PreStart.call(() -> {
            throw new IllegalStateException("boom");
        })).build());
        await(t, DaemonState.FAILED);
        engine.flush();
        assertEquals("pre-start hook failed: the call threw java.lang.IllegalStateException: boom",
                props.get(events.lastIndexOf("FAILED")).get(DaemonEvents.REASON));

        CompletableFuture<Void> never = new CompletableFuture<>();
        SupervisedDaemon w = started(spec("waits").restart(RestartPolicy.TEMPORARY)
                .beforeStart(PreStart.call(() -> never).withTimeout(Duration.ofSeconds(2))).build());
        engine.advance(Duration.ofMillis(1999));
        assertEquals(DaemonState.STARTING, w.state());
        engine.advance(Duration.ofMillis(1));
        await(w, DaemonState.FAILED);
        assertTrue(never.isCancelled(), "the stage is cancelled at the timeout");
        engine.flush();
        assertEquals("pre-start hook failed: did not finish within 2s",
                props.get(events.lastIndexOf("FAILED")).get(DaemonEvents.REASON));
        assertEquals(0, engine.launched().size());
    }

    @Test
    void closeWhileACallRunsCancelsIt() {
        CompletableFuture<Void> never = new CompletableFuture<>();
        SupervisedDaemon d = started(spec("closed").beforeStart(PreStart.call(() -> never)).build());
        d.close();
        assertTrue(never.isCancelled());
        assertTrue(d.isClosed());
        engine.advance(Duration.ofMinutes(1));
        assertEquals(0, engine.launched().size());
        assertEquals(0, engine.pendingTimers(), "the hook's timer went with it");
    }
}
