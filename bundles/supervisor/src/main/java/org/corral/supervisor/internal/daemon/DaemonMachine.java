package org.corral.supervisor.internal.daemon;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.corral.api.CgroupStats;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.api.values.Printable;
import org.corral.supervisor.internal.daemon.RestartPlanner.Decision;
import org.slf4j.event.Level;

/**
 * The life cycle of one daemon as a pure state machine, in the style of the helper's {@code teardown.c}:
 * {@link #step} takes an event and the time (monotonic nanoseconds) and returns the actions to carry out. It
 * does no IO, takes no lock, reads no clock and starts nothing; {@link SupervisedDaemon} (the shell) holds the
 * lock, the engine, the timers and the listeners, feeds it events and carries out its actions in order. The
 * {@link RestartPlanner} is its restart policy. Not thread-safe: the shell calls it under its lock.
 *
 * <h2>Phases</h2>
 * Every state a daemon can be in has a name here; the API's {@link DaemonState} is a projection of them
 * ({@link Phase#api}):
 * <pre>
 *  STOPPED/FAILED --Start--&gt; WAITING_FOR_DEPENDENCIES --Dependencies(none missing)--&gt; LAUNCHING
 *  WAITING_FOR_DEPENDENCIES --Dependencies(cycle)--&gt; DEPENDENCY_CYCLE --Dependencies(no cycle)--&gt; WAITING_FOR_DEPENDENCIES
 *  WAITING_FOR_DEPENDENCIES --Dependencies(none missing), with a hook--&gt; PRE_START --PreStartDone(ok)--&gt; LAUNCHING
 *  PRE_START --PreStartDone(failed)--&gt; planner: failed start;  PRE_START --Stop/Close--&gt; STOPPED/CLOSED (hook killed)
 *  LAUNCHING --Spawned--&gt; RUNNING --ReadinessPassed--&gt; READY
 *  RUNNING --Abort (readiness timeout)--&gt; ABORTING --Ended--&gt; planner: failed start
 *  READY --Abort (watchdog)--&gt; ABORTING (SIGABRT first) --Ended--&gt; planner: abnormal end
 *  RUNNING/READY --Ended--&gt; planner: BACKING_OFF | STOPPED | FAILED
 *  BACKING_OFF --BackoffElapsed--&gt; WAITING_FOR_DEPENDENCIES
 *  live --Stop--&gt; STOPPING --Ended--&gt; STOPPED
 *  live --Restart, Reconfigure(program changed)--&gt; RESTARTING --Ended--&gt; WAITING_FOR_DEPENDENCIES
 *  any --Close--&gt; (CLOSING --Ended--&gt;) CLOSED;  any --HandOver--&gt; CLOSED
 *  new STOPPED --Adopt(program)--&gt; ATTACHING --Spawned--&gt; RUNNING | READY | RESTARTING (program changed)
 * </pre>
 * {@code DaemonMachineTest.TABLE} gives every phase against every event. Events about a program carry its run
 * number ({@link Launch#run}); events of an earlier run, and events a phase does not expect, change nothing (a
 * late timer, the end of a program after a hand-over).
 *
 * <h2>Adding to it</h2>
 * A new state is a {@link Phase} with its projection, a new input an {@link Event} handled in {@link #step},
 * and a new effect an {@link Action} carried out by the shell; then a row per phase in the table of the test.
 */
final class DaemonMachine {

    /** Every named state of a daemon, with its projection onto the API's {@link DaemonState}. */
    enum Phase {
        /** Stopped on request, or ended under a policy that does not restart it. */
        STOPPED(DaemonState.STOPPED),
        /** Restarted too often, or a failed start under {@code temporary}: stays down until started. */
        FAILED(DaemonState.FAILED),
        /** Started; waits until the daemons of {@code depends.on} are READY. */
        WAITING_FOR_DEPENDENCIES(DaemonState.STARTING),
        /**
         * Started, but its {@code depends.on} closes a cycle (it waits, through others, for itself): it could wait
         * forever. Checks again whenever another daemon changes; leaves when the cycle is broken.
         */
        DEPENDENCY_CYCLE(DaemonState.INVALID),
        /** Its pre-start hook ({@code start.pre}, {@link DaemonSpec#beforeStart()}) runs; then LAUNCHING. */
        PRE_START(DaemonState.STARTING),
        /** Its program was launched; the spawn has not been reported yet. */
        LAUNCHING(DaemonState.STARTING),
        /** A program handed over by the previous supervisor version is being re-attached. */
        ATTACHING(DaemonState.STARTING),
        /** The program runs; its readiness check has not passed yet. */
        RUNNING(DaemonState.RUNNING),
        /** The program runs and its readiness check passed. */
        READY(DaemonState.READY),
        /** Corral is killing the program because a check failed; its end counts as a failed start. */
        ABORTING(DaemonState.STOPPING),
        /** Stopping on request; then STOPPED. */
        STOPPING(DaemonState.STOPPING),
        /** Stopping on request (restart, changed program); then started again. */
        RESTARTING(DaemonState.STOPPING),
        /** The program ended; a restart is due after the back-off delay. */
        BACKING_OFF(DaemonState.BACKING_OFF),
        /** Removed while its program runs: stopping it; then CLOSED. */
        CLOSING(DaemonState.STOPPING),
        /** Removed or handed over: supervises nothing any more. Final. */
        CLOSED(DaemonState.STOPPED);

        /** What the API shows for this phase. */
        final DaemonState api;

        Phase(DaemonState api) {
            this.api = api;
        }

        /** Whether a program of this daemon (launched, running or being stopped) may be alive. */
        boolean hasProgram() {
            switch (this) {
                case LAUNCHING:
                case ATTACHING:
                case RUNNING:
                case READY:
                case ABORTING:
                case STOPPING:
                case RESTARTING:
                case CLOSING:
                    return true;
                default:
                    return false;
            }
        }
    }

    // ------------------------------------------------------------------ events

    /** What can happen to a daemon. */
    sealed interface Event {
    }

    /** {@code start()}: start a stopped or failed daemon; cut a back-off short. */
    record Start() implements Event {
    }

    /** {@code restart()}: stop the program (if any) and start it again. */
    record Restart() implements Event {
    }

    /** {@code stop()}. */
    record Stop() implements Event {
    }

    /** {@code close()}: stop, then supervise nothing any more. */
    record Close() implements Event {
    }

    /**
     * Hand the daemon over to the next supervisor version; {@code canDetach}: the program runs, has a pid and the
     * engine can detach it.
     */
    record HandOver(boolean canDetach) implements Event {
    }

    /** Take over from the previous supervisor version (a new daemon only). */
    record Adopt(int restarts, DaemonState handedState, boolean hasProgram, boolean programChanged) implements Event {
    }

    /** A new spec (same name); {@code changes} names the parts of the program that differ (empty: none). */
    record Reconfigure(DaemonSpec spec, List<String> changes) implements Event {
        public Reconfigure {
            changes = List.copyOf(changes);
        }
    }

    /**
     * The answer to {@link CheckDependencies}: the dependencies that are not READY, those of them that no daemon
     * has the name of, and the {@code depends.on} cycle through this daemon ({@code [a, b, a]}; empty: none).
     */
    record Dependencies(List<String> missing, List<String> unknown, List<String> cycle) implements Event {
        public Dependencies {
            missing = List.copyOf(missing);
            unknown = List.copyOf(unknown);
            cycle = List.copyOf(cycle);
        }

        Dependencies(List<String> missing) {
            this(missing, List.of(), List.of());
        }
    }

    /** The readiness of some other daemon may have changed. */
    record DependenciesChanged() implements Event {
    }

    /** The program of {@code run} was exec'ed (or re-attached) with {@code pid}; helper pid -1: none. */
    record Spawned(int run, long pid, long helperPid) implements Event {
    }

    /** The readiness check of {@code run} passed; {@code how} describes it (null: no check). */
    record ReadinessPassed(int run, String how) implements Event {
    }

    /** A check of {@code run} failed ({@code why}): the program is killed and its end is a failed start. */
    record Abort(int run, DaemonExit.Reason reason, String why) implements Event {
    }

    /** The program of {@code run} ended, or could not be started. */
    record Ended(int run, Outcome outcome) implements Event {
    }

    /**
     * The pre-start hook of {@code run} ended: {@code ok}, or failed ({@code why}: exited with code 1, timed out,
     * could not start ...).
     */
    record PreStartDone(int run, boolean ok, String why) implements Event {
    }

    /** The back-off delay after {@code run} ended is over. */
    record BackoffElapsed(int run) implements Event {
    }

    /** How a program ended, as the shell learnt it. */
    record Outcome(Kind kind, long pid, int exitCode, Signal signal, String detail, boolean engineClosed,
            ProcessResult result, CgroupStats stats) {

        /** The kinds of end. */
        enum Kind {
            /** It exited with a status. */
            EXITED,
            /** A signal ended it. */
            KILLED,
            /** It never ran (launch refused, exec failed, stopped before the spawn). */
            NOT_STARTED,
            /** Its helper ended without reporting the exit. */
            HELPER_LOST,
            /** The engine reported an error instead of the exit. */
            LOST
        }

        static Outcome of(ProcessResult r, boolean engineClosed) {
            return new Outcome(r.signal().isPresent() ? Kind.KILLED : Kind.EXITED, r.pid(), r.exitCode(),
                    r.signal().orElse(null), null, engineClosed, r, r.cgroupStats().orElse(null));
        }

        static Outcome notStarted(String why, boolean engineClosed) {
            return new Outcome(Kind.NOT_STARTED, -1, -1, null, why, engineClosed, null, null);
        }

        static Outcome helperLost(long pid, String why, CgroupStats stats, boolean engineClosed) {
            return new Outcome(Kind.HELPER_LOST, pid, -1, null, why, engineClosed, null, stats);
        }

        static Outcome lost(long pid, String why, boolean engineClosed) {
            return new Outcome(Kind.LOST, pid, -1, null, why, engineClosed, null, null);
        }

        /** The exit reason of this end when nobody asked for it; null when it never ran. */
        DaemonExit.Reason reason() {
            switch (kind) {
                case EXITED:
                    return DaemonExit.Reason.EXITED;
                case KILLED:
                    return DaemonExit.Reason.KILLED;
                case HELPER_LOST:
                    return DaemonExit.Reason.HELPER_LOST;
                case LOST:
                    return DaemonExit.Reason.LOST;
                default:
                    return null;
            }
        }

        /** "exited with code 3", "killed by SIGSEGV", "its helper was lost (...)"; null when it never ran. */
        String describe() {
            switch (kind) {
                case EXITED:
                    return "exited with code " + exitCode;
                case KILLED:
                    return "killed by " + signal;
                case HELPER_LOST:
                    return "its helper was lost (" + detail + ")";
                case LOST:
                    return "lost (" + detail + ")";
                default:
                    return null;
            }
        }
    }

    // ------------------------------------------------------------------ actions

    /** What the shell does, in the order given. */
    sealed interface Action {
    }

    /** Look up which dependencies are not READY (watching them from now on) and answer with {@link Dependencies}. */
    record CheckDependencies() implements Action {
    }

    /** Launch the program of the current spec as run {@code run}; answer with {@link Spawned} and {@link Ended}. */
    record Launch(int run) implements Action {
    }

    /** Run the pre-start hook of run {@code run} with its timeout; answer with {@link PreStartDone}. */
    record RunPreStart(int run) implements Action {
    }

    /** Kill the running pre-start hook (its kill signal, grace, SIGKILL) or cancel its stage; nothing answers. */
    record CancelPreStart() implements Action {
    }

    /** Re-attach the handed-over program as run {@code run}; answer with {@link Spawned} and {@link Ended}. */
    record Attach(int run) implements Action {
    }

    /** Start the readiness check of run {@code run} and its timeout; answer with {@link ReadinessPassed} or {@link Abort}. */
    record StartReadiness(int run) implements Action {
    }

    /** Cancel the run's checks: the readiness check and its timeout, and the watchdog, if any. */
    record CancelReadiness() implements Action {
    }

    /**
     * Start the sd_notify watchdog of run {@code run} ({@link DaemonSpec#watchdog()}): a timer that each
     * {@code WATCHDOG=1} resets; when it expires, answer with {@link Abort} ({@link DaemonExit.Reason#WATCHDOG}).
     */
    record ArmWatchdog(int run) implements Action {
    }

    /**
     * Stop the current program: {@code first} (null: none) to the program alone, then after the grace (at once
     * without {@code first}) the spec's kill signal, its grace, then SIGKILL.
     */
    record StopProgram(Signal first) implements Action {
        StopProgram() {
            this(null);
        }
    }

    /** Answer with {@link BackoffElapsed}({@code run}) after {@code delay}. */
    record ScheduleBackoff(int run, Duration delay) implements Action {
    }

    /** Cancel the back-off timer, if any. */
    record CancelBackoff() implements Action {
    }

    /** The program just spawned: note the start time ({@code reattached}: keep an earlier one). */
    record MarkStarted(boolean reattached) implements Action {
    }

    /**
     * The current program is gone: count its bytes, record its exit ({@code reason}, {@code requested}) and post
     * EXITED (and OOM, with {@code restarts} as it was then) when it ran, and forget it. {@code clean}: a stop on
     * request, or an end with exit code 0 or a status of {@code success.exit.status}.
     */
    record ProgramGone(Outcome outcome, DaemonExit.Reason reason, boolean requested, int restarts, boolean clean)
            implements Action {
    }

    /** The API state is now {@code state}: wake waiters, tell the listeners. */
    record Notify(DaemonState state) implements Action {
    }

    /**
     * Post event {@code topic} with {@code extra} properties; {@code restarts}, {@code pid} and {@code helperPid}
     * (-1: none) as they were at that moment.
     */
    record Publish(String topic, Map<String, Object> extra, int restarts, long pid, long helperPid) implements Action {
    }

    /**
     * Log {@code text} to the daemon's logger; {@code withCommand}: the record also carries the command in its MDC
     * (the first record of a run).
     */
    record Log(Level level, String text, boolean withCommand) implements Action {
        Log(Level level, String text) {
            this(level, text, false);
        }
    }

    /**
     * Hand over: tell the next version the daemon was in {@code state}, and detach the program ({@code detach})
     * or not; the program is not this daemon's any more.
     */
    record HandOverProgram(boolean detach, DaemonState state) implements Action {
    }

    /** Closed: stop watching the dependencies and free the name. */
    record Release() implements Action {
    }

    /** One step: the phase before and after, and the actions. */
    record Step(Phase from, Phase to, List<Action> actions) {
    }

    // ------------------------------------------------------------------ state

    private final String name;
    private final RestartPlanner planner;
    private DaemonSpec spec;
    private Phase phase = Phase.STOPPED;
    private int run;
    private long pid = -1;
    private long helperPid = -1;
    private int restarts;
    /** In WAITING_FOR_DEPENDENCIES: what it waits for (null: not checked yet). */
    private List<String> waitingFor;
    /** The unknown dependencies last reported (to log a change once). */
    private List<String> unknownDependencies = List.of();
    /** In DEPENDENCY_CYCLE: the cycle, {@code [a, b, a]}. */
    private List<String> cycle = List.of();
    /** In ABORTING: why. */
    private DaemonExit.Reason abortReason;
    private String abortWhy;
    /** In ATTACHING: the handed-over program was READY; its configuration changed meanwhile. */
    private boolean attachReady;
    private boolean attachChanged;
    private List<Action> out;

    DaemonMachine(DaemonSpec spec) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.name = spec.name();
        this.planner = new RestartPlanner(spec);
    }

    Phase phase() {
        return phase;
    }

    DaemonState state() {
        return phase.api;
    }

    /** The current (or last) program run. */
    int run() {
        return run;
    }

    int restarts() {
        return restarts;
    }

    DaemonSpec spec() {
        return spec;
    }

    /** The dependencies it waits for (empty unless WAITING_FOR_DEPENDENCIES after a check). */
    List<String> waitingFor() {
        return phase == Phase.WAITING_FOR_DEPENDENCIES && waitingFor != null ? waitingFor : List.of();
    }

    /** In DEPENDENCY_CYCLE: the cycle through this daemon, {@code [a, b, a]}; else empty. */
    List<String> cycle() {
        return phase == Phase.DEPENDENCY_CYCLE ? cycle : List.of();
    }

    /** How a cycle is written in messages: {@code a -> b -> a}. */
    static String cycleText(List<String> cycle) {
        return String.join(" -> ", cycle);
    }

    /**
     * Handles {@code e} at {@code nowNanos}.
     *
     * @throws IllegalStateException the event is refused in this phase (a removed daemon, an adoption of a used
     *     one); nothing changed then
     */
    Step step(Event e, long nowNanos) {
        Phase from = phase;
        out = new ArrayList<>();
        if (e instanceof Start) {
            start();
        } else if (e instanceof Restart) {
            restart();
        } else if (e instanceof Stop) {
            stop(false);
        } else if (e instanceof Close) {
            stop(true);
        } else if (e instanceof HandOver) {
            handOver(((HandOver) e).canDetach());
        } else if (e instanceof Adopt) {
            adopt((Adopt) e);
        } else if (e instanceof Reconfigure) {
            reconfigure((Reconfigure) e);
        } else if (e instanceof Dependencies) {
            dependencies((Dependencies) e);
        } else if (e instanceof DependenciesChanged) {
            if (phase == Phase.WAITING_FOR_DEPENDENCIES || phase == Phase.DEPENDENCY_CYCLE) {
                out.add(new CheckDependencies());
            }
        } else if (e instanceof Spawned) {
            spawned((Spawned) e, nowNanos);
        } else if (e instanceof ReadinessPassed) {
            readinessPassed((ReadinessPassed) e);
        } else if (e instanceof Abort) {
            abort((Abort) e);
        } else if (e instanceof Ended) {
            ended((Ended) e, nowNanos);
        } else if (e instanceof PreStartDone) {
            preStartDone((PreStartDone) e, nowNanos);
        } else if (e instanceof BackoffElapsed) {
            if (phase == Phase.BACKING_OFF && ((BackoffElapsed) e).run() == run) {
                restarts++;
                begin();
            }
        }
        List<Action> actions = List.copyOf(out);
        out = null;
        return new Step(from, phase, actions);
    }

    // ------------------------------------------------------------------ requests

    /**
     * What {@code start()} and {@code restart()} do alike: start a daemon at rest, cut a back-off short, refuse a
     * removed daemon.
     *
     * @return whether that was the case
     */
    private boolean startFromRest() {
        switch (phase) {
            case STOPPED:
            case FAILED:
                planner.reset();
                begin();
                return true;
            case BACKING_OFF:
                out.add(new CancelBackoff());
                restarts++;
                begin();
                return true;
            case CLOSING:
            case CLOSED:
                throw removed();
            default:
                return false;
        }
    }

    private void start() {
        if (!startFromRest() && phase == Phase.DEPENDENCY_CYCLE) {
            out.add(new CheckDependencies()); // it starts by itself once the cycle is broken: look again
        }
    }

    private void restart() {
        if (startFromRest()) {
            return;
        }
        switch (phase) {
            case WAITING_FOR_DEPENDENCIES:
            case PRE_START:
            case RESTARTING:
                break; // it starts when its dependencies are ready / its hook is done / after the stop
            case DEPENDENCY_CYCLE:
                out.add(new CheckDependencies()); // it starts once the cycle is broken
                break;
            case STOPPING:
                log(Level.INFO, "restarting on request");
                to(Phase.RESTARTING);
                break;
            default:
                log(Level.INFO, "restarting on request");
                stopInto(Phase.RESTARTING);
        }
    }

    /** {@code stop()} ({@code close} false) or {@code close()}: the same way down, into STOPPED or CLOSED. */
    private void stop(boolean close) {
        Phase stopping = close ? Phase.CLOSING : Phase.STOPPING;
        switch (phase) {
            case STOPPED:
            case FAILED:
                if (close) {
                    closed();
                }
                break;
            case BACKING_OFF:
                out.add(new CancelBackoff());
                log(Level.INFO, "stopped while backing off");
                down(close);
                break;
            case WAITING_FOR_DEPENDENCIES:
            case DEPENDENCY_CYCLE:
                log(Level.INFO, "stopped before it started");
                down(close);
                break;
            case PRE_START:
                out.add(new CancelPreStart());
                log(Level.INFO, "stopped before it started: its pre-start hook is killed");
                down(close);
                break;
            case STOPPING:
            case RESTARTING:
                to(stopping); // the stop under way is enough
                break;
            case LAUNCHING:
            case ATTACHING:
            case RUNNING:
            case READY:
            case ABORTING:
                logStopping();
                stopInto(stopping);
                break;
            default:
                break; // CLOSING, CLOSED
        }
    }

    /** Down without a program to stop: STOPPED, or CLOSED. */
    private void down(boolean close) {
        if (close) {
            closed();
        } else {
            to(Phase.STOPPED);
        }
    }

    private void handOver(boolean canDetach) {
        if (phase == Phase.CLOSING || phase == Phase.CLOSED) {
            return; // being removed, or gone: nothing to hand over
        }
        out.add(new CancelBackoff());
        out.add(new CancelReadiness());
        if (phase == Phase.PRE_START) {
            out.add(new CancelPreStart());
        }
        boolean detach = canDetach && (phase == Phase.RUNNING || phase == Phase.READY);
        DaemonState pass;
        if (detach || phase == Phase.STOPPED || phase == Phase.FAILED) {
            pass = phase.api;
        } else if (phase == Phase.STOPPING) {
            pass = DaemonState.STOPPED; // stopped on request: it stays stopped
        } else {
            pass = DaemonState.STARTING;
        }
        if (!detach && phase.hasProgram()) {
            log(Level.INFO, "stopping its program for the hand-over to the next supervisor version (it was "
                    + phase.api + "); the next version starts it again");
            out.add(new StopProgram());
        }
        out.add(new HandOverProgram(detach, pass));
        closed();
    }

    private void adopt(Adopt a) {
        if (phase == Phase.CLOSING || phase == Phase.CLOSED) {
            throw removed();
        }
        if (phase != Phase.STOPPED || run != 0) {
            throw new IllegalStateException("daemon '" + name + "' is " + phase.api
                    + ": only a new daemon can take over from the previous supervisor version");
        }
        restarts = a.restarts();
        if (!a.hasProgram()) {
            switch (a.handedState()) {
                case STOPPED:
                    log(Level.INFO, "taken over from the previous supervisor version: stays stopped");
                    break;
                case FAILED:
                    log(Level.INFO, "taken over from the previous supervisor version: stays FAILED");
                    to(Phase.FAILED);
                    break;
                default:
                    log(Level.INFO, "taken over from the previous supervisor version without a program: starting it");
                    restarts++;
                    planner.reset();
                    begin();
            }
            return;
        }
        run++;
        pid = -1;
        helperPid = -1;
        attachReady = a.handedState() == DaemonState.READY;
        attachChanged = a.programChanged();
        to(Phase.ATTACHING);
        out.add(new Attach(run));
    }

    private void reconfigure(Reconfigure r) {
        if (phase == Phase.CLOSING || phase == Phase.CLOSED) {
            throw removed();
        }
        spec = r.spec();
        planner.update(r.spec());
        switch (phase) {
            case STOPPED:
            case FAILED:
                log(Level.INFO, "reconfigured: starting");
                planner.reset();
                begin();
                break;
            case WAITING_FOR_DEPENDENCIES:
                begin(); // its dependencies may have changed
                break;
            case DEPENDENCY_CYCLE:
                out.add(new CheckDependencies()); // the cycle may be broken now
                break;
            case PRE_START:
                if (!r.changes().isEmpty()) {
                    log(Level.INFO, "reconfigured: the program changed (" + String.join(", ", r.changes())
                            + "), starting over: its pre-start hook is killed");
                    out.add(new CancelPreStart());
                    begin();
                }
                break; // else the running hook goes on; a changed hook applies from the next start
            case LAUNCHING:
            case ATTACHING:
            case RUNNING:
            case READY:
            case ABORTING:
                if (r.changes().isEmpty()) {
                    log(Level.DEBUG, "reconfigured without restart");
                } else {
                    log(Level.INFO, "reconfigured: the program changed (" + String.join(", ", r.changes())
                            + "), restarting it");
                    stopInto(Phase.RESTARTING);
                }
                break;
            default:
                break; // BACKING_OFF: the next launch uses it; STOPPING, RESTARTING: so does the next start
        }
    }

    // ------------------------------------------------------------------ the program's life

    /** Enters WAITING_FOR_DEPENDENCIES and asks which are missing; none: the answer launches. */
    private void begin() {
        if (phase != Phase.WAITING_FOR_DEPENDENCIES) {
            waitingFor = null;
        }
        to(Phase.WAITING_FOR_DEPENDENCIES);
        out.add(new CheckDependencies());
    }

    private void dependencies(Dependencies d) {
        if (phase != Phase.WAITING_FOR_DEPENDENCIES && phase != Phase.DEPENDENCY_CYCLE) {
            return;
        }
        if (!d.cycle().isEmpty()) {
            if (phase != Phase.DEPENDENCY_CYCLE || !d.cycle().equals(cycle)) {
                cycle = d.cycle();
                String why = "depends.on cycle: " + cycleText(cycle);
                log(Level.ERROR, why + ": it cannot start until the cycle is broken (change depends.on of one of them)");
                to(Phase.DEPENDENCY_CYCLE);
                publish(DaemonEvents.INVALID, Map.of(DaemonEvents.PROBLEMS, new String[] {why}));
            }
            return;
        }
        if (phase == Phase.DEPENDENCY_CYCLE) {
            log(Level.INFO, "the depends.on cycle " + cycleText(cycle) + " is broken: starting");
            cycle = List.of();
            waitingFor = null;
            to(Phase.WAITING_FOR_DEPENDENCIES);
        }
        List<String> missing = d.missing();
        if (missing.isEmpty()) {
            waitingFor = List.of();
            unknownDependencies = List.of();
            run++;
            pid = -1;
            helperPid = -1;
            if (spec.beforeStart().isPresent()) {
                to(Phase.PRE_START);
                out.add(new RunPreStart(run));
            } else {
                to(Phase.LAUNCHING);
                out.add(new Launch(run));
            }
            return;
        }
        if (!d.unknown().isEmpty() && !d.unknown().equals(unknownDependencies)) {
            log(Level.WARN, "waiting for " + String.join(", ", missing) + " to be READY; no daemon is named "
                    + String.join(", ", d.unknown()) + ": configure it, or take it out of depends.on");
        } else if (waitingFor == null || waitingFor.isEmpty()) {
            log(Level.INFO, "waiting for " + String.join(", ", missing) + " to be READY");
        }
        unknownDependencies = d.unknown();
        waitingFor = missing;
    }

    private void preStartDone(PreStartDone p, long now) {
        if (p.run() != run || phase != Phase.PRE_START) {
            return;
        }
        if (p.ok()) {
            log(Level.DEBUG, "pre-start hook done");
            to(Phase.LAUNCHING);
            out.add(new Launch(run));
            return;
        }
        apply(planner.failedStart(now, "pre-start hook failed: " + p.why()));
    }

    private void spawned(Spawned s, long now) {
        if (s.run() != run || (phase != Phase.LAUNCHING && phase != Phase.ATTACHING)) {
            return;
        }
        pid = s.pid();
        helperPid = s.helperPid();
        planner.started(now);
        String helper = helperPid >= 0 ? " (helper " + helperPid + ")" : "";
        if (phase == Phase.LAUNCHING) {
            out.add(new MarkStarted(false));
            to(Phase.RUNNING);
            out.add(new Log(Level.INFO, "started: pid " + pid + helper + ": "
                    + Printable.commandLine(spec.command().argv()), true));
            publish(DaemonEvents.STARTED, Map.of());
            out.add(new StartReadiness(run));
            return;
        }
        out.add(new MarkStarted(true));
        to(Phase.RUNNING);
        log(Level.INFO, "re-attached: pid " + pid + helper + " taken over from the previous supervisor version,"
                + " restarts " + restarts);
        if (attachChanged) {
            log(Level.INFO, "its program configuration changed during the hand-over: restarting the program");
            stopInto(Phase.RESTARTING);
        } else if (attachReady) {
            ready();
        } else {
            out.add(new StartReadiness(run));
        }
    }

    private void readinessPassed(ReadinessPassed r) {
        if (r.run() != run || phase != Phase.RUNNING) {
            return;
        }
        out.add(new CancelReadiness());
        ready();
        if (r.how() != null) {
            log(Level.INFO, "ready (" + r.how() + ")");
        }
        publish(DaemonEvents.READY, Map.of());
    }

    private void abort(Abort a) {
        // a readiness check can fail only before READY, the watchdog only after it (a late readiness timeout that
        // raced with the check's success must not stop a READY daemon)
        Phase expected = a.reason() == DaemonExit.Reason.WATCHDOG ? Phase.READY : Phase.RUNNING;
        if (a.run() != run || phase != expected) {
            return;
        }
        abortReason = a.reason();
        abortWhy = a.why();
        if (a.reason() == DaemonExit.Reason.WATCHDOG) {
            log(Level.WARN, a.why() + ": sending SIGABRT, then " + spec.command().killSignal() + " after "
                    + spec.command().grace().toMillis() + " ms, then SIGKILL");
            stopInto(Phase.ABORTING, Signal.ABRT);
        } else {
            log(Level.WARN, a.why() + ": stopping the program");
            stopInto(Phase.ABORTING);
        }
    }

    private void ended(Ended e, long now) {
        if (e.run() != run || !phase.hasProgram()) {
            return;
        }
        Outcome o = e.outcome();
        boolean requested = phase == Phase.STOPPING || phase == Phase.RESTARTING || phase == Phase.CLOSING;
        DaemonExit.Reason reason = requested ? DaemonExit.Reason.STOPPED
                : phase == Phase.ABORTING ? abortReason : o.reason();
        out.add(new CancelReadiness());
        boolean clean = requested || ((reason == DaemonExit.Reason.EXITED || reason == DaemonExit.Reason.KILLED)
                && spec.isCleanExit(o.exitCode(), Optional.ofNullable(o.signal())));
        out.add(new ProgramGone(o, reason, requested, restarts, clean));
        pid = -1;
        helperPid = -1;
        String how = o.describe();
        switch (phase) {
            case RESTARTING:
                log(Level.INFO, (how != null ? how : "stopped") + "; starting it again");
                restarts++;
                begin();
                return;
            case STOPPING:
                log(Level.INFO, "stopped" + (how != null ? " (" + how + ")" : ""));
                to(Phase.STOPPED);
                publish(DaemonEvents.STOPPED, Map.of());
                return;
            case CLOSING:
                log(Level.INFO, "stopped" + (how != null ? " (" + how + ")" : ""));
                to(Phase.CLOSED);
                publish(DaemonEvents.STOPPED, Map.of());
                out.add(new Release());
                return;
            default:
                break;
        }
        if (o.engineClosed()) {
            to(Phase.STOPPED);
            publish(DaemonEvents.STOPPED, Map.of(DaemonEvents.REASON, "the engine was closed"));
            return;
        }
        Decision d;
        if (phase == Phase.ABORTING && abortReason == DaemonExit.Reason.WATCHDOG) {
            d = planner.abnormalEnd(now, abortWhy + " (" + (how != null ? how : "no result") + ")");
        } else if (phase == Phase.ABORTING) {
            d = planner.failedStart(now, abortWhy + " (" + (how != null ? how : "no result") + ")");
        } else {
            switch (o.kind()) {
                case NOT_STARTED:
                    d = planner.failedStart(now, "could not start: " + o.detail());
                    break;
                case LOST:
                    d = planner.failedStart(now, "lost: " + o.detail());
                    break;
                case HELPER_LOST:
                    d = planner.abnormalEnd(now, how);
                    break;
                default:
                    d = planner.ended(now, o.exitCode(), o.signal());
            }
        }
        apply(d);
    }

    private void apply(Decision d) {
        switch (d.action()) {
            case RESTART:
                log(d.failure() ? Level.WARN : Level.INFO, d.reason());
                to(Phase.BACKING_OFF);
                publish(DaemonEvents.RESTARTING, Map.of(DaemonEvents.REASON, d.reason()));
                if (d.delay().isZero()) {
                    restarts++; // no delay: relaunch now rather than through a timer
                    begin();
                } else {
                    out.add(new ScheduleBackoff(run, d.delay()));
                }
                break;
            case FAIL:
                log(Level.ERROR, "FAILED: " + d.reason() + "; it stays down until started by hand or reconfigured");
                to(Phase.FAILED);
                publish(DaemonEvents.FAILED, Map.of(DaemonEvents.REASON, d.reason()));
                break;
            default:
                log(d.failure() ? Level.WARN : Level.INFO, d.reason());
                to(Phase.STOPPED);
                publish(DaemonEvents.STOPPED, Map.of(DaemonEvents.REASON, d.reason()));
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Stops the program on the way into {@code target} (ABORTING, STOPPING, RESTARTING, CLOSING). */
    private void stopInto(Phase target) {
        stopInto(target, null);
    }

    /** ... with {@code first} sent to the program before the kill signal (SIGABRT for a watchdog timeout). */
    private void stopInto(Phase target, Signal first) {
        out.add(new CancelReadiness());
        to(target);
        out.add(new StopProgram(first));
    }

    /** Enters READY: the watchdog starts now (systemd: once start-up is complete). */
    private void ready() {
        to(Phase.READY);
        if (!spec.watchdog().isZero()) {
            out.add(new ArmWatchdog(run));
        }
    }

    private void closed() {
        to(Phase.CLOSED);
        out.add(new Release());
    }

    private void logStopping() {
        log(Level.INFO, "stopping (" + (pid >= 0 ? "pid " + pid : "not spawned yet") + ", "
                + spec.command().killSignal() + " then SIGKILL after " + spec.command().grace().toMillis() + " ms)");
    }

    private void to(Phase next) {
        boolean notify = next.api != phase.api;
        phase = next;
        if (notify) {
            out.add(new Notify(next.api));
        }
    }

    private void log(Level level, String text) {
        out.add(new Log(level, text));
    }

    private void publish(String topic, Map<String, Object> extra) {
        out.add(new Publish(topic, extra, restarts, pid, helperPid));
    }

    private IllegalStateException removed() {
        return new IllegalStateException("daemon '" + name + "' was removed");
    }

    @Override
    public String toString() {
        return name + ": " + phase.name().toLowerCase(Locale.ROOT) + " (run " + run + ", restarts " + restarts + ")";
    }
}
