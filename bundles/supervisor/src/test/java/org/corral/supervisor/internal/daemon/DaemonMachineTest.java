package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.corral.api.CommandSpec;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ExitStatusSet;
import org.corral.api.ProcessResult;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.corral.supervisor.internal.daemon.DaemonMachine.Abort;
import org.corral.supervisor.internal.daemon.DaemonMachine.Action;
import org.corral.supervisor.internal.daemon.DaemonMachine.Adopt;
import org.corral.supervisor.internal.daemon.DaemonMachine.BackoffElapsed;
import org.corral.supervisor.internal.daemon.DaemonMachine.Close;
import org.corral.supervisor.internal.daemon.DaemonMachine.Dependencies;
import org.corral.supervisor.internal.daemon.DaemonMachine.DependenciesChanged;
import org.corral.supervisor.internal.daemon.DaemonMachine.Ended;
import org.corral.supervisor.internal.daemon.DaemonMachine.Event;
import org.corral.supervisor.internal.daemon.DaemonMachine.HandOver;
import org.corral.supervisor.internal.daemon.DaemonMachine.Outcome;
import org.corral.supervisor.internal.daemon.DaemonMachine.Phase;
import org.corral.supervisor.internal.daemon.DaemonMachine.PreStartDone;
import org.corral.supervisor.internal.daemon.DaemonMachine.ReadinessPassed;
import org.corral.supervisor.internal.daemon.DaemonMachine.Reconfigure;
import org.corral.supervisor.internal.daemon.DaemonMachine.Restart;
import org.corral.supervisor.internal.daemon.DaemonMachine.Spawned;
import org.corral.supervisor.internal.daemon.DaemonMachine.Start;
import org.corral.supervisor.internal.daemon.DaemonMachine.Step;
import org.corral.supervisor.internal.daemon.DaemonMachine.Stop;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * The daemon state machine on its own, with fake time: every phase against every event from {@link #TABLE},
 * then the restart policy, the run numbers and the messages.
 */
class DaemonMachineTest {

    private static final long MS = 1_000_000L;

    private static final DaemonSpec SPEC = spec(RestartPolicy.PERMANENT).build();

    private long now = 1_000_000_000L;

    private static DaemonSpec.Builder spec(RestartPolicy policy) {
        return DaemonSpec.builder("d", CommandSpec.builder("/bin/prog").grace(Duration.ofMillis(300)).build())
                .restart(policy).restartDelay(Duration.ofMillis(100)).maxRestartDelay(Duration.ofSeconds(2))
                .intensity(3, Duration.ofSeconds(10));
    }

    private static DaemonSpec withHook(DaemonSpec s) {
        return s.toBuilder().beforeStart(CommandSpec.of("/bin/wait-for-modem")).build();
    }

    private static ProcessResult exit(long pid, int code) {
        return ProcessResult.builder().pid(pid).exitCode(code).build();
    }

    // ------------------------------------------------------------------ the table

    /**
     * Every phase against every event: the phase after it, and the actions (logging left out). Actions:
     * {@code deps?} check the dependencies, {@code launch}, {@code attach}, {@code check} start the readiness
     * check, {@code -check} cancel it, {@code kill} stop the program, {@code backoff(D)} schedule the restart,
     * {@code -backoff} cancel it, {@code started}/{@code started(kept)} note the start time, {@code gone(R)} the
     * program ended with exit reason R, {@code =S} the API state is now S, {@code !T} event T, {@code handover(...)},
     * {@code release}. {@code error}: refused (nothing changes); {@code -}: ignored.
     */
    static final String TABLE = """
            # phase                  | event               | next                     | actions
            STOPPED                  | start               | WAITING_FOR_DEPENDENCIES | =STARTING deps?
            STOPPED                  | restart             | WAITING_FOR_DEPENDENCIES | =STARTING deps?
            STOPPED                  | stop                | STOPPED                  | -
            STOPPED                  | close               | CLOSED                   | release
            STOPPED                  | hand-over           | CLOSED                   | -backoff -check handover(STOPPED) release
            STOPPED                  | adopt               | ATTACHING                | =STARTING attach
            STOPPED                  | reconfigure         | WAITING_FOR_DEPENDENCIES | =STARTING deps?
            STOPPED                  | reconfigure(argv)   | WAITING_FOR_DEPENDENCIES | =STARTING deps?
            STOPPED                  | deps(none)          | STOPPED                  | -
            STOPPED                  | deps(db)            | STOPPED                  | -
            STOPPED                  | deps(cycle)         | STOPPED                  | -
            STOPPED                  | deps-changed        | STOPPED                  | -
            STOPPED                  | spawned             | STOPPED                  | -
            STOPPED                  | ready               | STOPPED                  | -
            STOPPED                  | abort               | STOPPED                  | -
            STOPPED                  | exit(1)             | STOPPED                  | -
            STOPPED                  | helper-lost         | STOPPED                  | -
            STOPPED                  | backoff-over        | STOPPED                  | -
            STOPPED                  | pre-ok              | STOPPED                  | -
            STOPPED                  | pre-failed          | STOPPED                  | -
            STOPPED                  | watchdog            | STOPPED                  | -

            FAILED                   | start               | WAITING_FOR_DEPENDENCIES | =STARTING deps?
            FAILED                   | restart             | WAITING_FOR_DEPENDENCIES | =STARTING deps?
            FAILED                   | stop                | FAILED                   | -
            FAILED                   | close               | CLOSED                   | =STOPPED release
            FAILED                   | hand-over           | CLOSED                   | -backoff -check handover(FAILED) =STOPPED release
            FAILED                   | adopt               | FAILED                   | error
            FAILED                   | reconfigure         | WAITING_FOR_DEPENDENCIES | =STARTING deps?
            FAILED                   | reconfigure(argv)   | WAITING_FOR_DEPENDENCIES | =STARTING deps?
            FAILED                   | deps(none)          | FAILED                   | -
            FAILED                   | deps(db)            | FAILED                   | -
            FAILED                   | deps(cycle)         | FAILED                   | -
            FAILED                   | deps-changed        | FAILED                   | -
            FAILED                   | spawned             | FAILED                   | -
            FAILED                   | ready               | FAILED                   | -
            FAILED                   | abort               | FAILED                   | -
            FAILED                   | exit(1)             | FAILED                   | -
            FAILED                   | helper-lost         | FAILED                   | -
            FAILED                   | backoff-over        | FAILED                   | -
            FAILED                   | pre-ok              | FAILED                   | -
            FAILED                   | pre-failed          | FAILED                   | -
            FAILED                   | watchdog            | FAILED                   | -

            WAITING_FOR_DEPENDENCIES | start               | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | restart             | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | stop                | STOPPED                  | =STOPPED
            WAITING_FOR_DEPENDENCIES | close               | CLOSED                   | =STOPPED release
            WAITING_FOR_DEPENDENCIES | hand-over           | CLOSED                   | -backoff -check handover(STARTING) =STOPPED release
            WAITING_FOR_DEPENDENCIES | adopt               | WAITING_FOR_DEPENDENCIES | error
            WAITING_FOR_DEPENDENCIES | reconfigure         | WAITING_FOR_DEPENDENCIES | deps?
            WAITING_FOR_DEPENDENCIES | reconfigure(argv)   | WAITING_FOR_DEPENDENCIES | deps?
            WAITING_FOR_DEPENDENCIES | deps(none)          | LAUNCHING                | launch
            WAITING_FOR_DEPENDENCIES | deps(db)            | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | deps(cycle)         | DEPENDENCY_CYCLE         | =INVALID !INVALID
            WAITING_FOR_DEPENDENCIES | deps-changed        | WAITING_FOR_DEPENDENCIES | deps?
            WAITING_FOR_DEPENDENCIES | spawned             | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | ready               | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | abort               | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | exit(1)             | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | helper-lost         | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | backoff-over        | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | pre-ok              | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | pre-failed          | WAITING_FOR_DEPENDENCIES | -
            WAITING_FOR_DEPENDENCIES | watchdog            | WAITING_FOR_DEPENDENCIES | -

            DEPENDENCY_CYCLE         | start               | DEPENDENCY_CYCLE         | deps?
            DEPENDENCY_CYCLE         | restart             | DEPENDENCY_CYCLE         | deps?
            DEPENDENCY_CYCLE         | stop                | STOPPED                  | =STOPPED
            DEPENDENCY_CYCLE         | close               | CLOSED                   | =STOPPED release
            DEPENDENCY_CYCLE         | hand-over           | CLOSED                   | -backoff -check handover(STARTING) =STOPPED release
            DEPENDENCY_CYCLE         | adopt               | DEPENDENCY_CYCLE         | error
            DEPENDENCY_CYCLE         | reconfigure         | DEPENDENCY_CYCLE         | deps?
            DEPENDENCY_CYCLE         | reconfigure(argv)   | DEPENDENCY_CYCLE         | deps?
            DEPENDENCY_CYCLE         | deps(none)          | LAUNCHING                | =STARTING launch
            DEPENDENCY_CYCLE         | deps(db)            | WAITING_FOR_DEPENDENCIES | =STARTING
            DEPENDENCY_CYCLE         | deps(cycle)         | DEPENDENCY_CYCLE         | -
            DEPENDENCY_CYCLE         | deps-changed        | DEPENDENCY_CYCLE         | deps?
            DEPENDENCY_CYCLE         | spawned             | DEPENDENCY_CYCLE         | -
            DEPENDENCY_CYCLE         | ready               | DEPENDENCY_CYCLE         | -
            DEPENDENCY_CYCLE         | abort               | DEPENDENCY_CYCLE         | -
            DEPENDENCY_CYCLE         | exit(1)             | DEPENDENCY_CYCLE         | -
            DEPENDENCY_CYCLE         | helper-lost         | DEPENDENCY_CYCLE         | -
            DEPENDENCY_CYCLE         | backoff-over        | DEPENDENCY_CYCLE         | -
            DEPENDENCY_CYCLE         | pre-ok              | DEPENDENCY_CYCLE         | -
            DEPENDENCY_CYCLE         | pre-failed          | DEPENDENCY_CYCLE         | -
            DEPENDENCY_CYCLE         | watchdog            | DEPENDENCY_CYCLE         | -

            PRE_START                | start               | PRE_START                | -
            PRE_START                | restart             | PRE_START                | -
            PRE_START                | stop                | STOPPED                  | -pre =STOPPED
            PRE_START                | close               | CLOSED                   | -pre =STOPPED release
            PRE_START                | hand-over           | CLOSED                   | -backoff -check -pre handover(STARTING) =STOPPED release
            PRE_START                | adopt               | PRE_START                | error
            PRE_START                | reconfigure         | PRE_START                | -
            PRE_START                | reconfigure(argv)   | WAITING_FOR_DEPENDENCIES | -pre deps?
            PRE_START                | deps(none)          | PRE_START                | -
            PRE_START                | deps(db)            | PRE_START                | -
            PRE_START                | deps(cycle)         | PRE_START                | -
            PRE_START                | deps-changed        | PRE_START                | -
            PRE_START                | spawned             | PRE_START                | -
            PRE_START                | ready               | PRE_START                | -
            PRE_START                | abort               | PRE_START                | -
            PRE_START                | exit(1)             | PRE_START                | -
            PRE_START                | helper-lost         | PRE_START                | -
            PRE_START                | backoff-over        | PRE_START                | -
            PRE_START                | pre-ok              | LAUNCHING                | launch
            PRE_START                | pre-failed          | BACKING_OFF              | =BACKING_OFF !RESTARTING backoff(100ms)
            PRE_START                | watchdog            | PRE_START                | -

            LAUNCHING                | start               | LAUNCHING                | -
            LAUNCHING                | restart             | RESTARTING               | -check =STOPPING kill
            LAUNCHING                | stop                | STOPPING                 | -check =STOPPING kill
            LAUNCHING                | close               | CLOSING                  | -check =STOPPING kill
            LAUNCHING                | hand-over           | CLOSED                   | -backoff -check kill handover(STARTING) =STOPPED release
            LAUNCHING                | adopt               | LAUNCHING                | error
            LAUNCHING                | reconfigure         | LAUNCHING                | -
            LAUNCHING                | reconfigure(argv)   | RESTARTING               | -check =STOPPING kill
            LAUNCHING                | deps(none)          | LAUNCHING                | -
            LAUNCHING                | deps(db)            | LAUNCHING                | -
            LAUNCHING                | deps(cycle)         | LAUNCHING                | -
            LAUNCHING                | deps-changed        | LAUNCHING                | -
            LAUNCHING                | spawned             | RUNNING                  | started =RUNNING !STARTED check
            LAUNCHING                | ready               | LAUNCHING                | -
            LAUNCHING                | abort               | LAUNCHING                | -
            LAUNCHING                | exit(1)             | BACKING_OFF              | -check gone(EXITED) =BACKING_OFF !RESTARTING backoff(100ms)
            LAUNCHING                | helper-lost         | BACKING_OFF              | -check gone(HELPER_LOST) =BACKING_OFF !RESTARTING backoff(100ms)
            LAUNCHING                | backoff-over        | LAUNCHING                | -
            LAUNCHING                | pre-ok              | LAUNCHING                | -
            LAUNCHING                | pre-failed          | LAUNCHING                | -
            LAUNCHING                | watchdog            | LAUNCHING                | -

            ATTACHING                | start               | ATTACHING                | -
            ATTACHING                | restart             | RESTARTING               | -check =STOPPING kill
            ATTACHING                | stop                | STOPPING                 | -check =STOPPING kill
            ATTACHING                | close               | CLOSING                  | -check =STOPPING kill
            ATTACHING                | hand-over           | CLOSED                   | -backoff -check kill handover(STARTING) =STOPPED release
            ATTACHING                | adopt               | ATTACHING                | error
            ATTACHING                | reconfigure         | ATTACHING                | -
            ATTACHING                | reconfigure(argv)   | RESTARTING               | -check =STOPPING kill
            ATTACHING                | deps(none)          | ATTACHING                | -
            ATTACHING                | deps(db)            | ATTACHING                | -
            ATTACHING                | deps(cycle)         | ATTACHING                | -
            ATTACHING                | deps-changed        | ATTACHING                | -
            ATTACHING                | spawned             | READY                    | started(kept) =RUNNING =READY
            ATTACHING                | ready               | ATTACHING                | -
            ATTACHING                | abort               | ATTACHING                | -
            ATTACHING                | exit(1)             | BACKING_OFF              | -check gone(EXITED) =BACKING_OFF !RESTARTING backoff(100ms)
            ATTACHING                | helper-lost         | BACKING_OFF              | -check gone(HELPER_LOST) =BACKING_OFF !RESTARTING backoff(100ms)
            ATTACHING                | backoff-over        | ATTACHING                | -
            ATTACHING                | pre-ok              | ATTACHING                | -
            ATTACHING                | pre-failed          | ATTACHING                | -
            ATTACHING                | watchdog            | ATTACHING                | -

            RUNNING                  | start               | RUNNING                  | -
            RUNNING                  | restart             | RESTARTING               | -check =STOPPING kill
            RUNNING                  | stop                | STOPPING                 | -check =STOPPING kill
            RUNNING                  | close               | CLOSING                  | -check =STOPPING kill
            RUNNING                  | hand-over           | CLOSED                   | -backoff -check handover(detach,RUNNING) =STOPPED release
            RUNNING                  | adopt               | RUNNING                  | error
            RUNNING                  | reconfigure         | RUNNING                  | -
            RUNNING                  | reconfigure(argv)   | RESTARTING               | -check =STOPPING kill
            RUNNING                  | deps(none)          | RUNNING                  | -
            RUNNING                  | deps(db)            | RUNNING                  | -
            RUNNING                  | deps(cycle)         | RUNNING                  | -
            RUNNING                  | deps-changed        | RUNNING                  | -
            RUNNING                  | spawned             | RUNNING                  | -
            RUNNING                  | ready               | READY                    | -check =READY !READY
            RUNNING                  | abort               | ABORTING                 | -check =STOPPING kill
            RUNNING                  | exit(1)             | BACKING_OFF              | -check gone(EXITED) =BACKING_OFF !RESTARTING backoff(100ms)
            RUNNING                  | helper-lost         | BACKING_OFF              | -check gone(HELPER_LOST) =BACKING_OFF !RESTARTING backoff(100ms)
            RUNNING                  | backoff-over        | RUNNING                  | -
            RUNNING                  | pre-ok              | RUNNING                  | -
            RUNNING                  | pre-failed          | RUNNING                  | -
            RUNNING                  | watchdog            | RUNNING                  | -

            READY                    | start               | READY                    | -
            READY                    | restart             | RESTARTING               | -check =STOPPING kill
            READY                    | stop                | STOPPING                 | -check =STOPPING kill
            READY                    | close               | CLOSING                  | -check =STOPPING kill
            READY                    | hand-over           | CLOSED                   | -backoff -check handover(detach,READY) =STOPPED release
            READY                    | adopt               | READY                    | error
            READY                    | reconfigure         | READY                    | -
            READY                    | reconfigure(argv)   | RESTARTING               | -check =STOPPING kill
            READY                    | deps(none)          | READY                    | -
            READY                    | deps(db)            | READY                    | -
            READY                    | deps(cycle)         | READY                    | -
            READY                    | deps-changed        | READY                    | -
            READY                    | spawned             | READY                    | -
            READY                    | ready               | READY                    | -
            READY                    | abort               | READY                    | -
            READY                    | exit(1)             | BACKING_OFF              | -check gone(EXITED) =BACKING_OFF !RESTARTING backoff(100ms)
            READY                    | helper-lost         | BACKING_OFF              | -check gone(HELPER_LOST) =BACKING_OFF !RESTARTING backoff(100ms)
            READY                    | backoff-over        | READY                    | -
            READY                    | pre-ok              | READY                    | -
            READY                    | pre-failed          | READY                    | -
            READY                    | watchdog            | ABORTING                 | -check =STOPPING kill(SIGABRT)

            ABORTING                 | start               | ABORTING                 | -
            ABORTING                 | restart             | RESTARTING               | -check kill
            ABORTING                 | stop                | STOPPING                 | -check kill
            ABORTING                 | close               | CLOSING                  | -check kill
            ABORTING                 | hand-over           | CLOSED                   | -backoff -check kill handover(STARTING) =STOPPED release
            ABORTING                 | adopt               | ABORTING                 | error
            ABORTING                 | reconfigure         | ABORTING                 | -
            ABORTING                 | reconfigure(argv)   | RESTARTING               | -check kill
            ABORTING                 | deps(none)          | ABORTING                 | -
            ABORTING                 | deps(db)            | ABORTING                 | -
            ABORTING                 | deps(cycle)         | ABORTING                 | -
            ABORTING                 | deps-changed        | ABORTING                 | -
            ABORTING                 | spawned             | ABORTING                 | -
            ABORTING                 | ready               | ABORTING                 | -
            ABORTING                 | abort               | ABORTING                 | -
            ABORTING                 | exit(1)             | BACKING_OFF              | -check gone(READINESS_TIMEOUT) =BACKING_OFF !RESTARTING backoff(100ms)
            ABORTING                 | helper-lost         | BACKING_OFF              | -check gone(READINESS_TIMEOUT) =BACKING_OFF !RESTARTING backoff(100ms)
            ABORTING                 | backoff-over        | ABORTING                 | -
            ABORTING                 | pre-ok              | ABORTING                 | -
            ABORTING                 | pre-failed          | ABORTING                 | -
            ABORTING                 | watchdog            | ABORTING                 | -

            STOPPING                 | start               | STOPPING                 | -
            STOPPING                 | restart             | RESTARTING               | -
            STOPPING                 | stop                | STOPPING                 | -
            STOPPING                 | close               | CLOSING                  | -
            STOPPING                 | hand-over           | CLOSED                   | -backoff -check kill handover(STOPPED) =STOPPED release
            STOPPING                 | adopt               | STOPPING                 | error
            STOPPING                 | reconfigure         | STOPPING                 | -
            STOPPING                 | reconfigure(argv)   | STOPPING                 | -
            STOPPING                 | deps(none)          | STOPPING                 | -
            STOPPING                 | deps(db)            | STOPPING                 | -
            STOPPING                 | deps(cycle)         | STOPPING                 | -
            STOPPING                 | deps-changed        | STOPPING                 | -
            STOPPING                 | spawned             | STOPPING                 | -
            STOPPING                 | ready               | STOPPING                 | -
            STOPPING                 | abort               | STOPPING                 | -
            STOPPING                 | exit(1)             | STOPPED                  | -check gone(STOPPED) =STOPPED !STOPPED
            STOPPING                 | helper-lost         | STOPPED                  | -check gone(STOPPED) =STOPPED !STOPPED
            STOPPING                 | backoff-over        | STOPPING                 | -
            STOPPING                 | pre-ok              | STOPPING                 | -
            STOPPING                 | pre-failed          | STOPPING                 | -
            STOPPING                 | watchdog            | STOPPING                 | -

            RESTARTING               | start               | RESTARTING               | -
            RESTARTING               | restart             | RESTARTING               | -
            RESTARTING               | stop                | STOPPING                 | -
            RESTARTING               | close               | CLOSING                  | -
            RESTARTING               | hand-over           | CLOSED                   | -backoff -check kill handover(STARTING) =STOPPED release
            RESTARTING               | adopt               | RESTARTING               | error
            RESTARTING               | reconfigure         | RESTARTING               | -
            RESTARTING               | reconfigure(argv)   | RESTARTING               | -
            RESTARTING               | deps(none)          | RESTARTING               | -
            RESTARTING               | deps(db)            | RESTARTING               | -
            RESTARTING               | deps(cycle)         | RESTARTING               | -
            RESTARTING               | deps-changed        | RESTARTING               | -
            RESTARTING               | spawned             | RESTARTING               | -
            RESTARTING               | ready               | RESTARTING               | -
            RESTARTING               | abort               | RESTARTING               | -
            RESTARTING               | exit(1)             | WAITING_FOR_DEPENDENCIES | -check gone(STOPPED) =STARTING deps?
            RESTARTING               | helper-lost         | WAITING_FOR_DEPENDENCIES | -check gone(STOPPED) =STARTING deps?
            RESTARTING               | backoff-over        | RESTARTING               | -
            RESTARTING               | pre-ok              | RESTARTING               | -
            RESTARTING               | pre-failed          | RESTARTING               | -
            RESTARTING               | watchdog            | RESTARTING               | -

            BACKING_OFF              | start               | WAITING_FOR_DEPENDENCIES | -backoff =STARTING deps?
            BACKING_OFF              | restart             | WAITING_FOR_DEPENDENCIES | -backoff =STARTING deps?
            BACKING_OFF              | stop                | STOPPED                  | -backoff =STOPPED
            BACKING_OFF              | close               | CLOSED                   | -backoff =STOPPED release
            BACKING_OFF              | hand-over           | CLOSED                   | -backoff -check handover(STARTING) =STOPPED release
            BACKING_OFF              | adopt               | BACKING_OFF              | error
            BACKING_OFF              | reconfigure         | BACKING_OFF              | -
            BACKING_OFF              | reconfigure(argv)   | BACKING_OFF              | -
            BACKING_OFF              | deps(none)          | BACKING_OFF              | -
            BACKING_OFF              | deps(db)            | BACKING_OFF              | -
            BACKING_OFF              | deps(cycle)         | BACKING_OFF              | -
            BACKING_OFF              | deps-changed        | BACKING_OFF              | -
            BACKING_OFF              | spawned             | BACKING_OFF              | -
            BACKING_OFF              | ready               | BACKING_OFF              | -
            BACKING_OFF              | abort               | BACKING_OFF              | -
            BACKING_OFF              | exit(1)             | BACKING_OFF              | -
            BACKING_OFF              | helper-lost         | BACKING_OFF              | -
            BACKING_OFF              | backoff-over        | WAITING_FOR_DEPENDENCIES | =STARTING deps?
            BACKING_OFF              | pre-ok              | BACKING_OFF              | -
            BACKING_OFF              | pre-failed          | BACKING_OFF              | -
            BACKING_OFF              | watchdog            | BACKING_OFF              | -

            CLOSING                  | start               | CLOSING                  | error
            CLOSING                  | restart             | CLOSING                  | error
            CLOSING                  | stop                | CLOSING                  | -
            CLOSING                  | close               | CLOSING                  | -
            CLOSING                  | hand-over           | CLOSING                  | -
            CLOSING                  | adopt               | CLOSING                  | error
            CLOSING                  | reconfigure         | CLOSING                  | error
            CLOSING                  | reconfigure(argv)   | CLOSING                  | error
            CLOSING                  | deps(none)          | CLOSING                  | -
            CLOSING                  | deps(db)            | CLOSING                  | -
            CLOSING                  | deps(cycle)         | CLOSING                  | -
            CLOSING                  | deps-changed        | CLOSING                  | -
            CLOSING                  | spawned             | CLOSING                  | -
            CLOSING                  | ready               | CLOSING                  | -
            CLOSING                  | abort               | CLOSING                  | -
            CLOSING                  | exit(1)             | CLOSED                   | -check gone(STOPPED) =STOPPED !STOPPED release
            CLOSING                  | helper-lost         | CLOSED                   | -check gone(STOPPED) =STOPPED !STOPPED release
            CLOSING                  | backoff-over        | CLOSING                  | -
            CLOSING                  | pre-ok              | CLOSING                  | -
            CLOSING                  | pre-failed          | CLOSING                  | -
            CLOSING                  | watchdog            | CLOSING                  | -

            CLOSED                   | start               | CLOSED                   | error
            CLOSED                   | restart             | CLOSED                   | error
            CLOSED                   | stop                | CLOSED                   | -
            CLOSED                   | close               | CLOSED                   | -
            CLOSED                   | hand-over           | CLOSED                   | -
            CLOSED                   | adopt               | CLOSED                   | error
            CLOSED                   | reconfigure         | CLOSED                   | error
            CLOSED                   | reconfigure(argv)   | CLOSED                   | error
            CLOSED                   | deps(none)          | CLOSED                   | -
            CLOSED                   | deps(db)            | CLOSED                   | -
            CLOSED                   | deps(cycle)         | CLOSED                   | -
            CLOSED                   | deps-changed        | CLOSED                   | -
            CLOSED                   | spawned             | CLOSED                   | -
            CLOSED                   | ready               | CLOSED                   | -
            CLOSED                   | abort               | CLOSED                   | -
            CLOSED                   | exit(1)             | CLOSED                   | -
            CLOSED                   | helper-lost         | CLOSED                   | -
            CLOSED                   | backoff-over        | CLOSED                   | -
            CLOSED                   | pre-ok              | CLOSED                   | -
            CLOSED                   | pre-failed          | CLOSED                   | -
            CLOSED                   | watchdog            | CLOSED                   | -
            """;

    /** The events of the table, made for the machine's current run. */
    private static final Map<String, Function<DaemonMachine, Event>> EVENTS = new LinkedHashMap<>();

    static {
        EVENTS.put("start", m -> new Start());
        EVENTS.put("restart", m -> new Restart());
        EVENTS.put("stop", m -> new Stop());
        EVENTS.put("close", m -> new Close());
        EVENTS.put("hand-over", m -> new HandOver(true));
        EVENTS.put("adopt", m -> new Adopt(2, DaemonState.READY, true, false));
        EVENTS.put("reconfigure", m -> new Reconfigure(SPEC, List.of()));
        EVENTS.put("reconfigure(argv)", m -> new Reconfigure(DaemonSpec.builder("d", CommandSpec.of("/bin/other"))
                .build(), List.of("argv")));
        EVENTS.put("deps(none)", m -> new Dependencies(List.of()));
        EVENTS.put("deps(db)", m -> new Dependencies(List.of("db")));
        EVENTS.put("deps(cycle)", m -> new Dependencies(List.of("db"), List.of(), List.of("d", "db", "d")));
        EVENTS.put("deps-changed", m -> new DependenciesChanged());
        EVENTS.put("spawned", m -> new Spawned(m.run(), 4242, 4243));
        EVENTS.put("ready", m -> new ReadinessPassed(m.run(), "test"));
        EVENTS.put("abort", m -> new Abort(m.run(), DaemonExit.Reason.READINESS_TIMEOUT, "check did not pass"));
        EVENTS.put("exit(1)", m -> new Ended(m.run(), Outcome.of(exit(4242, 1), false)));
        EVENTS.put("helper-lost", m -> new Ended(m.run(), Outcome.helperLost(4242, "helper pid 4243 died: SIGKILL",
                null, false)));
        EVENTS.put("backoff-over", m -> new BackoffElapsed(m.run()));
        EVENTS.put("pre-ok", m -> new PreStartDone(m.run(), true, null));
        EVENTS.put("pre-failed", m -> new PreStartDone(m.run(), false, "exited with code 1"));
        EVENTS.put("watchdog", m -> new Abort(m.run(), DaemonExit.Reason.WATCHDOG, "watchdog: no WATCHDOG=1 within 30s"));
    }

    private Step step(DaemonMachine m, Event e) {
        return m.step(e, now);
    }

    private Step step(DaemonMachine m, String event) {
        return step(m, EVENTS.get(event).apply(m));
    }

    /** A machine brought into {@code p} by the events a daemon sees on its way there. */
    private DaemonMachine in(Phase p) {
        return in(p, SPEC);
    }

    private DaemonMachine in(Phase p, DaemonSpec spec) {
        DaemonMachine m = new DaemonMachine(spec);
        switch (p) {
            case STOPPED:
                break;
            case FAILED:
                step(m, "start");
                for (int i = 0; i < 4; i++) { // intensity 3 per 10s: the fourth crash fails it
                    step(m, "deps(none)");
                    step(m, "spawned");
                    now += MS;
                    step(m, "exit(1)");
                    now += 2000 * MS;
                    step(m, "backoff-over");
                }
                break;
            case WAITING_FOR_DEPENDENCIES:
                step(m, "start");
                step(m, "deps(db)");
                break;
            case DEPENDENCY_CYCLE:
                step(m, "start");
                step(m, "deps(cycle)");
                break;
            case PRE_START:
                m = new DaemonMachine(withHook(spec));
                step(m, "start");
                step(m, "deps(none)");
                break;
            case LAUNCHING:
                step(m, "start");
                step(m, "deps(none)");
                break;
            case ATTACHING:
                step(m, "adopt");
                break;
            case RUNNING:
                m = in(Phase.LAUNCHING, spec);
                step(m, "spawned");
                break;
            case READY:
                m = in(Phase.RUNNING, spec);
                step(m, "ready");
                break;
            case ABORTING:
                m = in(Phase.RUNNING, spec);
                step(m, "abort");
                break;
            case STOPPING:
                m = in(Phase.READY, spec);
                step(m, "stop");
                break;
            case RESTARTING:
                m = in(Phase.READY, spec);
                step(m, "restart");
                break;
            case BACKING_OFF:
                m = in(Phase.READY, spec);
                step(m, "exit(1)");
                break;
            case CLOSING:
                m = in(Phase.READY, spec);
                step(m, "close");
                break;
            case CLOSED:
                step(m, "close");
                break;
            default:
                throw new AssertionError(p);
        }
        assertEquals(p, m.phase(), "set-up of " + p);
        now += 10 * MS;
        return m;
    }

    /** The table's short form of an action; null for those it leaves out (logging). */
    static String code(Action a) {
        if (a instanceof DaemonMachine.CheckDependencies) {
            return "deps?";
        } else if (a instanceof DaemonMachine.Launch) {
            return "launch";
        } else if (a instanceof DaemonMachine.Attach) {
            return "attach";
        } else if (a instanceof DaemonMachine.StartReadiness) {
            return "check";
        } else if (a instanceof DaemonMachine.CancelReadiness) {
            return "-check";
        } else if (a instanceof DaemonMachine.StopProgram) {
            Signal first = ((DaemonMachine.StopProgram) a).first();
            return first == null ? "kill" : "kill(" + first + ")";
        } else if (a instanceof DaemonMachine.ArmWatchdog) {
            return "watchdog";
        } else if (a instanceof DaemonMachine.ScheduleBackoff) {
            return "backoff(" + RestartPlanner.fmt(((DaemonMachine.ScheduleBackoff) a).delay()) + ")";
        } else if (a instanceof DaemonMachine.CancelBackoff) {
            return "-backoff";
        } else if (a instanceof DaemonMachine.MarkStarted) {
            return ((DaemonMachine.MarkStarted) a).reattached() ? "started(kept)" : "started";
        } else if (a instanceof DaemonMachine.ProgramGone) {
            return "gone(" + ((DaemonMachine.ProgramGone) a).reason() + ")";
        } else if (a instanceof DaemonMachine.Notify) {
            return "=" + ((DaemonMachine.Notify) a).state();
        } else if (a instanceof DaemonMachine.Publish) {
            return "!" + ((DaemonMachine.Publish) a).topic().substring(DaemonEvents.TOPIC_PREFIX.length());
        } else if (a instanceof DaemonMachine.HandOverProgram) {
            DaemonMachine.HandOverProgram h = (DaemonMachine.HandOverProgram) a;
            return "handover(" + (h.detach() ? "detach," : "") + h.state() + ")";
        } else if (a instanceof DaemonMachine.Release) {
            return "release";
        } else if (a instanceof DaemonMachine.RunPreStart) {
            return "pre";
        } else if (a instanceof DaemonMachine.CancelPreStart) {
            return "-pre";
        }
        return null;
    }

    static String codes(List<Action> actions) {
        String s = actions.stream().map(DaemonMachineTest::code).filter(c -> c != null).collect(Collectors.joining(" "));
        return s.isEmpty() ? "-" : s;
    }

    private record Row(Phase phase, String event, Phase next, String actions) {
    }

    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (String line : TABLE.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\|");
            rows.add(new Row(Phase.valueOf(f[0].trim()), f[1].trim(), Phase.valueOf(f[2].trim()), f[3].trim()));
        }
        return rows;
    }

    @Test
    void tableCoversEveryPhaseAndEventOnce() {
        List<Row> rows = rows();
        Set<String> seen = new java.util.HashSet<>();
        for (Row r : rows) {
            assertTrue(EVENTS.containsKey(r.event()), "unknown event " + r.event());
            assertTrue(seen.add(r.phase() + " " + r.event()), "twice: " + r.phase() + " " + r.event());
        }
        assertEquals(Phase.values().length * EVENTS.size(), rows.size(), "one row per phase and event");
    }

    @Test
    void everyPhaseAgainstEveryEvent() {
        List<String> wrong = new ArrayList<>();
        for (Row r : rows()) {
            DaemonMachine m = in(r.phase());
            String got;
            Phase next;
            try {
                Step s = step(m, r.event());
                assertEquals(r.phase(), s.from());
                assertEquals(m.phase(), s.to());
                got = codes(s.actions());
                next = s.to();
            } catch (IllegalStateException e) {
                got = "error";
                next = m.phase();
                assertEquals(r.phase(), next, "a refused event changes nothing");
            }
            if (next != r.next() || !got.equals(r.actions())) {
                wrong.add(String.format("%-24s | %-19s | %-24s | %s", r.phase(), r.event(), next, got));
            }
        }
        assertTrue(wrong.isEmpty(), "rows that differ (as they are now):\n" + String.join("\n", wrong));
    }

    @Test
    void theApiStateIsAProjectionThatReachesEveryState() {
        Set<DaemonState> reached = EnumSet.noneOf(DaemonState.class);
        for (Phase p : Phase.values()) {
            DaemonMachine m = in(p);
            assertEquals(p.api, m.state());
            reached.add(m.state());
        }
        assertEquals(EnumSet.allOf(DaemonState.class), reached);
        for (Phase p : Phase.values()) {
            assertEquals(p.hasProgram(), p.api.isAlive() && p != Phase.WAITING_FOR_DEPENDENCIES && p != Phase.PRE_START,
                    p.name());
        }
    }

    @Test
    void notifyIsEmittedExactlyWhenTheApiStateChanges() {
        for (Row r : rows()) {
            DaemonMachine m = in(r.phase());
            DaemonState before = m.state();
            Step s;
            try {
                s = step(m, r.event());
            } catch (IllegalStateException e) {
                continue;
            }
            List<DaemonState> notified = s.actions().stream().filter(a -> a instanceof DaemonMachine.Notify)
                    .map(a -> ((DaemonMachine.Notify) a).state()).collect(Collectors.toList());
            DaemonState prev = before;
            for (DaemonState n : notified) {
                assertTrue(n != prev, r + ": notified " + n + " twice in a row");
                prev = n;
            }
            assertEquals(m.state(), prev, r + ": the last notification is the state after the step");
        }
    }

    // ------------------------------------------------------------------ run numbers

    @Test
    void eventsOfAnotherRunChangeNothingInAnyPhase() {
        List<Function<Integer, Event>> programEvents = List.of(
                run -> new Spawned(run, 1, 2),
                run -> new ReadinessPassed(run, "x"),
                run -> new Abort(run, DaemonExit.Reason.READINESS_TIMEOUT, "x"),
                run -> new Ended(run, Outcome.of(exit(1, 0), false)),
                run -> new Ended(run, Outcome.helperLost(1, "x", null, false)),
                run -> new BackoffElapsed(run),
                run -> new PreStartDone(run, true, null),
                run -> new PreStartDone(run, false, "x"),
                run -> new Abort(run, DaemonExit.Reason.WATCHDOG, "x"));
        for (Phase p : Phase.values()) {
            for (int delta : new int[] {-1, 1}) {
                for (Function<Integer, Event> f : programEvents) {
                    DaemonMachine m = in(p);
                    Event e = f.apply(m.run() + delta);
                    Step s = step(m, e);
                    assertEquals(p, s.to(), p + " " + e);
                    assertEquals(List.of(), s.actions(), p + " " + e);
                }
            }
        }
    }

    @Test
    void everyLaunchAndAttachGetsANewRun() {
        DaemonMachine m = in(Phase.READY);
        int first = m.run();
        step(m, "restart");
        step(m, "exit(1)");
        Step s = step(m, "deps(none)");
        assertEquals(List.of(new DaemonMachine.Launch(first + 1)), s.actions());
        assertEquals(first + 1, m.run());
    }

    // ------------------------------------------------------------------ the restart policy with fake time

    @Test
    void backOffDoublesUpToTheCapAndAStableRunResetsIt() {
        DaemonMachine m = in(Phase.LAUNCHING);
        List<String> delays = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            step(m, "spawned");
            now += 10 * MS;
            delays.add(codes(step(m, "exit(1)").actions()).replaceAll(".* backoff", "backoff"));
            now += 5_000 * MS; // past the intensity window: no FAILED
            step(m, "backoff-over");
            step(m, "deps(none)");
        }
        assertEquals(List.of("backoff(100ms)", "backoff(200ms)", "backoff(400ms)"), delays);
        step(m, "spawned");
        now += 2_000 * MS; // ran as long as the longest delay: stable
        assertTrue(codes(step(m, "exit(1)").actions()).endsWith("backoff(100ms)"));
    }

    @Test
    void intensityExceededFailsAndAStartResetsTheHistory() {
        DaemonMachine m = in(Phase.FAILED);
        assertEquals(3, m.restarts());
        step(m, "start");
        step(m, "deps(none)");
        step(m, "spawned");
        Step s = step(m, "exit(1)");
        assertEquals(Phase.BACKING_OFF, s.to(), "the history was reset by the start");
    }

    @Test
    void failedStateCarriesTheIntensityReason() {
        DaemonMachine m = in(Phase.READY);
        Step s = null;
        for (int i = 0; i < 4; i++) {
            now += MS;
            s = step(m, "exit(1)");
            if (s.to() == Phase.FAILED) {
                break;
            }
            step(m, "backoff-over");
            step(m, "deps(none)");
            step(m, "spawned");
        }
        assertEquals(Phase.FAILED, s.to());
        DaemonMachine.Publish failed = publish(s, DaemonEvents.FAILED);
        assertTrue(((String) failed.extra().get(DaemonEvents.REASON)).contains("intensity 3 per 10s exceeded"),
                failed.toString());
        assertTrue(logs(s).stream().anyMatch(l -> l.level() == Level.ERROR && l.text().startsWith("FAILED: ")));
    }

    @Test
    void zeroDelayRelaunchesWithoutATimer() {
        DaemonMachine m = in(Phase.READY, spec(RestartPolicy.PERMANENT).restartDelay(Duration.ZERO).build());
        Step s = step(m, "exit(1)");
        assertEquals("-check gone(EXITED) =BACKING_OFF !RESTARTING =STARTING deps?", codes(s.actions()));
        assertEquals(1, m.restarts());
        assertEquals(0, publish(s, DaemonEvents.RESTARTING).restarts(), "the event tells the count before");
    }

    @Test
    void policiesDecideAfterEachKindOfEnd() {
        List<Function<DaemonMachine, Event>> ends = List.of(
                m -> new Ended(m.run(), Outcome.of(exit(1, 0), false)),
                m -> new Ended(m.run(), Outcome.of(exit(1, 1), false)),
                m -> new Ended(m.run(), Outcome.of(ProcessResult.builder().pid(1).signal(Signal.SEGV).build(), false)),
                m -> new Ended(m.run(), Outcome.helperLost(1, "helper pid 2 died: SIGKILL", null, false)),
                m -> new Ended(m.run(), Outcome.lost(1, "broken", false)),
                m -> new Ended(m.run(), Outcome.notStarted("exec failed", false)));
        // exit 0, exit 1, SIGSEGV, helper lost, lost, not started
        Map<RestartPolicy, List<Phase>> expected = Map.of(
                RestartPolicy.PERMANENT, List.of(Phase.BACKING_OFF, Phase.BACKING_OFF, Phase.BACKING_OFF,
                        Phase.BACKING_OFF, Phase.BACKING_OFF, Phase.BACKING_OFF),
                RestartPolicy.TRANSIENT, List.of(Phase.STOPPED, Phase.BACKING_OFF, Phase.BACKING_OFF,
                        Phase.BACKING_OFF, Phase.BACKING_OFF, Phase.BACKING_OFF),
                RestartPolicy.TEMPORARY, List.of(Phase.STOPPED, Phase.STOPPED, Phase.STOPPED,
                        Phase.STOPPED, Phase.FAILED, Phase.FAILED));
        for (RestartPolicy policy : RestartPolicy.values()) {
            for (int i = 0; i < ends.size(); i++) {
                DaemonMachine m = in(Phase.READY, spec(policy).build());
                Step s = step(m, ends.get(i).apply(m));
                assertEquals(expected.get(policy).get(i), s.to(), policy + " end #" + i + ": " + codes(s.actions()));
            }
        }
    }

    @Test
    void exitPolicyDecidesCleanPreventedAndTheLogLevel() {
        DaemonSpec transientSpec = spec(RestartPolicy.TRANSIENT).successExitStatus(ExitStatusSet.parse("3 SIGHUP"))
                .restartPreventExitStatus(ExitStatusSet.codes(78)).build();
        DaemonMachine m = in(Phase.READY, transientSpec);
        Step s = step(m, new Ended(m.run(), Outcome.of(exit(4242, 3), false)));
        assertEquals(Phase.STOPPED, s.to(), "3 is clean: transient does not restart it");
        assertTrue(gone(s).clean());
        assertEquals(List.of(Level.INFO), levels(s));
        m = in(Phase.READY, transientSpec);
        s = step(m, new Ended(m.run(), Outcome.of(ProcessResult.builder().pid(4242).signal(Signal.HUP).build(), false)));
        assertEquals(Phase.STOPPED, s.to(), "SIGHUP is clean");
        m = in(Phase.READY, transientSpec);
        s = step(m, new Ended(m.run(), Outcome.of(exit(4242, 4), false)));
        assertEquals(Phase.BACKING_OFF, s.to());
        assertFalse(gone(s).clean());
        assertEquals(List.of(Level.WARN), levels(s), "a failure is a WARN line");

        DaemonSpec permanent = spec(RestartPolicy.PERMANENT).restartPreventExitStatus(ExitStatusSet.codes(78)).build();
        m = in(Phase.READY, permanent);
        s = step(m, new Ended(m.run(), Outcome.of(exit(4242, 0), false)));
        assertEquals(Phase.BACKING_OFF, s.to(), "permanent restarts a clean end");
        assertEquals(List.of(Level.INFO), levels(s), "but does not log it as a failure");
        m = in(Phase.READY, permanent);
        s = step(m, new Ended(m.run(), Outcome.of(exit(4242, 78), false)));
        assertEquals(Phase.STOPPED, s.to(), "78 is never restarted");
        assertEquals("-check gone(EXITED) =STOPPED !STOPPED", codes(s.actions()));
        assertEquals("exited with code 78; restart.prevent.exit.status lists it: not restarted",
                publish(s, DaemonEvents.STOPPED).extra().get(DaemonEvents.REASON));
        assertEquals(List.of(Level.WARN), levels(s), "78 is no clean end");
        m = in(Phase.READY, permanent);
        s = step(m, "helper-lost");
        assertEquals(Phase.BACKING_OFF, s.to(), "a lost helper has no status to look up");
        m = in(Phase.STOPPING, permanent);
        s = step(m, new Ended(m.run(), Outcome.of(exit(4242, 78), false)));
        assertEquals(Phase.STOPPED, s.to());
        assertTrue(gone(s).clean(), "a stop on request is clean, whatever the status");
    }

    private static DaemonMachine.ProgramGone gone(Step s) {
        return s.actions().stream().filter(a -> a instanceof DaemonMachine.ProgramGone)
                .map(a -> (DaemonMachine.ProgramGone) a).findFirst().orElseThrow();
    }

    private static List<Level> levels(Step s) {
        return logs(s).stream().map(DaemonMachine.Log::level).filter(l -> l != Level.DEBUG).collect(Collectors.toList());
    }

    @Test
    void preStartHookRunsBetweenDependenciesAndLaunchWithTheSameRun() {
        DaemonMachine m = new DaemonMachine(withHook(SPEC));
        step(m, "start");
        Step s = step(m, "deps(none)");
        assertEquals(Phase.PRE_START, s.to());
        assertEquals("pre", codes(s.actions()));
        assertEquals(DaemonState.STARTING, m.state());
        int run = ((DaemonMachine.RunPreStart) s.actions().get(0)).run();
        s = step(m, new PreStartDone(run, true, null));
        assertEquals(List.of(new DaemonMachine.Launch(run)), s.actions().stream()
                .filter(a -> a instanceof DaemonMachine.Launch).collect(Collectors.toList()));
        step(m, "spawned");
        step(m, "ready");
        s = step(m, "exit(1)");
        now += 200 * MS;
        step(m, "backoff-over");
        s = step(m, "deps(none)");
        assertEquals("pre", codes(s.actions()), "every restart runs the hook again");
    }

    @Test
    void aFailedPreStartHookIsAFailedStart() {
        DaemonMachine m = in(Phase.PRE_START, spec(RestartPolicy.TEMPORARY).build());
        Step s = step(m, new PreStartDone(m.run(), false, "exited with code 3"));
        assertEquals(Phase.FAILED, s.to(), "temporary: a failed start is FAILED");
        assertEquals("pre-start hook failed: exited with code 3",
                publish(s, DaemonEvents.FAILED).extra().get(DaemonEvents.REASON));
        assertTrue(s.actions().stream().noneMatch(a -> a instanceof DaemonMachine.ProgramGone),
                "no program ran: the last exit stays as it was");
        DaemonMachine p = in(Phase.PRE_START, spec(RestartPolicy.PERMANENT).build());
        for (int i = 0; i < 3; i++) {
            now += MS;
            assertEquals(Phase.BACKING_OFF, step(p, "pre-failed").to());
            step(p, "backoff-over");
            step(p, "deps(none)");
        }
        now += MS;
        s = step(p, "pre-failed");
        assertEquals(Phase.FAILED, s.to(), "failed hooks count against the intensity");
    }

    @Test
    void stopWhileTheHookRunsKillsItAndNothingIsLaunchedLater() {
        DaemonMachine m = in(Phase.PRE_START);
        int run = m.run();
        Step s = step(m, "stop");
        assertEquals(List.of("stopped before it started: its pre-start hook is killed"), texts(s));
        assertEquals(Phase.STOPPED, s.to());
        s = step(m, new PreStartDone(run, true, null));
        assertEquals(List.of(), s.actions(), "the killed hook's late answer changes nothing");
        s = step(m, new PreStartDone(run, false, "killed by SIGTERM"));
        assertEquals(List.of(), s.actions());
    }

    @Test
    void theWatchdogStartsAtReadyAndItsTimeoutIsAnAbnormalEnd() {
        DaemonSpec watched = spec(RestartPolicy.PERMANENT).watchdog(Duration.ofSeconds(30))
                .readiness(org.corral.api.Readiness.notifySocket()).build();
        DaemonMachine m = in(Phase.RUNNING, watched);
        Step s = step(m, "ready");
        assertEquals("-check =READY watchdog !READY", codes(s.actions()));
        assertEquals(new DaemonMachine.ArmWatchdog(m.run()), s.actions().stream()
                .filter(a -> a instanceof DaemonMachine.ArmWatchdog).findFirst().orElseThrow());
        s = step(m, "watchdog");
        assertEquals(Phase.ABORTING, s.to());
        assertEquals(List.of("watchdog: no WATCHDOG=1 within 30s: sending SIGABRT, then SIGTERM after 300 ms, then"
                + " SIGKILL"), texts(s));
        s = step(m, new Ended(m.run(), Outcome.of(ProcessResult.builder().pid(4242).signal(Signal.ABRT).build(), false)));
        assertEquals("-check gone(WATCHDOG) =BACKING_OFF !RESTARTING backoff(100ms)", codes(s.actions()));
        assertEquals("watchdog: no WATCHDOG=1 within 30s (killed by SIGABRT), restarting in 100ms",
                publish(s, DaemonEvents.RESTARTING).extra().get(DaemonEvents.REASON));
        assertFalse(gone(s).clean());

        DaemonMachine t = in(Phase.READY, spec(RestartPolicy.TEMPORARY).watchdog(Duration.ofSeconds(5)).build());
        step(t, "watchdog");
        s = step(t, new Ended(t.run(), Outcome.of(exit(4242, 0), false)));
        assertEquals(Phase.STOPPED, s.to(), "temporary: not restarted, whatever the status");
        assertEquals(List.of(Level.WARN), levels(s), "a watchdog timeout is a failure");

        DaemonMachine prevented = in(Phase.READY, spec(RestartPolicy.PERMANENT).watchdog(Duration.ofSeconds(5))
                .restartPreventExitStatus(ExitStatusSet.parse("SIGABRT")).build());
        step(prevented, "watchdog");
        s = step(prevented, new Ended(prevented.run(), Outcome.of(ProcessResult.builder().pid(1).signal(Signal.ABRT)
                .build(), false)));
        assertEquals(Phase.BACKING_OFF, s.to(), "Corral's kill is no status of the program: the lists do not apply");
    }

    @Test
    void aReadinessTimeoutThatRacedWithReadinessDoesNotStopAReadyDaemon() {
        DaemonMachine m = in(Phase.READY);
        Step s = step(m, "abort");
        assertEquals(Phase.READY, s.to());
        assertEquals(List.of(), s.actions());
        DaemonMachine r = in(Phase.RUNNING);
        assertEquals(Phase.RUNNING, step(r, "watchdog").to(), "the watchdog starts at READY");
    }

    @Test
    void anAdoptedReadyDaemonArmsItsWatchdog() {
        DaemonMachine m = new DaemonMachine(spec(RestartPolicy.PERMANENT).watchdog(Duration.ofSeconds(10)).build());
        step(m, new Adopt(0, DaemonState.READY, true, false));
        assertEquals("started(kept) =RUNNING =READY watchdog", codes(step(m, "spawned").actions()));
    }

    @Test
    void helperLossIsAFailureThatIsRecordedAndRestarted() {
        DaemonMachine m = in(Phase.READY);
        Step s = step(m, "helper-lost");
        DaemonMachine.ProgramGone gone = s.actions().stream().filter(a -> a instanceof DaemonMachine.ProgramGone)
                .map(a -> (DaemonMachine.ProgramGone) a).findFirst().orElseThrow();
        assertEquals(DaemonExit.Reason.HELPER_LOST, gone.reason());
        assertFalse(gone.requested());
        String reason = (String) publish(s, DaemonEvents.RESTARTING).extra().get(DaemonEvents.REASON);
        assertTrue(reason.startsWith("its helper was lost (helper pid 4243 died: SIGKILL), restarting in 100ms"), reason);
    }

    @Test
    void anEndAfterTheEngineClosedStopsWithoutRestart() {
        DaemonMachine m = in(Phase.READY);
        Step s = step(m, new Ended(m.run(), Outcome.of(exit(4242, 1), true)));
        assertEquals(Phase.STOPPED, s.to());
        assertEquals("the engine was closed", publish(s, DaemonEvents.STOPPED).extra().get(DaemonEvents.REASON));
    }

    @Test
    void abortedRunIsAFailedStartWithTheCheckAsReason() {
        DaemonMachine m = in(Phase.ABORTING, spec(RestartPolicy.TEMPORARY).build());
        Step s = step(m, new Ended(m.run(), Outcome.of(ProcessResult.builder().pid(4242).signal(Signal.TERM)
                .killed(true).build(), false)));
        assertEquals(Phase.FAILED, s.to());
        assertEquals("check did not pass (killed by SIGTERM)",
                publish(s, DaemonEvents.FAILED).extra().get(DaemonEvents.REASON));
    }

    // ------------------------------------------------------------------ dependencies, adoption, hand-over

    @Test
    void waitingForDependenciesIsLoggedOnceAndShown() {
        DaemonMachine m = new DaemonMachine(SPEC);
        step(m, "start");
        assertEquals(List.of(), m.waitingFor(), "not checked yet");
        Step s = step(m, new Dependencies(List.of("db", "mq")));
        assertEquals(List.of("waiting for db, mq to be READY"), texts(s));
        assertEquals(List.of("db", "mq"), m.waitingFor());
        s = step(m, new Dependencies(List.of("mq")));
        assertEquals(List.of(), texts(s), "logged once per wait");
        assertEquals(List.of("mq"), m.waitingFor());
        step(m, "deps(none)");
        assertEquals(List.of(), m.waitingFor());
    }

    /** Issue 12.9: a dependency no daemon is named after is a WARN line, once, naming it. */
    @Test
    void anUnknownDependencyIsAWarning() {
        DaemonMachine m = new DaemonMachine(SPEC);
        step(m, "start");
        Step s = step(m, new Dependencies(List.of("db", "mq"), List.of("mq"), List.of()));
        assertEquals(List.of("waiting for db, mq to be READY; no daemon is named mq: configure it, or take it out of"
                + " depends.on"), texts(s));
        assertEquals(Level.WARN, logs(s).get(0).level());
        assertEquals(List.of(), texts(step(m, new Dependencies(List.of("db", "mq"), List.of("mq"), List.of()))));
    }

    /** Issue 12.9: a depends.on cycle makes the daemon INVALID, naming the cycle, until it is broken. */
    @Test
    void aDependencyCycleIsInvalidUntilBroken() {
        DaemonMachine m = new DaemonMachine(SPEC);
        step(m, "start");
        Step s = step(m, new Dependencies(List.of("b"), List.of(), List.of("d", "b", "c", "d")));
        assertEquals(Phase.DEPENDENCY_CYCLE, s.to());
        assertEquals(DaemonState.INVALID, m.state());
        assertEquals(List.of("depends.on cycle: d -> b -> c -> d: it cannot start until the cycle is broken (change"
                + " depends.on of one of them)"), texts(s));
        assertEquals(Level.ERROR, logs(s).get(0).level());
        assertEquals("depends.on cycle: d -> b -> c -> d",
                ((String[]) publish(s, DaemonEvents.INVALID).extra().get(DaemonEvents.PROBLEMS))[0]);
        assertEquals(List.of("d", "b", "c", "d"), m.cycle());
        s = step(m, new Dependencies(List.of("b"), List.of(), List.of()));
        assertEquals(Phase.WAITING_FOR_DEPENDENCIES, s.to());
        assertEquals(List.of(), m.cycle());
        assertEquals(List.of("b"), m.waitingFor());
    }

    @Test
    void adoptionWithoutAProgram() {
        DaemonMachine stopped = new DaemonMachine(SPEC);
        assertEquals(Phase.STOPPED, step(stopped, new Adopt(4, DaemonState.STOPPED, false, false)).to());
        assertEquals(4, stopped.restarts());
        DaemonMachine failed = new DaemonMachine(SPEC);
        assertEquals(Phase.FAILED, step(failed, new Adopt(4, DaemonState.FAILED, false, false)).to());
        DaemonMachine starting = new DaemonMachine(SPEC);
        Step s = step(starting, new Adopt(4, DaemonState.STARTING, false, false));
        assertEquals("=STARTING deps?", codes(s.actions()));
        assertEquals(5, starting.restarts(), "starting it again counts as a restart");
    }

    @Test
    void adoptionOfAChangedProgramRestartsItOnceAttached() {
        DaemonMachine m = new DaemonMachine(SPEC);
        step(m, new Adopt(0, DaemonState.READY, true, true));
        Step s = step(m, "spawned");
        assertEquals(Phase.RESTARTING, s.to());
        assertEquals("started(kept) =RUNNING -check =STOPPING kill", codes(s.actions()));
        s = step(m, "exit(1)");
        assertEquals(Phase.WAITING_FOR_DEPENDENCIES, s.to());
        assertEquals(1, m.restarts());
    }

    @Test
    void adoptionOfARunningProgramStartsItsReadinessCheck() {
        DaemonMachine m = new DaemonMachine(SPEC);
        step(m, new Adopt(0, DaemonState.RUNNING, true, false));
        assertEquals("started(kept) =RUNNING check", codes(step(m, "spawned").actions()));
    }

    @Test
    void handOverWithoutDetachStopsTheProgram() {
        DaemonMachine m = in(Phase.READY);
        Step s = step(m, new HandOver(false));
        assertEquals("-backoff -check kill handover(STARTING) =STOPPED release", codes(s.actions()));
    }

    // ------------------------------------------------------------------ messages and event properties

    @Test
    void startedEventCarriesThePids() {
        DaemonMachine m = in(Phase.LAUNCHING);
        Step s = step(m, "spawned");
        DaemonMachine.Publish p = publish(s, DaemonEvents.STARTED);
        assertEquals(4242, p.pid());
        assertEquals(4243, p.helperPid());
        assertEquals(List.of("started: pid 4242 (helper 4243): " + String.join(" ", SPEC.command().argv())), texts(s));
        s = step(m, "exit(1)");
        assertEquals(-1, publish(s, DaemonEvents.RESTARTING).pid(), "after the end there is no pid");
    }

    @Test
    void stopIsLoggedWithPidSignalAndGrace() {
        DaemonMachine m = in(Phase.READY);
        assertEquals(List.of("stopping (pid 4242, SIGTERM then SIGKILL after 300 ms)"), texts(step(m, "stop")));
        assertEquals(List.of("stopped (exited with code 1)"), texts(step(m, "exit(1)")));
        DaemonMachine l = in(Phase.LAUNCHING);
        assertEquals(List.of("stopping (not spawned yet, SIGTERM then SIGKILL after 300 ms)"), texts(step(l, "stop")));
    }

    @Test
    void reconfigurationNamesTheChangedPartsOnly() {
        DaemonMachine m = in(Phase.READY);
        Step s = step(m, new Reconfigure(SPEC, List.of("argv", "env")));
        assertEquals(List.of("reconfigured: the program changed (argv, env), restarting it"), texts(s));
        assertEquals(SPEC, m.spec());
    }

    @Test
    void removedDaemonRefusesRequestsByName() {
        DaemonMachine m = in(Phase.CLOSED);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> step(m, "start"));
        assertEquals("daemon 'd' was removed", e.getMessage());
    }

    @Test
    void oomStatsTravelWithTheOutcome() {
        CgroupStats st = new CgroupStats("corral/x", Map.of("memory.events",
                new CgroupValue.FlatKeyed("oom_kill 1", Map.of("oom_kill", 1L))));
        Outcome o = Outcome.helperLost(7, "helper died", st, false);
        assertEquals(st, o.stats());
        assertEquals(DaemonExit.Reason.HELPER_LOST, o.reason());
    }

    private static DaemonMachine.Publish publish(Step s, String topic) {
        return s.actions().stream().filter(a -> a instanceof DaemonMachine.Publish)
                .map(a -> (DaemonMachine.Publish) a).filter(p -> p.topic().equals(topic)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + topic + " in " + s.actions()));
    }

    private static List<DaemonMachine.Log> logs(Step s) {
        return s.actions().stream().filter(a -> a instanceof DaemonMachine.Log).map(a -> (DaemonMachine.Log) a)
                .collect(Collectors.toList());
    }

    private static List<String> texts(Step s) {
        return Stream.of(s).flatMap(x -> logs(x).stream()).filter(l -> l.level() != Level.DEBUG)
                .map(DaemonMachine.Log::text).collect(Collectors.toList());
    }
}
