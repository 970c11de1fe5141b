package org.corral.supervisor.internal.daemon;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.corral.api.CgroupLimits;
import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.HelperLostException;
import org.corral.api.ProcessException;
import org.corral.api.PreStart;
import org.corral.api.ProcessResult;
import org.corral.api.Readiness;
import org.corral.api.Signal;
import org.corral.supervisor.internal.EnvFile;
import org.corral.api.values.Printable;
import org.corral.api.values.Values;
import org.corral.supervisor.internal.daemon.DaemonMachine.Action;
import org.corral.supervisor.internal.daemon.DaemonMachine.Outcome;
import org.corral.supervisor.internal.daemon.DaemonMachine.Phase;
import org.corral.supervisor.internal.engine.Engine;
import org.corral.supervisor.internal.engine.HandOff;
import org.corral.supervisor.internal.engine.NotifySocket;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.internal.engine.Timers;
import org.slf4j.event.Level;

/**
 * One supervised daemon on an {@link Engine}: its identity, counters and program, independent of where it
 * came from (a configuration component or {@code ProcessService.start}), so that the owner can be replaced
 * without touching the program.
 *
 * <p>This is the imperative shell around {@link DaemonMachine}, the pure state machine that decides every
 * transition: requests, spawns, ends, checks and timers become {@link DaemonMachine.Event events}, and this
 * class carries out the {@link DaemonMachine.Action actions} the machine returns. It holds what the machine
 * must not: the lock, the engine and the running program, the timers, the readiness check
 * ({@link ReadinessCheck}), the output ({@link DaemonOutput}), the counters and the listeners.
 *
 * <h2>Threads</h2>
 * No thread of its own. Events are handled under a lock on whatever thread reports them: the caller, the
 * engine's IO thread (spawns, timers such as the readiness timeout, probes), the program's delivery lane
 * (output lines, the readiness log check), or the engine's control thread (program ends, back-off elapsed,
 * dependency changes: relaunches run there, where no delivery work can delay them). An event that an action
 * causes is queued and handled right after, in order, under the same lock. Listener calls run in order on
 * this daemon's own lane of the delivery threads, as do the flush of a program's last partial lines and a
 * pre-start hook that is a Java call.
 */
public final class SupervisedDaemon implements Daemon, Configured {

    /** Logger of daemon {@code name}: {@code org.corral.daemon.<name>}. */
    public static final String LOGGER_PREFIX = "org.corral.daemon.";

    private static final Duration STOP_MARGIN = Duration.ofSeconds(30);
    /** Files that list processes: read from the program's own (leaf) cgroup. */
    private static final Set<String> PROCESS_FILES = Set.of("cgroup.procs", "cgroup.threads");

    private final String name;
    private final Engine engine;
    private final Timers timers;
    /** This daemon's lane on the delivery threads: listener calls, in order. */
    private final Executor events;
    /** The engine's control thread: events from timers, ends and dependency changes. */
    private final Executor control;
    private final NanoClock clock;
    private final DependencyGate gate;
    private final CgroupAccess cgroups;
    private final DaemonRegistry registry;
    private final DaemonOutput output;
    private final List<DaemonListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();

    // guarded by lock
    private final DaemonMachine machine;
    private final ArrayDeque<DaemonMachine.Event> queue = new ArrayDeque<>();
    private final List<Runnable> afterLock = new ArrayList<>();
    private boolean processing;
    private Run current;
    /** The pre-start hook that runs or is being killed (null: none). */
    private PreRun pre;
    private Timers.Timer backoffTimer;
    private AutoCloseable gateWatch;
    private DaemonHandOver adopting;
    private PendingHandOver handingOver;
    private boolean released;
    private DaemonExit lastExit;
    private Instant startedAt;
    private long doneStdout;
    private long doneStderr;
    private String oomPath;
    private long oomKills;
    /** The last STATUS= of the program (made printable), kept until the next run; null: none. */
    private volatile String statusText;

    private volatile boolean ownerPublishes;
    private volatile List<DaemonConfigValidator.Problem> configurationProblems = List.of();
    private volatile String configurationPid;
    private volatile String configurationFile;
    private volatile List<String> configurationKeys = List.of();
    private volatile DaemonSpec spec;
    private volatile DaemonState state = DaemonState.STOPPED;

    /**
     * One program run: its program (once launched), output streams, readiness check (it sees every line of the
     * run; started when the program spawned), and end.
     */
    private final class Run {
        final int id;
        final Readiness readiness;
        final ReadinessCheck check;
        final DaemonOutput.Streams streams;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        /** Set once launched or attached; read by the output's MDC on its delivery lane. */
        volatile RunningProgram program;
        Timers.Timer readyTimer;
        /** When {@link #readyTimer} fires ({@link NanoClock} time); EXTEND_TIMEOUT_USEC= may move it later. */
        long readyDeadline;
        /** sd_notify watchdog: its interval (WATCHDOG_USEC= may change it), timer and generation (a pet bumps it). */
        Duration watchdog;
        Timers.Timer watchdogTimer;
        long watchdogGen;
        boolean watchdogArmed;
        /** MAINPID= of the program, -1: none. */
        volatile long mainPid = -1;

        Run(int id, byte[] stdoutTail, byte[] stderrTail) {
            this.id = id;
            this.readiness = spec.readiness();
            this.check = ReadinessCheck.of(readiness, timers, how -> fire(new DaemonMachine.ReadinessPassed(id, how)));
            this.streams = output.open(stdoutTail, stderrTail, this::pid, check::line);
        }

        long pid() {
            RunningProgram p = program;
            return p == null ? -1 : p.pid().orElse(-1);
        }
    }

    /**
     * One run of the pre-start hook: its program (a command) or its stage (a call), its timeout timer (calls
     * only: the engine bounds a command with its timeout), and its end.
     */
    private final class PreRun {
        final int id;
        final PreStart hook;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        volatile RunningProgram program;
        CompletableFuture<?> stage;
        Timers.Timer timer;
        volatile boolean cancelled;
        final java.util.concurrent.atomic.AtomicBoolean reported = new java.util.concurrent.atomic.AtomicBoolean();

        PreRun(int id, PreStart hook) {
            this.id = id;
            this.hook = hook;
        }
    }

    /** What a hand-over step decided, for {@link #handOver} to finish outside the lock. */
    private record PendingHandOver(boolean detach, DaemonHandOver base, RunningProgram program,
            DaemonOutput.Streams streams) {
    }

    /**
     * A daemon in state STOPPED; {@link #start()} starts it.
     *
     * @param registry where its name was claimed (released on {@link #close()}); may be null
     */
    public SupervisedDaemon(DaemonSpec spec, Engine engine, NanoClock clock, DependencyGate gate,
            CgroupAccess cgroups, DaemonRegistry registry) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.name = spec.name();
        this.engine = engine;
        this.timers = engine.timers();
        this.events = engine.newLane("daemon " + name);
        this.control = engine.controlExecutor();
        this.clock = clock;
        this.gate = gate;
        this.cgroups = cgroups;
        this.registry = registry;
        this.output = new DaemonOutput(spec, registry != null ? registry.memory() : new OutputMemory(OutputBudget.DEFAULT));
        this.machine = new DaemonMachine(spec);
        if (registry != null) {
            registry.attach(name, this);
        }
    }

    /**
     * The command a daemon's program is launched (or re-attached) with: {@code c} without a timeout, output
     * collection or consumer, which {@link DaemonSpec} documents as ignored. A daemon runs for as long as it is
     * supervised and its output goes to the log and the recent lines only: nothing accumulates in memory.
     */
    static CommandSpec launchCommand(CommandSpec c) {
        return c.toBuilder().timeout(null).collectOutput(false).consumer(null).build();
    }

    /**
     * Marks this daemon as registered as an OSGi service by its owner (a configuration component), so that
     * nobody else registers it again. Call before {@link #start()}.
     */
    public void ownerPublishes() {
        ownerPublishes = true;
    }

    /** Whether its owner registers it as a service (see {@link #ownerPublishes()}). */
    public boolean isPublishedByOwner() {
        return ownerPublishes;
    }

    public void addListener(DaemonListener l) {
        listeners.add(l);
    }

    public void removeListener(DaemonListener l) {
        listeners.remove(l);
    }

    // ------------------------------------------------------------------ Daemon: queries

    @Override
    public String name() {
        return name;
    }

    @Override
    public DaemonSpec spec() {
        return spec;
    }

    @Override
    public DaemonState state() {
        return state;
    }

    @Override
    public OptionalLong helperPid() {
        RunningProgram p = currentProgram();
        return p == null ? OptionalLong.empty() : p.helperPid();
    }

    @Override
    public OptionalLong pid() {
        RunningProgram p = currentProgram();
        return p == null || !state.isAlive() ? OptionalLong.empty() : p.pid();
    }

    @Override
    public Optional<Instant> startedAt() {
        synchronized (lock) {
            return Optional.ofNullable(startedAt);
        }
    }

    @Override
    public int restarts() {
        synchronized (lock) {
            return machine.restarts();
        }
    }

    @Override
    public Optional<String> statusText() {
        return Optional.ofNullable(statusText);
    }

    /** The MAINPID= the program sent over sd_notify (its own claim; Corral follows the program it started). */
    public OptionalLong notifyMainPid() {
        synchronized (lock) {
            long m = current == null ? -1 : current.mainPid;
            return m > 0 ? OptionalLong.of(m) : OptionalLong.empty();
        }
    }

    @Override
    public Optional<DaemonExit> lastExit() {
        synchronized (lock) {
            return Optional.ofNullable(lastExit);
        }
    }

    @Override
    public long stdoutBytes() {
        synchronized (lock) {
            RunningProgram p = current == null ? null : current.program;
            return doneStdout + (p == null ? 0 : p.stdoutBytes());
        }
    }

    @Override
    public long stderrBytes() {
        synchronized (lock) {
            RunningProgram p = current == null ? null : current.program;
            return doneStderr + (p == null ? 0 : p.stderrBytes());
        }
    }

    /** The daemons of {@code depends.on} it waits for (empty unless it is STARTING and waits). */
    @Override
    public List<String> waitingFor() {
        synchronized (lock) {
            return machine.waitingFor();
        }
    }

    /**
     * Its {@code depends.on} cycle, when it is INVALID for one, and the problems of a configuration edit its owner
     * refused ({@link #configurationProblems}).
     */
    @Override
    public List<DaemonConfigValidator.Problem> problems() {
        List<DaemonConfigValidator.Problem> out = new ArrayList<>(configurationProblems);
        synchronized (lock) {
            List<String> cycle = machine.cycle();
            if (!cycle.isEmpty()) {
                out.add(new DaemonConfigValidator.Problem("depends.on", "depends.on cycle: "
                        + DaemonMachine.cycleText(cycle) + " (each waits for the next to be READY)"));
            }
        }
        return out;
    }

    /**
     * What is wrong with the last configuration its owner was given and refused (empty: nothing); shown by
     * {@link #problems()} while it runs on with the previous one.
     */
    public void configurationProblems(List<DaemonConfigValidator.Problem> problems) {
        configurationProblems = List.copyOf(problems);
    }

    /**
     * The configuration it comes from (PID, file, its keys with secrets masked), for its service, its events and
     * its MBean; null: none.
     */
    public void configuration(String pid, String file, List<String> keys) {
        configurationPid = pid;
        configurationFile = file;
        configurationKeys = List.copyOf(keys);
    }

    @Override
    public String configurationPid() {
        return configurationPid;
    }

    @Override
    public String configurationFile() {
        return configurationFile;
    }

    @Override
    public List<String> configurationKeys() {
        return configurationKeys;
    }

    @Override
    public Optional<String> cgroupPath() {
        RunningProgram p = currentProgram();
        return p == null ? Optional.empty() : p.limitsCgroupPath();
    }

    @Override
    public Optional<CgroupStats> stats() {
        Optional<String> path = cgroupPath();
        if (path.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(cgroups.stats(path.get()));
    }

    @Override
    public Optional<CgroupLimits> limits() {
        return spec.command().limits();
    }

    @Override
    public String cgget(String file) {
        if (PROCESS_FILES.contains(file)) {
            // the daemon's cgroup holds no process itself (cgroup v2: processes live in leaves): list the leaf's
            RunningProgram p = currentProgram();
            Optional<String> leaf = p == null ? Optional.empty() : p.cgroupPath();
            if (leaf.isPresent()) {
                return cgroups.get(leaf.get(), file);
            }
        }
        return cgroups.get(requireCgroup(), file);
    }

    @Override
    public void cgset(String file, String value) {
        cgroups.set(requireCgroup(), file, value);
    }

    private String requireCgroup() {
        return cgroupPath().orElseThrow(() -> new IllegalStateException("daemon '" + name + "' is " + state
                + " and has no cgroup now" + (spec.command().usesCgroup() ? "" : " (it is not configured to use one)")));
    }

    @Override
    public List<String> recentLines(int n) {
        return output.recent().last(n);
    }

    /** The recent lines with stream and time. */
    public RecentLines recent() {
        return output.recent();
    }

    @Override
    public Subscription followLines(int backlog, Consumer<String> listener) {
        Runnable cancel = output.recent().follow(backlog, listener);
        return cancel::run;
    }

    /** Memory in use by its cgroup ({@code memory.current}), or -1 when unknown. */
    public long memoryCurrent() {
        Optional<String> path = cgroupPath();
        if (path.isEmpty()) {
            return -1;
        }
        try {
            return Long.parseLong(cgroups.get(path.get(), "memory.current").trim());
        } catch (RuntimeException e) {
            return -1;
        }
    }

    @Override
    public DaemonState await(Set<DaemonState> states, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!states.contains(state)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("daemon '" + name + "' did not reach " + states + " within "
                            + timeout.toMillis() + " ms (it is " + state + ")");
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return state;
        }
    }

    private RunningProgram currentProgram() {
        synchronized (lock) {
            return current == null ? null : current.program;
        }
    }

    /** Whether it was removed or handed over: it supervises nothing any more. */
    public boolean isClosed() {
        synchronized (lock) {
            return released || machine.phase() == Phase.CLOSED;
        }
    }

    // ------------------------------------------------------------------ Daemon: control

    @Override
    public void signal(Signal signal) {
        send(signal, false, DaemonEvents.SIGNALED);
    }

    /** Sends {@code signal} to the program's process group. */
    @Override
    public void signalGroup(Signal signal) {
        send(signal, true, DaemonEvents.SIGNALED);
    }

    /** Sends the spec's reload signal to the program. */
    @Override
    public void reload() {
        send(spec.reloadSignal(), false, DaemonEvents.RELOADED);
    }

    /**
     * Sends {@code signal} to the program (or its process group) while it runs, logs it with who asked, and posts
     * {@code topic} ({@link DaemonEvents#SIGNALED} or {@link DaemonEvents#RELOADED}).
     */
    private void send(Signal signal, boolean group, String topic) {
        String user = Requester.current();
        locked(() -> {
            RunningProgram p = current == null ? null : current.program;
            if (p == null || !(state == DaemonState.RUNNING || state == DaemonState.READY)) {
                throw new IllegalStateException("daemon '" + name + "' is " + state + ": no program to "
                        + (topic.equals(DaemonEvents.RELOADED) ? "reload" : "signal"));
            }
            long pid = p.pid().orElse(-1);
            say(Level.INFO, "{}{} to {} {}{}", topic.equals(DaemonEvents.RELOADED) ? "reload: sending " : "sending ",
                    signal, group ? "the process group of pid" : "pid", pid, user == null ? "" : " (requested by "
                    + user + ")");
            if (group) {
                p.signalGroup(signal);
            } else {
                p.signal(signal);
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put(DaemonEvents.SIGNAL_SENT, signal.name());
            if (topic.equals(DaemonEvents.SIGNALED)) {
                extra.put(DaemonEvents.TARGET, group ? "group" : "program");
            }
            if (user != null) {
                extra.put(DaemonEvents.REQUESTED_BY, user);
            }
            publish(topic, extra, machine.restarts(), pid, p.helperPid().orElse(-1));
            return null;
        });
    }

    @Override
    public void start() {
        locked(() -> handle(new DaemonMachine.Start()));
    }

    @Override
    public void restart() {
        CompletableFuture<Void> done = locked(() -> {
            handle(new DaemonMachine.Restart());
            return machine.phase() == Phase.RESTARTING ? programDone() : null;
        });
        if (done != null) {
            waitFor(done, "restart");
        }
    }

    @Override
    public void stop() {
        waitFor(stopAsync(), "stop");
    }

    /** Starts a stop; completes when the program and its descendants are gone. */
    public CompletableFuture<Void> stopAsync() {
        return locked(() -> {
            handle(new DaemonMachine.Stop());
            return programDone();
        });
    }

    /**
     * Uses {@code newSpec} (same name) from now on. A change of the program (see {@link ProgramIdentity}: argv,
     * environment, directory, user, cgroup, window ...) restarts a running program; a change of logging, restart
     * policy, back-off, intensity, kill signal/grace, readiness or dependencies does not (they apply from the
     * next start or end). A FAILED or STOPPED daemon is started again: a new configuration is a new chance.
     *
     * @return whether the program is restarted (or started) because of the change
     */
    public boolean reconfigure(DaemonSpec newSpec) {
        if (!newSpec.name().equals(name)) {
            throw new IllegalArgumentException("daemon '" + name + "' cannot be renamed to '" + newSpec.name() + "'");
        }
        return locked(() -> {
            Phase before = machine.phase();
            if (before == Phase.CLOSING || before == Phase.CLOSED) {
                throw new IllegalStateException("daemon '" + name + "' was removed");
            }
            List<String> changes = new ArrayList<>(
                    ProgramIdentity.of(spec.command()).differences(ProgramIdentity.of(newSpec.command())));
            if (spec.usesNotify() != newSpec.usesNotify()) {
                changes.add("sd_notify socket"); // NOTIFY_SOCKET comes and goes with the program's environment
            } else if (newSpec.usesNotify() && !spec.watchdog().equals(newSpec.watchdog())) {
                changes.add("watchdog"); // WATCHDOG_USEC is in its environment
            }
            spec = newSpec;
            output.reconfigure(newSpec);
            DaemonMachine.Step s = handle(new DaemonMachine.Reconfigure(newSpec, changes));
            return s.from() != s.to() && (s.to() == Phase.RESTARTING || s.to() == Phase.WAITING_FOR_DEPENDENCIES);
        });
    }

    /**
     * Stops the daemon (and everything its program spawned), then detaches it from everything: listeners,
     * the dependency watch, its name. Idempotent.
     */
    public void close() {
        CompletableFuture<Void> done = locked(() -> {
            handle(new DaemonMachine.Close());
            return programDone();
        });
        try {
            waitFor(done, "stop");
        } finally {
            release();
        }
    }

    /**
     * {@link #close()} without waiting: the stop starts now, and the returned future completes when the program
     * and its descendants are gone (the name is released then). For shutting many daemons down at once.
     */
    public CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> done = locked(() -> {
            handle(new DaemonMachine.Close());
            return programDone();
        });
        return done.whenComplete((v, x) -> release());
    }

    private void waitFor(CompletableFuture<Void> done, String what) {
        Duration limit = spec.command().grace().plus(STOP_MARGIN);
        try {
            done.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProcessException("interrupted while waiting for the " + what + " of daemon '" + name + "'", e);
        } catch (ExecutionException e) {
            throw new ProcessException("the " + what + " of daemon '" + name + "' failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new ProcessException("daemon '" + name + "': the " + what + " did not finish within "
                    + limit.toMillis() + " ms", e);
        }
    }

    /** Completes when the current program and a pre-start hook being killed are gone (at once when there are none). Under the lock. */
    private CompletableFuture<Void> programDone() {
        CompletableFuture<Void> program = machine.phase().hasProgram() && current != null ? current.done
                : CompletableFuture.completedFuture(null);
        return pre == null ? program : CompletableFuture.allOf(program, pre.done);
    }

    // ------------------------------------------------------------------ hand-over to the next supervisor version

    /**
     * Hands this daemon over to the next version of the supervisor (bundle update or refresh): a running
     * program is detached from its helper with {@code lease} (it keeps running; see {@link Engine#detach});
     * a program on its way up or down is stopped, to be started again by the next version. From now on this
     * object supervises nothing (like after {@link #close()}, but the program is not stopped) and its name is
     * free.
     *
     * @return completes with what the next version needs (on an engine thread), or with null when this daemon
     *     was closed already
     */
    public CompletableFuture<DaemonHandOver> handOver(Duration lease) {
        PendingHandOver ph = locked(() -> {
            RunningProgram p = current == null ? null : current.program;
            boolean canDetach = p != null && !p.isDone() && p.pid().isPresent() && engine.supportsHandOver();
            handle(new DaemonMachine.HandOver(canDetach));
            PendingHandOver x = handingOver;
            handingOver = null;
            return x;
        });
        if (ph == null) {
            return CompletableFuture.completedFuture(null);
        }
        DaemonHandOver base = ph.base();
        if (!ph.detach()) {
            return CompletableFuture.completedFuture(base);
        }
        RunningProgram p = ph.program();
        return engine.detach(p, lease).handle((h, error) -> {
            if (error != null) {
                Throwable cause = unwrap(error);
                say(Level.WARN, "could not be handed over ({}): stopping its program; the next version starts it again",
                        cause.getMessage());
                p.stop(base.killSignal() > 0 ? Signal.of(base.killSignal()) : Signal.TERM, Duration.ofMillis(base.graceMs()));
                return base.withoutProgram(DaemonState.STARTING);
            }
            if (h == null) {
                say(Level.INFO, "its program ended during the hand-over; the next version starts it again");
                return base.withoutProgram(DaemonState.STARTING);
            }
            say(Level.INFO, "handed over to the next supervisor version: pid {} (helper {}) keeps running; lease {} ms",
                    h.pid(), h.helperPid(), h.leaseMs());
            // on the thread that delivered the program's last output: the partial lines are complete now
            return base.withProgram(h, ph.streams().pendingStdout(), ph.streams().pendingStderr())
                    .withRecent(output.recent().lines(Integer.MAX_VALUE, 0));
        });
    }

    /**
     * Takes this daemon over from the previous supervisor version instead of {@link #start()}: its counters,
     * recent lines and last exit continue, and its program (when one was handed over) is re-attached rather
     * than started. A program configuration that changed meanwhile is applied by restarting the program
     * once it is re-attached; a daemon that was stopped stays stopped.
     */
    public void adopt(DaemonHandOver h) {
        boolean changed = !ProgramIdentity.of(spec.command()).matches(h.fingerprint());
        locked(() -> {
            doneStdout = h.doneStdout();
            doneStderr = h.doneStderr();
            startedAt = h.startedAt();
            lastExit = h.lastExit();
            oomPath = h.oomPath();
            oomKills = h.oomKills();
            output.recent().restore(h.recent());
            adopting = h;
            try {
                return handle(new DaemonMachine.Adopt(h.restarts(), h.state(), h.program() != null, changed));
            } finally {
                adopting = null;
            }
        });
    }

    // ------------------------------------------------------------------ the shell: events in, actions out

    /**
     * Runs {@code body} under the lock with every event it causes handled, then what must run without the lock
     * (completing futures, releasing the name).
     */
    private <T> T locked(Supplier<T> body) {
        List<Runnable> after = List.of();
        T result;
        synchronized (lock) {
            boolean outer = !processing;
            processing = true;
            try {
                result = body.get();
                while (outer && !queue.isEmpty()) {
                    handle(queue.poll());
                }
            } finally {
                if (outer) {
                    processing = false;
                    queue.clear(); // only left over when something threw
                }
            }
            if (outer) {
                after = new ArrayList<>(afterLock);
                afterLock.clear();
            }
        }
        for (Runnable r : after) {
            r.run();
        }
        return result;
    }

    /** An event from a program, a timer or a check: handled now, or queued when an action of ours caused it. */
    private void fire(DaemonMachine.Event e) {
        synchronized (lock) {
            if (processing) {
                queue.add(e);
                return;
            }
        }
        locked(() -> handle(e));
    }

    /** One step of the machine and its actions. Under the lock. */
    private DaemonMachine.Step handle(DaemonMachine.Event e) {
        DaemonMachine.Step s = machine.step(e, clock.nanoTime());
        for (Action a : s.actions()) {
            try {
                carryOut(a);
            } catch (RuntimeException x) {
                say(Level.ERROR, "internal error carrying out {} after {}: {}", a, e, x.toString(), x);
            }
        }
        return s;
    }

    private void carryOut(Action a) {
        if (a instanceof DaemonMachine.CheckDependencies) {
            checkDependencies();
        } else if (a instanceof DaemonMachine.Launch) {
            launch(((DaemonMachine.Launch) a).run());
        } else if (a instanceof DaemonMachine.Attach) {
            attach(((DaemonMachine.Attach) a).run());
        } else if (a instanceof DaemonMachine.StartReadiness) {
            startReadiness(((DaemonMachine.StartReadiness) a).run());
        } else if (a instanceof DaemonMachine.CancelReadiness) {
            cancelReadiness();
        } else if (a instanceof DaemonMachine.StopProgram) {
            stopProgram(((DaemonMachine.StopProgram) a).first());
        } else if (a instanceof DaemonMachine.ArmWatchdog) {
            Run r = current;
            if (r != null && r.id == ((DaemonMachine.ArmWatchdog) a).run()) {
                if (r.watchdog == null) {
                    r.watchdog = spec.watchdog();
                }
                r.watchdogArmed = true;
                petWatchdog(r);
            }
        } else if (a instanceof DaemonMachine.ScheduleBackoff) {
            DaemonMachine.ScheduleBackoff b = (DaemonMachine.ScheduleBackoff) a;
            backoffTimer = schedule(b.delay(), () -> onControl(() -> fire(new DaemonMachine.BackoffElapsed(b.run()))));
        } else if (a instanceof DaemonMachine.CancelBackoff) {
            if (backoffTimer != null) {
                backoffTimer.cancel();
                backoffTimer = null;
            }
        } else if (a instanceof DaemonMachine.MarkStarted) {
            if (!((DaemonMachine.MarkStarted) a).reattached() || startedAt == null) {
                startedAt = Instant.now();
            }
        } else if (a instanceof DaemonMachine.ProgramGone) {
            programGone((DaemonMachine.ProgramGone) a);
        } else if (a instanceof DaemonMachine.Notify) {
            setState(((DaemonMachine.Notify) a).state());
        } else if (a instanceof DaemonMachine.Publish) {
            DaemonMachine.Publish p = (DaemonMachine.Publish) a;
            publish(p.topic(), p.extra(), p.restarts(), p.pid(), p.helperPid());
        } else if (a instanceof DaemonMachine.Log) {
            logAt((DaemonMachine.Log) a);
        } else if (a instanceof DaemonMachine.HandOverProgram) {
            handOverProgram((DaemonMachine.HandOverProgram) a);
        } else if (a instanceof DaemonMachine.Release) {
            afterLock.add(this::release);
        } else if (a instanceof DaemonMachine.RunPreStart) {
            runPreStart(((DaemonMachine.RunPreStart) a).run());
        } else if (a instanceof DaemonMachine.CancelPreStart) {
            cancelPreStart();
        }
    }

    private void checkDependencies() {
        List<String> deps = spec.dependsOn();
        List<String> missing = deps.isEmpty() ? List.of() : gate.missing(deps);
        if (!missing.isEmpty() && gateWatch == null) {
            Runnable changed = () -> onControl(() -> fire(new DaemonMachine.DependenciesChanged()));
            AutoCloseable g = gate.watch(changed);
            // a cycle or an unknown name is about the other daemons' configurations: watch them too
            AutoCloseable r = registry == null ? () -> { } : registry.watch(changed);
            gateWatch = () -> {
                g.close();
                r.close();
            };
            missing = gate.missing(deps); // what changed before the watch started counts too
        }
        List<String> unknown = new ArrayList<>();
        List<String> cycle = List.of();
        if (!missing.isEmpty() && registry != null) {
            for (String m : missing) {
                if (!registry.known(m)) {
                    unknown.add(m);
                }
            }
            cycle = registry.cycleThrough(name, deps);
        }
        queue.add(new DaemonMachine.Dependencies(missing, unknown, cycle));
    }

    private void launch(int run) {
        if (engine.isClosed()) {
            queue.add(new DaemonMachine.Ended(run, Outcome.notStarted("the engine is closed", true)));
            return;
        }
        Run r = new Run(run, null, null);
        current = r;
        try {
            // env.file is read here, at every start: a bad file is a failed start under the restart policy
            statusText = null; // a new program, a new status
            r.program = engine.launch(launchCommand(EnvFile.apply(spec.command())), r.streams.consumer(),
                    spec.usesNotify() ? new NotifySocket(spec.watchdog(), (pid, msg) -> datagram(r, pid, msg)) : null);
        } catch (RuntimeException e) {
            say(Level.ERROR, "cannot start: {}", e.getMessage());
            queue.add(new DaemonMachine.Ended(run, Outcome.notStarted(e.getMessage(), engine.isClosed())));
            return;
        }
        wire(r);
    }

    private void attach(int run) {
        DaemonHandOver h = adopting;
        Run r = new Run(run, h.stdoutTail(), h.stderrTail());
        current = r;
        HandOff off = h.program();
        try {
            r.program = engine.attach(off, launchCommand(spec.command()), r.streams.consumer(),
                    spec.usesNotify() ? (pid, msg) -> datagram(r, pid, msg) : null);
        } catch (RuntimeException e) {
            say(Level.ERROR, "cannot re-attach: {}", e.getMessage());
            queue.add(new DaemonMachine.Ended(run, Outcome.notStarted(e.getMessage(), engine.isClosed())));
            return;
        }
        wire(r);
    }

    /** Starts the pre-start hook of run {@code run}; its end becomes {@link DaemonMachine.PreStartDone}. */
    private void runPreStart(int run) {
        PreStart hook = spec.beforeStart().orElse(null);
        if (hook == null) { // reconfigured away between the decision and now
            queue.add(new DaemonMachine.PreStartDone(run, true, null));
            return;
        }
        PreRun h = new PreRun(run, hook);
        pre = h;
        if (hook.kind() == PreStart.Kind.COMMAND) {
            if (engine.isClosed()) {
                preEnded(h, true, null); // the launch reports the closed engine, which stops the daemon
                return;
            }
            DaemonOutput.Streams streams = output.open(null, null, () -> {
                RunningProgram p = h.program;
                return p == null ? -1 : p.pid().orElse(-1);
            }, line -> { });
            CommandSpec c;
            try {
                c = EnvFile.apply(hook.command().orElseThrow()).toBuilder().collectOutput(false).consumer(null).build();
            } catch (RuntimeException e) {
                preEnded(h, false, "could not start: " + e.getMessage());
                return;
            }
            say(Level.INFO, "running its pre-start hook: {} (timeout {})", c.argv(), RestartPlanner.fmt(hook.timeout()));
            try {
                h.program = engine.launch(c, streams.consumer());
            } catch (RuntimeException e) {
                preEnded(h, false, "could not start: " + e.getMessage());
                return;
            }
            // its last partial lines on this daemon's lane, then its end on the control thread
            h.program.completion().whenCompleteAsync((result, error) -> {
                streams.flush();
                boolean ok;
                String why;
                if (error != null) {
                    Throwable cause = unwrap(error);
                    ok = false;
                    why = cause == null ? "unknown error" : cause.getMessage();
                } else if (result.timedOut()) {
                    ok = false;
                    why = "did not finish within " + RestartPlanner.fmt(hook.timeout()) + " ("
                            + result.signal().map(sig -> "killed by " + sig).orElse("exit " + result.exitCode()) + ")";
                } else if (result.signal().isPresent()) {
                    ok = false;
                    why = "killed by " + result.signal().get();
                } else {
                    ok = result.exitCode() == 0;
                    why = "exited with code " + result.exitCode();
                }
                onControl(() -> preEnded(h, ok, why));
            }, events);
            return;
        }
        // a call (user code): on this daemon's lane of the delivery threads, never the caller's, the IO or the
        // control thread
        onLane(() -> {
            if (h.cancelled) {
                preEnded(h, false, "cancelled");
                return;
            }
            CompletionStage<?> stage;
            try {
                stage = Objects.requireNonNull(hook.call().orElseThrow().get(), "the call returned no stage");
            } catch (RuntimeException | Error e) {
                preEnded(h, false, "the call threw " + e);
                return;
            }
            CompletableFuture<?> f = stage.toCompletableFuture();
            synchronized (lock) {
                h.stage = f;
                if (!h.cancelled) {
                    String why = "did not finish within " + RestartPlanner.fmt(hook.timeout());
                    h.timer = schedule(hook.timeout(), () -> {
                        preEnded(h, false, why); // first: the cancel completes the stage at once
                        f.cancel(true);
                    });
                }
            }
            if (h.cancelled) {
                f.cancel(true);
            }
            f.whenComplete((v, error) -> {
                Throwable cause = unwrap(error);
                preEnded(h, error == null, cause == null ? null : cause instanceof java.util.concurrent.CancellationException
                        ? "cancelled" : "the stage failed: " + cause);
            });
        });
    }

    /** The hook {@code h} ended (the first report counts): the machine learns it, stop() stops waiting for it. */
    private void preEnded(PreRun h, boolean ok, String why) {
        if (!h.reported.compareAndSet(false, true)) {
            return;
        }
        synchronized (lock) {
            if (h.timer != null) {
                h.timer.cancel();
            }
            if (pre == h) {
                pre = null;
            }
        }
        fire(new DaemonMachine.PreStartDone(h.id, ok, why));
        if (Thread.holdsLock(lock)) {
            afterLock.add(() -> h.done.complete(null)); // an action of ours: complete once the lock is given up
        } else {
            h.done.complete(null);
        }
    }

    /** Kills the running hook's program (kill signal, grace, SIGKILL) or cancels its stage. Under the lock. */
    private void cancelPreStart() {
        PreRun h = pre;
        if (h == null) {
            return;
        }
        h.cancelled = true;
        if (h.program != null) {
            CommandSpec c = h.hook.command().orElseThrow();
            h.program.stop(c.killSignal(), c.grace());
        } else if (h.stage != null) {
            h.stage.cancel(true);
        }
    }

    /** Turns the spawn and the end of run {@code r}'s program into events. */
    private void wire(Run r) {
        RunningProgram p = r.program;
        p.started().whenComplete((pid, error) -> {
            if (error == null) {
                fire(new DaemonMachine.Spawned(r.id, pid, p.helperPid().orElse(-1)));
            }
        });
        // after the program's last output: its partial lines on this daemon's lane (they reach the log and the
        // followers), then the end on the control thread
        p.completion().whenCompleteAsync((result, error) -> {
            try {
                if (isCurrent(r)) { // not after a hand-over: the partial lines went to the next version
                    r.streams.flush();
                }
            } finally {
                Outcome o = outcome(p, result, error);
                onControl(() -> fire(new DaemonMachine.Ended(r.id, o)));
            }
        }, events);
    }

    private boolean isCurrent(Run r) {
        synchronized (lock) {
            return current == r;
        }
    }

    private Outcome outcome(RunningProgram p, ProcessResult result, Throwable error) {
        boolean engineClosed = engine.isClosed();
        if (result != null) {
            return Outcome.of(result, engineClosed);
        }
        Throwable cause = unwrap(error);
        String why = cause == null ? "unknown error" : cause.getMessage();
        if (cause instanceof HelperLostException) {
            HelperLostException h = (HelperLostException) cause;
            long pid = h.pid() >= 0 ? h.pid() : p.pid().orElse(-1);
            if (pid >= 0) {
                return Outcome.helperLost(pid, why, h.cgroupStats().orElse(null), engineClosed);
            }
        }
        if (p.pid().isPresent()) {
            return Outcome.lost(p.pid().getAsLong(), why, engineClosed);
        }
        return Outcome.notStarted(why, engineClosed);
    }

    private void startReadiness(int run) {
        Run r = current;
        if (r == null || r.id != run) {
            return;
        }
        Readiness rd = r.readiness;
        if (rd.kind() != Readiness.Kind.IMMEDIATE) {
            String why = "readiness check (" + rd + ") did not pass within " + RestartPlanner.fmt(rd.timeout());
            r.readyDeadline = clock.nanoTime() + rd.timeout().toNanos();
            r.readyTimer = schedule(rd.timeout(),
                    () -> fire(new DaemonMachine.Abort(run, DaemonExit.Reason.READINESS_TIMEOUT, why)));
        }
        r.check.start();
    }

    private void cancelReadiness() {
        Run r = current;
        if (r == null) {
            return;
        }
        r.check.cancel();
        if (r.readyTimer != null) {
            r.readyTimer.cancel();
            r.readyTimer = null;
        }
        r.watchdogArmed = false;
        if (r.watchdogTimer != null) {
            r.watchdogTimer.cancel();
            r.watchdogTimer = null;
        }
    }

    /**
     * Stops the current program; with {@code first} (SIGABRT for a watchdog timeout, as systemd's
     * {@code WatchdogSignal=}) that signal goes to the program alone first, and the normal stop follows after the
     * kill grace unless it ended by then. Under the lock.
     */
    private void stopProgram(Signal first) {
        RunningProgram p = current == null ? null : current.program;
        if (p == null) {
            return;
        }
        Signal kill = spec.command().killSignal();
        Duration grace = spec.command().grace();
        if (first == null) {
            p.stop(kill, grace);
            return;
        }
        try {
            p.signal(first);
        } catch (RuntimeException e) {
            say(Level.DEBUG, "cannot send {}: {}", first, e.toString());
        }
        schedule(grace, () -> {
            if (!p.isDone()) {
                p.stop(kill, grace);
            }
        });
    }

    // ------------------------------------------------------------------ sd_notify

    /** A datagram of run {@code r}'s program (an engine thread): what the daemon acts on, see {@link SdNotify}. */
    private void datagram(Run r, long pid, byte[] message) {
        SdNotify n = SdNotify.parse(message);
        boolean mine;
        synchronized (lock) {
            mine = current == r;
        }
        if (!mine) {
            return; // a late datagram of an earlier run
        }
        say(Level.TRACE, "sd_notify from pid {}: {}", pid, n.values());
        String status = n.get(SdNotify.STATUS);
        if (status != null) {
            statusText = Printable.escape(status);
        }
        n.positive(SdNotify.MAINPID).ifPresent(m -> {
            if (m != r.mainPid) {
                r.mainPid = m;
                say(Level.INFO, "the program says its main process is pid {} (MAINPID=; Corral keeps following pid {})",
                        m, r.pid());
            }
        });
        if (n.get(SdNotify.ERRNO) != null) {
            say(Level.WARN, "the program reports errno {} (sd_notify ERRNO=)", Printable.escape(n.get(SdNotify.ERRNO)));
        }
        if (n.flag(SdNotify.RELOADING)) {
            say(Level.INFO, "the program is reloading (RELOADING=1)");
        }
        if (n.flag(SdNotify.STOPPING)) {
            say(Level.INFO, "the program says it is stopping (STOPPING=1)");
        }
        OptionalLong extend = n.positive(SdNotify.EXTEND_TIMEOUT_USEC);
        if (extend.isPresent()) {
            synchronized (lock) {
                extendReadiness(r, extend.getAsLong());
            }
        }
        OptionalLong usec = n.positive(SdNotify.WATCHDOG_USEC);
        String watchdog = n.get(SdNotify.WATCHDOG);
        if (usec.isPresent() || watchdog != null) {
            synchronized (lock) {
                if (usec.isPresent()) {
                    r.watchdog = Duration.ofNanos(Math.multiplyExact(Math.min(usec.getAsLong(), Long.MAX_VALUE / 1000), 1000L));
                    say(Level.INFO, "the program sets its watchdog to {} (WATCHDOG_USEC=)", Values.format(r.watchdog));
                }
                if ("trigger".equals(watchdog)) {
                    if (r.watchdogArmed) {
                        r.watchdogGen++;
                        fire(new DaemonMachine.Abort(r.id, DaemonExit.Reason.WATCHDOG,
                                "the program triggered its watchdog (WATCHDOG=trigger)"));
                    }
                } else if (r.watchdogArmed && (usec.isPresent() || "1".equals(watchdog))) {
                    petWatchdog(r);
                }
            }
        }
        if (n.flag(SdNotify.READY) && r.check instanceof NotifyCheck) {
            ((NotifyCheck) r.check).ready();
        }
    }

    /**
     * EXTEND_TIMEOUT_USEC= while the readiness check of {@code r} runs, with systemd's meaning for the start: the
     * timeout fires no earlier than {@code usec} from now, and never earlier than the configured one. After READY
     * (systemd's runtime and stop timeouts) it changes nothing: Corral has no runtime limit, and the helper owns the
     * kill grace of a stop. Under the lock.
     */
    private void extendReadiness(Run r, long usec) {
        if (current != r || r.readyTimer == null || !r.check.active()) {
            return;
        }
        long now = clock.nanoTime();
        Duration asked = Duration.ofNanos(Math.min(usec, Long.MAX_VALUE / 4000) * 1000L);
        long want = now + asked.toNanos();
        if (want - r.readyDeadline <= 0) {
            return;
        }
        r.readyTimer.cancel();
        r.readyDeadline = want;
        Duration left = Duration.ofNanos(want - now);
        int run = r.id;
        String why = "readiness check (" + r.readiness + ") did not pass within " + RestartPlanner.fmt(r.readiness.timeout())
                + ", nor within the " + Values.format(asked) + " the program asked for"
                + " (EXTEND_TIMEOUT_USEC=)";
        say(Level.DEBUG, "the program extends its start by {} (EXTEND_TIMEOUT_USEC=)", Values.format(left));
        r.readyTimer = schedule(left, () -> fire(new DaemonMachine.Abort(run, DaemonExit.Reason.READINESS_TIMEOUT, why)));
    }

    /** (Re)starts the watchdog timer of {@code r}: it fires unless petted again within its interval. Under the lock. */
    private void petWatchdog(Run r) {
        if (r.watchdogTimer != null) {
            r.watchdogTimer.cancel();
        }
        long gen = ++r.watchdogGen;
        Duration interval = r.watchdog;
        String why = "watchdog: no WATCHDOG=1 within " + Values.format(interval);
        r.watchdogTimer = schedule(interval, () -> {
            synchronized (lock) {
                if (r.watchdogGen != gen || !r.watchdogArmed || current != r) {
                    return;
                }
            }
            fire(new DaemonMachine.Abort(r.id, DaemonExit.Reason.WATCHDOG, why));
        });
    }

    /** The current program is gone: counters, last exit, EXITED and OOM events. */
    private void programGone(DaemonMachine.ProgramGone g) {
        Outcome o = g.outcome();
        Run r = current;
        RunningProgram p = r == null ? null : r.program;
        if (r != null) {
            current = null;
            afterLock.add(() -> r.done.complete(null));
        }
        ProcessResult result = o.result();
        if (result != null) {
            doneStdout += result.stdoutBytes();
            doneStderr += result.stderrBytes();
        } else if (p != null) {
            doneStdout += p.stdoutBytes(); // what was delivered before the end without a result
            doneStderr += p.stderrBytes();
        }
        long pid = o.pid() >= 0 ? o.pid() : p == null ? -1 : p.pid().orElse(-1);
        long helper = p == null ? -1 : p.helperPid().orElse(-1);
        int restarts = machine.restarts();
        CgroupStats stats = o.stats();
        if (o.kind() != Outcome.Kind.NOT_STARTED && pid >= 0) {
            lastExit = new DaemonExit(pid, o.exitCode(), Optional.ofNullable(o.signal()), Instant.now(),
                    stats != null && stats.oomKills() > 0, g.requested(), g.reason());
            Map<String, Object> props = new LinkedHashMap<>();
            props.put(DaemonEvents.PID, pid);
            props.put(DaemonEvents.EXIT_CODE, o.exitCode());
            if (o.signal() != null) {
                props.put(DaemonEvents.SIGNAL, o.signal().name());
            }
            props.put(DaemonEvents.EXIT_REASON, g.reason().name());
            props.put(DaemonEvents.EXIT_CLEAN, g.clean());
            publish(DaemonEvents.EXITED, props, g.restarts(), pid, helper);
        }
        if (stats != null) {
            // a fixed cgroup.path keeps its counters across restarts: only a rise is news
            long before = stats.path().equals(oomPath) ? oomKills : 0;
            if (stats.oomKills() > before) {
                say(Level.ERROR, "the OOM killer struck in its cgroup {} (memory.events oom_kill {} -> {})", stats.path(),
                        before, stats.oomKills());
                publish(DaemonEvents.OOM, Map.of(DaemonEvents.PID, pid, "oom.kills", stats.oomKills() - before),
                        g.restarts(), pid, helper);
            }
            oomPath = stats.path();
            oomKills = stats.oomKills();
        }
    }

    /** Builds what the next version needs; {@link #handOver} detaches the program outside the lock. */
    private void handOverProgram(DaemonMachine.HandOverProgram a) {
        Run r = current;
        current = null; // whatever the old program still reports is not ours to act on
        CommandSpec c = spec.command();
        DaemonHandOver base = DaemonHandOver.of(name, a.state(), ProgramIdentity.of(c).fingerprint(),
                c.killSignal().number(), c.grace().toMillis(), c.argv().get(0))
                .withCounters(machine.restarts(), doneStdout, doneStderr)
                .withRun(startedAt, lastExit)
                .withOom(oomPath, oomKills)
                .withRecent(output.recent().lines(Integer.MAX_VALUE, 0));
        handingOver = new PendingHandOver(a.detach(), base, r == null ? null : r.program, r == null ? null : r.streams);
    }

    private void release() {
        AutoCloseable watch;
        synchronized (lock) {
            if (released) {
                return;
            }
            released = true;
            watch = gateWatch;
            gateWatch = null;
        }
        try {
            if (watch != null) {
                watch.close();
            }
        } catch (Exception e) {
            say(Level.DEBUG, "closing {}", watch, e);
        }
        output.close();
        if (registry != null) {
            registry.release(name, this);
        }
    }

    // ------------------------------------------------------------------ plumbing

    private void setState(DaemonState s) {
        state = s;
        lock.notifyAll();
        onLane(() -> {
            for (DaemonListener l : listeners) {
                try {
                    l.stateChanged(this, s);
                } catch (RuntimeException e) {
                    say(Level.WARN, "daemon listener {} failed", l, e);
                }
            }
            if (registry != null) {
                registry.changed();
            }
        });
    }

    /** Queues an event for the listeners (in order, on this daemon's lane). Under the lock. */
    private void publish(String topic, Map<String, Object> extra, int restarts, long pid, long helperPid) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put(DaemonEvents.NAME, name);
        if (pid >= 0) {
            props.put(DaemonEvents.PID, pid);
        }
        if (helperPid >= 0) {
            props.put(DaemonEvents.HELPER_PID, helperPid);
        }
        props.put(DaemonEvents.RESTARTS, restarts);
        if (configurationPid != null) {
            props.put(DaemonEvents.CONFIGURATION, configurationPid);
        }
        if (configurationFile != null) {
            props.put(DaemonEvents.FILE, configurationFile);
        }
        props.putAll(extra);
        Map<String, Object> frozen = Map.copyOf(props);
        onLane(() -> {
            for (DaemonListener l : listeners) {
                try {
                    l.event(this, topic, frozen);
                } catch (RuntimeException e) {
                    say(Level.WARN, "daemon listener {} failed on {}", l, topic, e);
                }
            }
            if (registry != null) {
                registry.event(this, topic, frozen);
            }
        });
    }

    private void logAt(DaemonMachine.Log l) {
        RunningProgram p = current == null ? null : current.program;
        long pid = p == null ? -1 : p.pid().orElse(-1);
        output.message(l.level(), pid, l.withCommand() ? spec.command().argv() : null, "{}", l.text());
    }

    /** One of this daemon's own messages, with its MDC (the current program's pid, if any). */
    private void say(Level level, String format, Object... args) {
        RunningProgram p = currentProgram();
        output.message(level, p == null ? -1 : p.pid().orElse(-1), null, format, args);
    }

    /** Runs {@code task} on this daemon's lane of the delivery threads (listener calls, user calls). */
    private void onLane(Runnable task) {
        try {
            events.execute(task);
        } catch (RejectedExecutionException e) {
            task.run(); // the engine is shutting down: run it here rather than lose a state change
        }
    }

    /** Runs {@code task} on the engine's control thread. */
    private void onControl(Runnable task) {
        try {
            control.execute(task);
        } catch (RejectedExecutionException e) {
            task.run(); // the engine is shutting down: run it here rather than lose a state change
        }
    }

    private Timers.Timer schedule(Duration delay, Runnable task) {
        try {
            return timers.schedule(delay, task);
        } catch (RuntimeException e) {
            say(Level.DEBUG, "cannot schedule a timer (engine closed?): {}", e.toString());
            return () -> false;
        }
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    @Override
    public String toString() {
        return "Daemon[" + name + ", " + state.name().toLowerCase(Locale.ROOT) + "]";
    }
}
