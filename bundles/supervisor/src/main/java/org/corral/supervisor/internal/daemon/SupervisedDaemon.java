package org.corral.supervisor.internal.daemon;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import org.corral.api.CgroupLimits;
import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.LogLevel;
import org.corral.api.OutputConsumer;
import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.api.Readiness;
import org.corral.api.Signal;
import org.corral.api.StreamKind;
import org.corral.supervisor.internal.daemon.RestartPlanner.Decision;
import org.corral.supervisor.internal.engine.Engine;
import org.corral.supervisor.internal.engine.HandOff;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.internal.engine.Timers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One supervised daemon on an {@link Engine}: its identity, counters and state machine, independent of
 * where it came from (a configuration component or {@code ProcessService.start}), so that the owner can be
 * replaced without touching the program.
 *
 * <h2>Threads</h2>
 * No thread of its own: state changes happen under a lock on whatever thread reports them (the caller,
 * the engine's IO thread for spawns and timers, its delivery thread for output and exits); listeners and
 * output logging run on the delivery thread. Readiness checks run on the engine's {@link Timers}: a log
 * line is matched as lines are split; a TCP port is probed with non-blocking connects to 127.0.0.1 at
 * backing-off intervals (10 ms doubling to 500 ms); a file is checked for at backing-off intervals (10 ms
 * doubling to 250 ms). All are bounded by the check's timeout.
 *
 * <h2>Life cycle</h2>
 * STOPPED/FAILED --start--> STARTING (waits for {@code depends.on} to be READY, then launches) --spawned-->
 * RUNNING --check passed--> READY; an end of the program goes through the {@link RestartPlanner}:
 * BACKING_OFF (then STARTING again), STOPPED or FAILED. {@code stop()} goes through STOPPING to STOPPED.
 */
public final class SupervisedDaemon implements Daemon {

    /** Logger of daemon {@code name}: {@code org.corral.daemon.<name>}. */
    public static final String LOGGER_PREFIX = "org.corral.daemon.";

    private static final Duration STOP_MARGIN = Duration.ofSeconds(30);

    private final String name;
    private final Engine engine;
    private final Timers timers;
    private final Executor deliver;
    private final NanoClock clock;
    private final DependencyGate gate;
    private final CgroupAccess cgroups;
    private final DaemonRegistry registry;
    private final Logger log;
    private final RecentLines recent;
    private final List<DaemonListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private AutoCloseable gateWatch;

    private volatile boolean ownerPublishes;
    private volatile DaemonSpec spec;
    private volatile DaemonState state = DaemonState.STOPPED;
    private final RestartPlanner planner;
    private volatile int generation;
    private RunningProgram program;
    private CompletableFuture<Void> programDone = CompletableFuture.completedFuture(null);
    private Timers.Timer backoffTimer;
    private Timers.Timer readyTimer;
    private boolean waitingForDeps;
    private String readinessFailure;
    private boolean restartAfterStop;
    private boolean closed;
    private int restarts;
    private DaemonExit lastExit;
    private Instant startedAt;
    private long doneStdout;
    private long doneStderr;
    private String oomPath;
    private long oomKills;
    /** The line splitters of the current program (their partial lines are handed over). */
    private LineSplitter splitOut;
    private LineSplitter splitErr;

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
        this.deliver = engine.deliverExecutor();
        this.clock = clock;
        this.gate = gate;
        this.cgroups = cgroups;
        this.registry = registry;
        this.log = LoggerFactory.getLogger(LOGGER_PREFIX + name);
        this.recent = new RecentLines(spec.recentLines());
        this.planner = new RestartPlanner(spec);
        if (registry != null) {
            registry.attach(name, this);
        }
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
            return restarts;
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
            return doneStdout + (program == null ? 0 : program.stdoutBytes());
        }
    }

    @Override
    public long stderrBytes() {
        synchronized (lock) {
            return doneStderr + (program == null ? 0 : program.stderrBytes());
        }
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

    /** Files that list processes: read from the program's own (leaf) cgroup. */
    private static final Set<String> PROCESS_FILES = Set.of("cgroup.procs", "cgroup.threads");

    private String requireCgroup() {
        return cgroupPath().orElseThrow(() -> new IllegalStateException("daemon '" + name + "' is " + state
                + " and has no cgroup now" + (spec.command().usesCgroup() ? "" : " (it is not configured to use one)")));
    }

    @Override
    public List<String> recentLines(int n) {
        return recent.last(n);
    }

    /** The recent lines with stream and time. */
    public RecentLines recent() {
        return recent;
    }

    @Override
    public Subscription followLines(int backlog, Consumer<String> listener) {
        Runnable cancel = recent.follow(backlog, listener);
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
            return program;
        }
    }

    // ------------------------------------------------------------------ Daemon: control

    @Override
    public void signal(Signal signal) {
        synchronized (lock) {
            if (program == null || !(state == DaemonState.RUNNING || state == DaemonState.READY)) {
                throw new IllegalStateException("daemon '" + name + "' is " + state + ": no program to signal");
            }
            log.info("sending {} to pid {}", signal, program.pid().orElse(-1));
            program.signal(signal);
        }
    }

    @Override
    public void start() {
        synchronized (lock) {
            checkOpen();
            switch (state) {
                case STOPPED:
                case FAILED:
                    planner.reset();
                    begin();
                    break;
                case BACKING_OFF:
                    cancelBackoff();
                    restarts++;
                    begin();
                    break;
                default:
                    break; // already on its way
            }
        }
    }

    @Override
    public void restart() {
        CompletableFuture<Void> done;
        synchronized (lock) {
            checkOpen();
            switch (state) {
                case STOPPED:
                case FAILED:
                    planner.reset();
                    begin();
                    return;
                case BACKING_OFF:
                    cancelBackoff();
                    restarts++;
                    begin();
                    return;
                default:
                    if (program == null) {
                        return; // waiting for its dependencies: it starts when they are ready
                    }
                    log.info("restarting on request");
                    restartAfterStop = true;
                    stopProgram();
                    done = programDone;
            }
        }
        waitFor(done, "restart");
    }

    @Override
    public void stop() {
        waitFor(stopAsync(), "stop");
    }

    /** Starts a stop; completes when the program and its descendants are gone. */
    public CompletableFuture<Void> stopAsync() {
        synchronized (lock) {
            return stopLocked();
        }
    }

    private CompletableFuture<Void> stopLocked() {
        cancelBackoff();
        restartAfterStop = false;
        switch (state) {
            case STOPPED:
            case FAILED:
                return CompletableFuture.completedFuture(null);
            case BACKING_OFF:
                setState(DaemonState.STOPPED, "stopped while backing off");
                return CompletableFuture.completedFuture(null);
            default:
                if (program == null) {
                    waitingForDeps = false;
                    setState(DaemonState.STOPPED, "stopped before it started");
                    return CompletableFuture.completedFuture(null);
                }
                if (state != DaemonState.STOPPING) {
                    log.info("stopping ({}, {} then SIGKILL after {} ms)", program.pid().isPresent()
                            ? "pid " + program.pid().getAsLong() : "not spawned yet", spec.command().killSignal(),
                            spec.command().grace().toMillis());
                }
                stopProgram();
                return programDone;
        }
    }

    private void stopProgram() {
        cancelReadiness();
        if (state != DaemonState.STOPPING) {
            setState(DaemonState.STOPPING, null);
        }
        program.stop(spec.command().killSignal(), spec.command().grace());
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

    /**
     * Uses {@code newSpec} (same name) from now on. A change of the program (argv, environment, directory,
     * user, cgroup, window ...) restarts a running program; a change of logging, restart policy, back-off,
     * intensity, kill signal/grace, readiness or dependencies does not (they apply from the next start or
     * end). A FAILED or STOPPED daemon is started again: a new configuration is a new chance.
     *
     * @return whether the program is restarted (or started) because of the change
     */
    public boolean reconfigure(DaemonSpec newSpec) {
        if (!newSpec.name().equals(name)) {
            throw new IllegalArgumentException("daemon '" + name + "' cannot be renamed to '" + newSpec.name() + "'");
        }
        synchronized (lock) {
            checkOpen();
            boolean programChange = programChanged(spec.command(), newSpec.command());
            spec = newSpec;
            planner.update(newSpec);
            recent.resize(newSpec.recentLines());
            switch (state) {
                case STOPPED:
                case FAILED:
                    log.info("reconfigured: starting");
                    planner.reset();
                    begin();
                    return true;
                case STARTING:
                    if (waitingForDeps) {
                        begin();
                        return false;
                    }
                    // launched, not spawned yet: a program change restarts it
                    break;
                case BACKING_OFF:
                    return false; // the next launch uses the new spec
                case STOPPING:
                    return false;
                default:
                    break;
            }
            if (programChange && program != null) {
                log.info("reconfigured: the program changed, restarting it");
                restartAfterStop = true;
                stopProgram();
                return true;
            }
            log.debug("reconfigured without restart");
            return false;
        }
    }

    /** Whether two program specs differ in something that needs a new process. */
    public static boolean programChanged(CommandSpec a, CommandSpec b) {
        return !(a.argv().equals(b.argv()) && a.arg0().equals(b.arg0()) && a.clearEnv() == b.clearEnv()
                && a.env().equals(b.env()) && a.unsetEnv().equals(b.unsetEnv())
                && a.directory().equals(b.directory()) && Objects.equals(a.stdin(), b.stdin())
                && a.stderrMode() == b.stderrMode() && a.user().equals(b.user()) && a.group().equals(b.group())
                && a.supplementaryGroups().equals(b.supplementaryGroups()) && a.allowRoot() == b.allowRoot()
                && a.cgroupBase().equals(b.cgroupBase()) && a.cgroupPath().equals(b.cgroupPath())
                && a.allowPopulatedCgroup() == b.allowPopulatedCgroup() && a.limits().equals(b.limits())
                && a.window() == b.window() && a.killDescendantsOnExit() == b.killDescendantsOnExit());
    }

    /**
     * Stops the daemon (and everything its program spawned), then detaches it from everything: listeners,
     * the dependency watch, its name. Idempotent.
     */
    public void close() {
        CompletableFuture<Void> done;
        synchronized (lock) {
            if (closed) {
                return;
            }
            done = stopLocked();
        }
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
        CompletableFuture<Void> done;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            done = stopLocked();
        }
        return done.whenComplete((v, x) -> release());
    }

    private void release() {
        AutoCloseable watch;
        synchronized (lock) {
            closed = true;
            watch = gateWatch;
            gateWatch = null;
        }
        closeQuietly(watch);
        if (registry != null) {
            registry.release(name, this);
        }
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
        RunningProgram p;
        DaemonHandOver base;
        AutoCloseable watch;
        boolean detach;
        LineSplitter out;
        LineSplitter err;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
            cancelBackoff();
            cancelReadiness();
            generation++; // whatever the old program still reports is not ours to act on
            p = program;
            DaemonState st = state;
            detach = p != null && !p.isDone() && p.pid().isPresent() && engine.supportsHandOver()
                    && (st == DaemonState.RUNNING || st == DaemonState.READY);
            DaemonState pass = detach || st == DaemonState.STOPPED || st == DaemonState.FAILED ? st : DaemonState.STARTING;
            CommandSpec c = spec.command();
            base = new DaemonHandOver(name, pass, restarts, doneStdout, doneStderr, startedAt, lastExit, oomPath,
                    oomKills, programFingerprint(c), c.killSignal().number(), c.grace().toMillis(), c.argv().get(0),
                    null, null, null, recent.lines(Integer.MAX_VALUE, 0));
            out = splitOut;
            err = splitErr;
            watch = gateWatch;
            gateWatch = null;
            if (!detach && p != null && !p.isDone()) {
                log.info("stopping its program for the hand-over to the next supervisor version (it was {}); the next"
                        + " version starts it again", st);
                p.stop(c.killSignal(), c.grace());
            }
        }
        closeQuietly(watch);
        if (registry != null) {
            registry.release(name, this);
        }
        if (!detach) {
            return CompletableFuture.completedFuture(base);
        }
        return engine.detach(p, lease).handle((h, error) -> {
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                log.warn("could not be handed over ({}): stopping its program; the next version starts it again",
                        cause.getMessage());
                p.stop(base.killSignal() > 0 ? Signal.of(base.killSignal()) : Signal.TERM, Duration.ofMillis(base.graceMs()));
                return base.withoutProgram(DaemonState.STARTING);
            }
            if (h == null) {
                log.info("its program ended during the hand-over; the next version starts it again");
                return base.withoutProgram(DaemonState.STARTING);
            }
            log.info("handed over to the next supervisor version: pid {} (helper {}) keeps running; lease {} ms",
                    h.pid(), h.helperPid(), h.leaseMs());
            // on the thread that delivered the program's last output: the partial lines are complete now
            return new DaemonHandOver(name, base.state(), base.restarts(), base.doneStdout(), base.doneStderr(),
                    base.startedAt(), base.lastExit(), base.oomPath(), base.oomKills(), base.fingerprint(),
                    base.killSignal(), base.graceMs(), base.executable(), h,
                    out == null ? null : out.pendingBytes(), err == null ? null : err.pendingBytes(),
                    recent.lines(Integer.MAX_VALUE, 0));
        });
    }

    /**
     * Takes this daemon over from the previous supervisor version instead of {@link #start()}: its counters,
     * recent lines and last exit continue, and its program (when one was handed over) is re-attached rather
     * than started. A program configuration that changed meanwhile is applied by restarting the program
     * once it is re-attached; a daemon that was stopped stays stopped.
     */
    public void adopt(DaemonHandOver h) {
        synchronized (lock) {
            checkOpen();
            restarts = h.restarts();
            doneStdout = h.doneStdout();
            doneStderr = h.doneStderr();
            startedAt = h.startedAt();
            lastExit = h.lastExit();
            oomPath = h.oomPath();
            oomKills = h.oomKills();
            recent.restore(h.recent());
            HandOff off = h.program();
            if (off == null) {
                switch (h.state()) {
                    case STOPPED:
                        log.info("taken over from the previous supervisor version: stays stopped");
                        return;
                    case FAILED:
                        setState(DaemonState.FAILED, "taken over from the previous supervisor version: stays FAILED");
                        return;
                    default:
                        log.info("taken over from the previous supervisor version without a program: starting it");
                        restarts++;
                        planner.reset();
                        begin();
                        return;
                }
            }
            boolean changed = !h.fingerprint().equals(programFingerprint(spec.command()));
            boolean wasReady = h.state() == DaemonState.READY;
            int gen = ++generation;
            readinessFailure = null;
            DaemonSpec s = spec;
            setState(DaemonState.STARTING, null);
            startProgram(gen, s, h, c -> engine.attach(off, s.command(), c), "re-attach",
                    pid -> reattached(gen, pid, wasReady, changed));
        }
    }

    private void reattached(int gen, long pid, boolean wasReady, boolean changed) {
        synchronized (lock) {
            if (gen != generation || state != DaemonState.STARTING) {
                return;
            }
            planner.started(clock.nanoTime());
            if (startedAt == null) {
                startedAt = Instant.now();
            }
            setState(DaemonState.RUNNING, null);
            log.info("re-attached: pid {} (helper {}) taken over from the previous supervisor version, restarts {}",
                    pid, program.helperPid().orElse(-1), restarts);
            if (changed) {
                log.info("its program configuration changed during the hand-over: restarting the program");
                restartAfterStop = true;
                stopProgram();
                return;
            }
            if (wasReady) {
                setState(DaemonState.READY, null);
                return;
            }
            armReadiness(gen);
        }
    }

    /**
     * A digest of everything in a program spec that {@link #programChanged} compares: equal digests mean the
     * handed-over program still matches its configuration.
     */
    public static String programFingerprint(CommandSpec c) {
        StringBuilder b = new StringBuilder();
        b.append(c.argv()).append('\0').append(c.arg0().orElse("")).append('\0').append(c.clearEnv()).append('\0')
                .append(new java.util.TreeMap<>(c.env())).append('\0').append(new java.util.TreeSet<>(c.unsetEnv()))
                .append('\0').append(c.directory().map(Path::toString).orElse("")).append('\0')
                .append(c.stdin().kind()).append(c.stdin().file().map(Path::toString).orElse(""))
                .append(c.stdin().bytes().map(java.util.Arrays::hashCode).orElse(0)).append('\0')
                .append(c.stderrMode()).append('\0').append(c.user().orElse("")).append('\0')
                .append(c.group().orElse("")).append('\0').append(c.supplementaryGroups().orElse(List.of()))
                .append('\0').append(c.allowRoot()).append('\0').append(c.cgroupBase().orElse("")).append('\0')
                .append(c.cgroupPath().orElse("")).append('\0').append(c.allowPopulatedCgroup()).append('\0')
                .append(c.limits().map(l -> new java.util.TreeMap<>(l.files()).toString()).orElse("")).append('\0')
                .append(c.window()).append('\0').append(c.killDescendantsOnExit());
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (Exception e) {
            log.debug("closing {}", c, e);
        }
    }

    public boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("daemon '" + name + "' was removed");
        }
    }

    // ------------------------------------------------------------------ the state machine

    /** Enters STARTING: launches now, or when the dependencies are READY. Under the lock. */
    private void begin() {
        if (state != DaemonState.STARTING) {
            setState(DaemonState.STARTING, null);
        }
        List<String> missing = spec.dependsOn().isEmpty() ? List.of() : gate.missing(spec.dependsOn());
        if (!missing.isEmpty()) {
            if (gateWatch == null) {
                gateWatch = gate.watch(this::dependenciesMayHaveChanged);
                missing = gate.missing(spec.dependsOn()); // what changed before the watch started counts too
            }
        }
        if (!missing.isEmpty()) {
            if (!waitingForDeps) {
                log.info("waiting for {} to be READY", String.join(", ", missing));
            }
            waitingForDeps = true;
            return;
        }
        waitingForDeps = false;
        launch();
    }

    private void dependenciesMayHaveChanged() {
        execute(() -> {
            synchronized (lock) {
                if (!closed && state == DaemonState.STARTING && waitingForDeps) {
                    begin();
                }
            }
        });
    }

    private void launch() {
        int gen = ++generation;
        readinessFailure = null;
        DaemonSpec s = spec;
        if (engine.isClosed()) {
            setState(DaemonState.STOPPED, "the engine is closed");
            return;
        }
        startProgram(gen, s, null, c -> engine.launch(s.command(), c), "start", pid -> spawned(gen, pid));
    }

    /**
     * Starts (or re-attaches, {@code how}) the program of generation {@code gen} with fresh line splitters
     * (primed with the partial lines of a hand-over, if any). Under the lock.
     */
    private void startProgram(int gen, DaemonSpec s, DaemonHandOver from,
            java.util.function.Function<OutputConsumer, RunningProgram> how, String what,
            java.util.function.LongConsumer onStarted) {
        LineSplitter out = new LineSplitter(StreamKind.STDOUT, s.maxLineLength(), (st, l) -> line(gen, st, l));
        LineSplitter err = new LineSplitter(StreamKind.STDERR, s.maxLineLength(), (st, l) -> line(gen, st, l));
        if (from != null) {
            out.prime(from.stdoutTail());
            err.prime(from.stderrTail());
        }
        OutputConsumer consumer = (stream, data) -> (stream == StreamKind.STDERR ? err : out).feed(data);
        CompletableFuture<Void> done = new CompletableFuture<>();
        programDone = done;
        RunningProgram p;
        try {
            p = how.apply(consumer);
        } catch (RuntimeException e) {
            program = null;
            log.error("cannot {}: {}", what, e.getMessage());
            ended(gen, null, e);
            done.complete(null);
            return;
        }
        program = p;
        p.started().whenComplete((pid, error) -> {
            if (error == null) {
                onStarted.accept(pid);
            }
        });
        whenEnded(gen, p, out, err, done);
    }

    /** Wires the end of program {@code p} of generation {@code gen}. Under the lock. */
    private void whenEnded(int gen, RunningProgram p, LineSplitter out, LineSplitter err, CompletableFuture<Void> done) {
        splitOut = out;
        splitErr = err;
        p.completion().whenCompleteAsync((result, error) -> {
            try {
                if (gen == generation) { // not after a hand-over: the partial lines went to the next version
                    out.flush();
                    err.flush();
                }
            } finally {
                synchronized (lock) {
                    ended(gen, result, error);
                }
                done.complete(null);
            }
        }, this::execute);
    }

    private void spawned(int gen, long pid) {
        synchronized (lock) {
            if (gen != generation || state != DaemonState.STARTING) {
                return;
            }
            planner.started(clock.nanoTime());
            startedAt = Instant.now();
            setState(DaemonState.RUNNING, null);
            log.info("started: pid {}{}", pid, program.helperPid().isPresent()
                    ? " (helper " + program.helperPid().getAsLong() + ")" : "");
            event(DaemonEvents.STARTED, Map.of());
            armReadiness(gen);
        }
    }

    /** Starts the readiness check of a RUNNING program. Under the lock. */
    private void armReadiness(int gen) {
        Readiness r = spec.readiness();
        switch (r.kind()) {
            case IMMEDIATE:
                ready(gen, null);
                return;
            case TCP_PORT:
                schedule(Duration.ZERO, () -> probePort(gen, r.port().getAsInt(), 0));
                break;
            case FILE:
                schedule(Duration.ZERO, () -> probeFile(gen, r.file().get(), 0));
                break;
            default:
                break; // LOG_LINE: matched in line()
        }
        readyTimer = schedule(r.timeout(), () -> readinessTimedOut(gen, r));
    }

    private void ready(int gen, String how) {
        synchronized (lock) {
            if (gen != generation || state != DaemonState.RUNNING) {
                return;
            }
            cancelReadiness();
            setState(DaemonState.READY, null);
            if (how != null) {
                log.info("ready ({})", how);
            }
            event(DaemonEvents.READY, Map.of());
        }
    }

    private void readinessTimedOut(int gen, Readiness r) {
        synchronized (lock) {
            if (gen != generation || state != DaemonState.RUNNING || program == null) {
                return;
            }
            readinessFailure = "readiness check (" + r + ") did not pass within " + RestartPlanner.fmt(r.timeout());
            log.warn("{}: stopping the program", readinessFailure);
            program.stop(spec.command().killSignal(), spec.command().grace());
        }
    }

    /** The program of generation {@code gen} ended (result) or could not be started (error). Under the lock. */
    private void ended(int gen, ProcessResult result, Throwable error) {
        if (gen != generation) {
            return;
        }
        cancelReadiness();
        long now = clock.nanoTime();
        boolean requested = state == DaemonState.STOPPING || closed;
        if (result != null) {
            doneStdout += result.stdoutBytes();
            doneStderr += result.stderrBytes();
            lastExit = new DaemonExit(result.pid(), result.exitCode(), result.signal(), Instant.now(),
                    result.oomKilled(), requested);
            Map<String, Object> props = new LinkedHashMap<>();
            props.put(DaemonEvents.PID, result.pid());
            props.put(DaemonEvents.EXIT_CODE, result.exitCode());
            result.signal().ifPresent(sig -> props.put(DaemonEvents.SIGNAL, sig.name()));
            event(DaemonEvents.EXITED, props);
            if (result.cgroupStats().isPresent()) {
                CgroupStats st = result.cgroupStats().get();
                // a fixed cgroup.path keeps its counters across restarts: only a rise is news
                long before = st.path().equals(oomPath) ? oomKills : 0;
                if (st.oomKills() > before) {
                    log.error("the OOM killer struck in its cgroup {} (memory.events oom_kill {} -> {})", st.path(),
                            before, st.oomKills());
                    event(DaemonEvents.OOM, Map.of(DaemonEvents.PID, result.pid(), "oom.kills", st.oomKills() - before));
                }
                oomPath = st.path();
                oomKills = st.oomKills();
            }
        } else if (program != null) {
            program.pid().ifPresent(pid -> lastExit = new DaemonExit(pid, -1, Optional.empty(), Instant.now(), false,
                    requested));
        }
        boolean hadPid = program != null && program.pid().isPresent();
        program = null;
        if (requested) {
            if (restartAfterStop && !closed) {
                restartAfterStop = false;
                log.info("{}; starting it again", result != null ? describe(result) : "stopped");
                restarts++;
                begin();
            } else {
                restartAfterStop = false;
                log.info("stopped{}", result != null ? " (" + describe(result) + ")" : "");
                setState(DaemonState.STOPPED, null);
                event(DaemonEvents.STOPPED, Map.of());
            }
            return;
        }
        if (engine.isClosed()) {
            setState(DaemonState.STOPPED, null);
            event(DaemonEvents.STOPPED, Map.of(DaemonEvents.REASON, "the engine was closed"));
            return;
        }
        Decision d;
        if (readinessFailure != null) {
            d = planner.failedStart(now, readinessFailure + " (" + (result != null ? describe(result) : "no result") + ")");
        } else if (result == null) {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            d = planner.failedStart(now, (hadPid ? "lost: " : "could not start: ")
                    + (cause == null ? "unknown error" : cause.getMessage()));
        } else {
            d = planner.ended(now, result.exitCode(), result.signal().isPresent());
            if (result.signal().isPresent()) {
                d = new Decision(d.action(), d.delay(), d.reason().replace("killed by a signal",
                        "killed by " + result.signal().get()));
            }
        }
        apply(d);
    }

    private void apply(Decision d) {
        switch (d.action()) {
            case RESTART: {
                log.warn("{}", d.reason());
                setState(DaemonState.BACKING_OFF, null);
                event(DaemonEvents.RESTARTING, Map.of(DaemonEvents.REASON, d.reason()));
                int gen = generation;
                if (d.delay().isZero()) {
                    backoffElapsed(gen); // no delay: relaunch now rather than through the timer and back
                } else {
                    backoffTimer = schedule(d.delay(), () -> execute(() -> backoffElapsed(gen)));
                }
                break;
            }
            case FAIL:
                log.error("FAILED: {}; it stays down until started by hand or reconfigured", d.reason());
                setState(DaemonState.FAILED, null);
                event(DaemonEvents.FAILED, Map.of(DaemonEvents.REASON, d.reason()));
                break;
            default:
                log.info("{}", d.reason());
                setState(DaemonState.STOPPED, null);
                event(DaemonEvents.STOPPED, Map.of(DaemonEvents.REASON, d.reason()));
        }
    }

    private void backoffElapsed(int gen) {
        synchronized (lock) {
            if (gen != generation || state != DaemonState.BACKING_OFF || closed) {
                return;
            }
            backoffTimer = null;
            restarts++;
            begin();
        }
    }

    private static String describe(ProcessResult r) {
        return r.signal().map(s -> "killed by " + s).orElse("exited with code " + r.exitCode());
    }

    // ------------------------------------------------------------------ output

    private void line(int gen, StreamKind stream, String text) {
        recent.add(stream, text);
        DaemonSpec s = spec;
        LogLevel level = stream == StreamKind.STDERR ? s.stderrLevel() : s.stdoutLevel();
        if (level != LogLevel.OFF) {
            String prefix = s.logPrefix() != null ? s.logPrefix() : "[" + name + "] ";
            logAt(level, prefix, text);
        }
        Readiness r = s.readiness();
        if (r.kind() == Readiness.Kind.LOG_LINE && state == DaemonState.RUNNING) {
            Pattern p = r.pattern().get();
            if (p.matcher(text).find()) {
                ready(gen, "log line matched /" + p.pattern() + "/");
            }
        }
    }

    private void logAt(LogLevel level, String prefix, String text) {
        switch (level) {
            case TRACE:
                if (log.isTraceEnabled()) {
                    log.trace("{}{}", prefix, text);
                }
                break;
            case DEBUG:
                if (log.isDebugEnabled()) {
                    log.debug("{}{}", prefix, text);
                }
                break;
            case INFO:
                log.info("{}{}", prefix, text);
                break;
            case WARN:
                log.warn("{}{}", prefix, text);
                break;
            case ERROR:
                log.error("{}{}", prefix, text);
                break;
            default:
                break;
        }
    }

    // ------------------------------------------------------------------ readiness probes (IO thread)

    private static final InetAddress LOOPBACK;

    static {
        try {
            LOOPBACK = InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Lock-free (IO thread): whether the check of program generation {@code gen} is still wanted. */
    private boolean probing(int gen) {
        return gen == generation && state == DaemonState.RUNNING;
    }

    private void probePort(int gen, int port, int attempt) {
        if (!probing(gen)) {
            return;
        }
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            if (ch.connect(new InetSocketAddress(LOOPBACK, port))) {
                close(ch);
                ready(gen, "127.0.0.1:" + port + " accepts connections");
                return;
            }
            SocketChannel pending = ch;
            schedule(Duration.ofMillis(2), () -> finishPort(gen, port, attempt, pending, 0));
        } catch (IOException e) {
            close(ch);
            nextPortProbe(gen, port, attempt);
        }
    }

    private void finishPort(int gen, int port, int attempt, SocketChannel ch, int checks) {
        if (!probing(gen)) {
            close(ch);
            return;
        }
        try {
            if (ch.finishConnect()) {
                close(ch);
                ready(gen, "127.0.0.1:" + port + " accepts connections");
                return;
            }
            if (checks < 5) {
                schedule(Duration.ofMillis(5L << checks), () -> finishPort(gen, port, attempt, ch, checks + 1));
                return;
            }
        } catch (IOException e) {
            // refused: not listening yet
        }
        close(ch);
        nextPortProbe(gen, port, attempt);
    }

    private void nextPortProbe(int gen, int port, int attempt) {
        long ms = Math.min(500, 10L << Math.min(attempt, 6));
        schedule(Duration.ofMillis(ms), () -> probePort(gen, port, attempt + 1));
    }

    private void probeFile(int gen, Path file, int attempt) {
        if (!probing(gen)) {
            return;
        }
        if (Files.exists(file)) {
            ready(gen, file + " exists");
            return;
        }
        long ms = Math.min(250, 10L << Math.min(attempt, 5));
        schedule(Duration.ofMillis(ms), () -> probeFile(gen, file, attempt + 1));
    }

    private static void close(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    // ------------------------------------------------------------------ plumbing

    private void setState(DaemonState s, String why) {
        if (why != null) {
            log.info("{}", why);
        }
        state = s;
        lock.notifyAll();
        execute(() -> {
            for (DaemonListener l : listeners) {
                try {
                    l.stateChanged(this, s);
                } catch (RuntimeException e) {
                    log.warn("daemon listener {} failed", l, e);
                }
            }
            if (registry != null) {
                registry.changed();
            }
        });
    }

    /** Queues an event for the listeners (in order, on the delivery thread). Under the lock. */
    private void event(String topic, Map<String, Object> extra) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put(DaemonEvents.NAME, name);
        if (program != null) {
            program.pid().ifPresent(p -> props.put(DaemonEvents.PID, p));
            program.helperPid().ifPresent(p -> props.put(DaemonEvents.HELPER_PID, p));
        }
        props.put(DaemonEvents.RESTARTS, restarts);
        props.putAll(extra);
        Map<String, Object> frozen = Map.copyOf(props);
        execute(() -> {
            for (DaemonListener l : listeners) {
                try {
                    l.event(this, topic, frozen);
                } catch (RuntimeException e) {
                    log.warn("daemon listener {} failed on {}", l, topic, e);
                }
            }
            if (registry != null) {
                registry.event(this, topic, frozen);
            }
        });
    }

    private void execute(Runnable task) {
        try {
            deliver.execute(task);
        } catch (RejectedExecutionException e) {
            task.run(); // the engine is shutting down: run it here rather than lose a state change
        }
    }

    private Timers.Timer schedule(Duration delay, Runnable task) {
        try {
            return timers.schedule(delay, task);
        } catch (RuntimeException e) {
            log.debug("cannot schedule a timer (engine closed?): {}", e.toString());
            return () -> false;
        }
    }

    private void cancelBackoff() {
        if (backoffTimer != null) {
            backoffTimer.cancel();
            backoffTimer = null;
        }
    }

    private void cancelReadiness() {
        if (readyTimer != null) {
            readyTimer.cancel();
            readyTimer = null;
        }
    }

    @Override
    public String toString() {
        return "Daemon[" + name + ", " + state.name().toLowerCase(Locale.ROOT) + "]";
    }
}
