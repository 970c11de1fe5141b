package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.corral.api.CommandSpec;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ExitStatusSet;
import org.corral.api.InvalidCommandException;
import org.corral.api.LogLevel;
import org.corral.api.ProgramNotFoundException;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.corral.api.StreamKind;
import org.corral.supervisor.internal.daemon.FakeEngine.FakeProgram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupervisedDaemonTest {

    private final FakeEngine engine = new FakeEngine();
    private final DaemonSupervisor supervisor = new DaemonSupervisor(engine, "test", engine.clock, CgroupAccess.NONE);
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final List<Map<String, Object>> eventProps = Collections.synchronizedList(new ArrayList<>());
    private final List<DaemonState> states = Collections.synchronizedList(new ArrayList<>());

    SupervisedDaemonTest() {
        supervisor.addListener(new DaemonListener() {
            @Override
            public void stateChanged(SupervisedDaemon daemon, DaemonState state) {
                states.add(state);
            }

            @Override
            public void event(SupervisedDaemon daemon, String topic, Map<String, Object> properties) {
                events.add(daemon.name() + ":" + topic.substring(DaemonEvents.TOPIC_PREFIX.length()));
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
        return DaemonSpec.builder(name, CommandSpec.builder("/bin/prog", "--flag").grace(Duration.ofMillis(300)).build())
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

    @Test
    void startsAndIsReadyAtOnceWithoutACheck() {
        SupervisedDaemon d = started(spec("web").build());
        assertEquals(DaemonState.STARTING, d.state());
        FakeProgram p = engine.last();
        assertEquals(List.of("/bin/prog", "--flag"), p.spec.argv());
        p.spawn();
        await(d, DaemonState.READY);
        assertEquals(p.pid, d.pid().getAsLong());
        assertEquals(p.pid + 100_000, d.helperPid().getAsLong());
        assertTrue(d.startedAt().isPresent());
        engine.flush();
        assertEquals(List.of("web:STARTED", "web:READY"), events);
        assertEquals(List.of(DaemonState.STARTING, DaemonState.RUNNING, DaemonState.READY), states);
        assertEquals(p.pid, eventProps.get(0).get(DaemonEvents.PID));
        assertEquals("web", eventProps.get(0).get(DaemonEvents.NAME));
    }

    @Test
    void crashIsRestartedAfterTheDelayWithBackOff() {
        SupervisedDaemon d = started(spec("crashy").build());
        engine.last().spawn();
        engine.last().exit(3);
        await(d, DaemonState.BACKING_OFF);
        assertEquals(1, engine.launched().size());
        engine.advance(Duration.ofMillis(99));
        assertEquals(1, engine.launched().size(), "not before the delay");
        engine.advance(Duration.ofMillis(1));
        assertEquals(2, engine.launched().size(), "at the delay");
        assertEquals(DaemonState.STARTING, d.state());
        assertEquals(1, d.restarts());
        assertEquals(3, d.lastExit().orElseThrow().exitCode());
        assertFalse(d.lastExit().orElseThrow().requested());
        engine.last().spawn();
        engine.last().exit(3);
        await(d, DaemonState.BACKING_OFF);
        engine.advance(Duration.ofMillis(199));
        assertEquals(2, engine.launched().size(), "second delay doubled");
        engine.advance(Duration.ofMillis(1));
        assertEquals(3, engine.launched().size());
        engine.flush();
        assertTrue(events.containsAll(List.of("crashy:EXITED", "crashy:RESTARTING")), events.toString());
    }

    @Test
    void exitedEventSaysWhetherTheEndWasClean() {
        SupervisedDaemon d = started(spec("policy").restart(RestartPolicy.TRANSIENT)
                .successExitStatus(ExitStatusSet.codes(3)).build());
        engine.last().spawn();
        engine.last().exit(4);
        await(d, DaemonState.BACKING_OFF);
        engine.advance(Duration.ofMillis(100));
        engine.last().spawn();
        engine.last().exit(3);
        await(d, DaemonState.STOPPED);
        engine.flush();
        List<Object> clean = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).equals("policy:EXITED")) {
                clean.add(eventProps.get(i).get(DaemonEvents.EXIT_CLEAN));
            }
        }
        assertEquals(List.of(false, true), clean);
        assertEquals(1, d.restarts());
    }

    @Test
    void intensityExceededFailsAndAStartByHandResets() {
        SupervisedDaemon d = started(spec("flappy").build());
        for (int i = 0; i < 3; i++) {
            engine.last().spawn();
            engine.last().exit(1);
            await(d, DaemonState.BACKING_OFF);
            engine.advance(Duration.ofSeconds(2));
        }
        engine.last().spawn();
        engine.last().exit(1);
        await(d, DaemonState.FAILED);
        engine.advance(Duration.ofSeconds(30));
        assertEquals(4, engine.launched().size(), "stays down");
        engine.flush();
        assertEquals("flappy:FAILED", events.get(events.size() - 1));
        String reason = (String) eventProps.get(eventProps.size() - 1).get(DaemonEvents.REASON);
        assertTrue(reason.contains("intensity 3 per 10s exceeded"), reason);
        d.start();
        engine.flush();
        assertEquals(5, engine.launched().size());
        engine.last().spawn();
        await(d, DaemonState.READY);
    }

    @Test
    void policiesDecideWhetherAnEndIsRestarted() {
        SupervisedDaemon t = started(spec("trans").restart(RestartPolicy.TRANSIENT).build());
        engine.last().spawn();
        engine.last().exit(0);
        await(t, DaemonState.STOPPED);
        SupervisedDaemon tmp = started(spec("temp").restart(RestartPolicy.TEMPORARY).build());
        engine.last().spawn();
        engine.last().killedBy(Signal.SEGV);
        await(tmp, DaemonState.STOPPED);
        engine.advance(Duration.ofSeconds(5));
        assertEquals(2, engine.launched().size());
        assertEquals(Signal.SEGV, tmp.lastExit().orElseThrow().signal().orElseThrow());
    }

    @Test
    void gracefulStopUsesTheKillSignalAndGrace() {
        SupervisedDaemon d = started(spec("svc").build());
        FakeProgram p = engine.last();
        p.spawn();
        await(d, DaemonState.READY);
        d.stop();
        assertEquals(DaemonState.STOPPED, d.state());
        assertEquals(Signal.TERM, p.stopSignal);
        assertEquals(Duration.ofMillis(300), p.stopGrace);
        assertTrue(d.lastExit().orElseThrow().requested());
        engine.advance(Duration.ofSeconds(5));
        assertEquals(1, engine.launched().size(), "a stopped daemon is not restarted");
        engine.flush();
        assertEquals("svc:STOPPED", events.get(events.size() - 1));
        assertTrue(d.pid().isEmpty());
        d.start();
        engine.flush();
        assertEquals(2, engine.launched().size(), "started by hand again");
    }

    @Test
    void stopWaitsForTheProgramToBeGone() throws Exception {
        SupervisedDaemon d = started(spec("slow").build());
        FakeProgram p = engine.last();
        p.exitOnStop = false;
        p.spawn();
        await(d, DaemonState.READY);
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(d::stop);
        d.await(Set.of(DaemonState.STOPPING), Duration.ofSeconds(10));
        assertFalse(stopping.isDone());
        p.killedBy(Signal.TERM);
        stopping.get(10, TimeUnit.SECONDS);
        assertEquals(DaemonState.STOPPED, d.state());
    }

    @Test
    void stopWhileBackingOffCancelsTheRestart() {
        SupervisedDaemon d = started(spec("b").build());
        engine.last().spawn();
        engine.last().exit(1);
        await(d, DaemonState.BACKING_OFF);
        d.stop();
        assertEquals(DaemonState.STOPPED, d.state());
        engine.advance(Duration.ofSeconds(5));
        assertEquals(1, engine.launched().size());
    }

    @Test
    void restartStopsAndStartsAgain() {
        SupervisedDaemon d = started(spec("r").build());
        FakeProgram first = engine.last();
        first.spawn();
        await(d, DaemonState.READY);
        d.restart();
        engine.flush();
        assertTrue(first.stopRequested());
        assertEquals(2, engine.launched().size());
        assertEquals(1, d.restarts());
        engine.last().spawn();
        await(d, DaemonState.READY);
    }

    @Test
    void signalGoesToTheProgram() {
        SupervisedDaemon d = started(spec("sig").build());
        assertThrows(IllegalStateException.class, () -> d.signal(Signal.HUP), "not running yet");
        engine.last().spawn();
        await(d, DaemonState.READY);
        d.signal(Signal.HUP);
        assertEquals(List.of(Signal.HUP), engine.last().signals);
    }

    @Test
    void readinessByLogLine() {
        SupervisedDaemon d = started(spec("db").readiness(Readiness.logLine("listening on port \\d+")).build());
        FakeProgram p = engine.last();
        p.spawn();
        await(d, DaemonState.RUNNING);
        p.print(StreamKind.STDOUT, "starting up\nlistening on port ");
        engine.flush();
        assertEquals(DaemonState.RUNNING, d.state());
        p.print(StreamKind.STDOUT, "5432\n");
        await(d, DaemonState.READY);
        assertEquals(List.of("starting up", "listening on port 5432"), d.recentLines(10));
    }

    @Test
    void readinessTimeoutIsAFailedStart() {
        SupervisedDaemon d = started(spec("never").restart(RestartPolicy.TEMPORARY)
                .readiness(Readiness.logLine("ready").withTimeout(Duration.ofSeconds(5))).build());
        FakeProgram p = engine.last();
        p.spawn();
        await(d, DaemonState.RUNNING);
        engine.advance(Duration.ofMillis(4_999));
        assertFalse(p.stopRequested());
        engine.advance(Duration.ofMillis(1));
        assertTrue(p.stopRequested());
        await(d, DaemonState.FAILED);
        engine.flush();
        String reason = (String) eventProps.get(eventProps.size() - 1).get(DaemonEvents.REASON);
        assertTrue(reason.startsWith("readiness check (log line /ready/) did not pass within 5s"), reason);
    }

    @Test
    void readinessTimeoutIsRestartedUnderPermanent() {
        SupervisedDaemon d = started(spec("again").readiness(Readiness.logLine("ready").withTimeout(Duration.ofSeconds(1)))
                .build());
        engine.last().spawn();
        engine.advance(Duration.ofSeconds(1));
        await(d, DaemonState.BACKING_OFF);
        engine.advance(Duration.ofMillis(100));
        assertEquals(2, engine.launched().size());
    }

    @Test
    void readinessByFile(@TempDir Path dir) throws IOException {
        Path flag = dir.resolve("ready.flag");
        SupervisedDaemon d = started(spec("f").readiness(Readiness.file(flag)).build());
        engine.last().spawn();
        engine.advance(Duration.ofSeconds(1));
        assertEquals(DaemonState.RUNNING, d.state());
        Files.writeString(flag, "x");
        engine.advance(Duration.ofMillis(250));
        await(d, DaemonState.READY);
    }

    @Test
    void readinessByTcpPort() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        SupervisedDaemon d = started(spec("tcp").readiness(Readiness.tcpPort(port)).build());
        engine.last().spawn();
        engine.advance(Duration.ofSeconds(1));
        assertEquals(DaemonState.RUNNING, d.state(), "nothing listens yet");
        try (ServerSocket server = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"))) {
            assertTrue(server.isBound());
            for (int i = 0; i < 100 && d.state() != DaemonState.READY; i++) {
                engine.advance(Duration.ofMillis(100));
            }
            assertEquals(DaemonState.READY, d.state());
        }
    }

    @Test
    void dependenciesStartFirst() {
        SupervisedDaemon app = started(spec("app").dependsOn(List.of("db")).build());
        assertEquals(DaemonState.STARTING, app.state());
        assertEquals(0, engine.launched().size(), "waits for db");
        SupervisedDaemon db = started(spec("db").readiness(Readiness.logLine("up")).build());
        FakeProgram dbp = engine.last();
        dbp.spawn();
        await(db, DaemonState.RUNNING);
        engine.flush();
        assertEquals(1, engine.launched().size(), "db is not ready yet");
        dbp.print(StreamKind.STDERR, "up\n");
        await(db, DaemonState.READY);
        engine.flush();
        assertEquals(2, engine.launched().size());
        assertEquals("/bin/prog", engine.last().spec.argv().get(0));
        engine.last().spawn();
        await(app, DaemonState.READY);
    }

    @Test
    void aDependencyLeavingReadyDoesNotStopADependent() {
        SupervisedDaemon db = started(spec("db2").build());
        engine.last().spawn();
        await(db, DaemonState.READY);
        SupervisedDaemon app = started(spec("app2").dependsOn(List.of("db2")).build());
        FakeProgram appp = engine.last();
        appp.spawn();
        await(app, DaemonState.READY);
        db.stop();
        engine.flush();
        assertEquals(DaemonState.READY, app.state());
        assertFalse(appp.stopRequested());
        // but a restart of the dependent waits for it again
        appp.exit(1);
        await(app, DaemonState.BACKING_OFF);
        engine.advance(Duration.ofMillis(100));
        assertEquals(DaemonState.STARTING, app.state());
        assertSame(appp, engine.last(), "not launched while db2 is down");
        db.start();
        engine.flush();
        engine.last().spawn();
        await(db, DaemonState.READY);
        engine.flush();
        assertNotSame(appp, engine.last());
        assertEquals("app2", app.name());
    }

    @Test
    void reconfigureRestartsOnlyWhenTheProgramChanged() {
        DaemonSpec s = spec("re").build();
        SupervisedDaemon d = started(s);
        FakeProgram p = engine.last();
        p.spawn();
        await(d, DaemonState.READY);
        assertFalse(d.reconfigure(s.toBuilder().stdoutLevel(LogLevel.OFF).logPrefix("x ").restart(RestartPolicy.TRANSIENT)
                .build()));
        engine.flush();
        assertFalse(p.stopRequested());
        assertEquals(1, engine.launched().size());
        assertEquals(LogLevel.OFF, d.spec().stdoutLevel());
        DaemonSpec changed = DaemonSpec.builder("re", CommandSpec.of("/bin/prog", "--other")).build();
        assertTrue(d.reconfigure(changed));
        engine.flush();
        assertTrue(p.stopRequested());
        assertEquals(2, engine.launched().size());
        assertEquals(List.of("/bin/prog", "--other"), engine.last().spec.argv());
        assertThrows(IllegalArgumentException.class,
                () -> d.reconfigure(DaemonSpec.builder("other", CommandSpec.of("/bin/x")).build()));
    }

    @Test
    void reconfigureStartsAFailedDaemon() {
        SupervisedDaemon d = started(spec("rf").restart(RestartPolicy.TEMPORARY).build());
        engine.last().failSpawn("exec failed: permission denied");
        await(d, DaemonState.FAILED);
        assertTrue(d.reconfigure(d.spec()));
        engine.flush();
        assertEquals(2, engine.launched().size());
    }

    @Test
    void launchRefusedAtRestartIsAFailedStart() {
        SupervisedDaemon d = started(spec("gone").intensity(1, Duration.ofMinutes(1)).build());
        engine.last().spawn();
        engine.failLaunch = new ProgramNotFoundException("/bin/prog", "program '/bin/prog' not found");
        engine.last().exit(1);
        await(d, DaemonState.BACKING_OFF);
        engine.advance(Duration.ofMillis(100));
        await(d, DaemonState.FAILED);
        engine.flush();
        String reason = (String) eventProps.get(eventProps.size() - 1).get(DaemonEvents.REASON);
        assertTrue(reason.contains("could not start: program '/bin/prog' not found"), reason);
    }

    @Test
    void partialLastLineIsKeptAndLevelsApply() {
        SupervisedDaemon d = started(spec("out").stderrLevel(LogLevel.OFF).recentLines(3).build());
        FakeProgram p = engine.last();
        p.spawn();
        p.print(StreamKind.STDOUT, "a\nb\n");
        p.print(StreamKind.STDERR, "c\n");
        p.print(StreamKind.STDOUT, "no newline");
        p.exit(0);
        await(d, DaemonState.BACKING_OFF);
        assertEquals(List.of("b", "c", "no newline"), d.recentLines(10));
        assertEquals(14, d.stdoutBytes());
        assertEquals(2, d.stderrBytes());
    }

    @Test
    void oomEventWhenTheKillerStruck() {
        SupervisedDaemon d = started(spec("hog").build());
        engine.last().spawn();
        engine.last().oomKilled();
        await(d, DaemonState.BACKING_OFF);
        engine.flush();
        assertTrue(events.contains("hog:OOM"), events.toString());
        assertTrue(d.lastExit().orElseThrow().oomKilled());
    }

    @Test
    void oomInAFixedCgroupIsReportedOnlyWhenTheCountRises() {
        SupervisedDaemon d = started(spec("fixed").restartDelay(Duration.ZERO).build());
        engine.last().spawn();
        engine.last().oomKills(1);
        engine.flush();
        engine.last().spawn();
        engine.last().oomKills(1); // same cgroup, same count: an old OOM
        engine.flush();
        engine.last().spawn();
        engine.last().oomKills(2);
        engine.flush();
        assertEquals(2, events.stream().filter("fixed:OOM"::equals).count(), events.toString());
        assertEquals(4, engine.launched().size(), "restarted after each end");
        assertEquals(DaemonState.STARTING, d.state());
    }

    @Test
    void namesAreUniquePerEngineAndFreedOnRemoval() {
        SupervisedDaemon d = started(spec("uniq").build());
        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> supervisor.create(spec("uniq").build(), "file b.cfg", supervisor.registry()));
        assertTrue(e.getMessage().contains("daemon name 'uniq' of file b.cfg is already used by test"), e.getMessage());
        engine.last().spawn();
        supervisor.remove(d);
        assertTrue(d.isClosed());
        assertTrue(engine.last().stopRequested());
        assertThrows(IllegalStateException.class, d::start);
        supervisor.create(spec("uniq").build(), "file b.cfg", supervisor.registry());
    }

    @Test
    void validationErrorsComeBeforeAnythingRuns() {
        engine.validator = s -> {
            throw new ProgramNotFoundException("/bin/prog", "program '/bin/prog' not found in PATH");
        };
        assertThrows(ProgramNotFoundException.class, () -> supervisor.start(spec("nf").build()));
        assertEquals(0, engine.launched().size());
        assertTrue(supervisor.registry().owner("nf").isEmpty(), "the name is not taken");
    }

    @Test
    void closeOfTheSupervisorStopsItsDaemons() {
        SupervisedDaemon a = started(spec("ca").build());
        engine.last().spawn();
        SupervisedDaemon b = started(spec("cb").build());
        engine.last().exit(1);
        supervisor.close();
        assertEquals(DaemonState.STOPPED, a.state());
        assertEquals(DaemonState.STOPPED, b.state());
        assertTrue(engine.launched().get(0).stopRequested());
        assertTrue(supervisor.registry().all().isEmpty());
    }
}
