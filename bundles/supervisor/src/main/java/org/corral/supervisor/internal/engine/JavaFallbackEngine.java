package org.corral.supervisor.internal.engine;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.InvalidCommandException;
import org.corral.api.OutputConsumer;
import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.api.StderrMode;
import org.corral.api.StdoutMode;
import org.corral.api.Stdin;
import org.corral.api.StreamKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine for platforms without a native helper: plain {@link ProcessBuilder}. Same contract, weaker
 * guarantees (see {@link #LIMITATIONS}); it logs one warning when created.
 */
public final class JavaFallbackEngine implements Engine {

    private static final Logger LOG = LoggerFactory.getLogger(JavaFallbackEngine.class);

    private static boolean knownSignal(int signo) {
        try {
            Signal.of(signo);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** What does not hold in fallback mode, as sentences. */
    public static final List<String> LIMITATIONS = List.of(
            "No native helper exists for this platform: programs run through java.lang.ProcessBuilder.",
            "Descendants that leave the program's process tree (double fork, setsid) are not killed.",
            "If the JVM is killed (kill -9), its programs keep running.",
            "No cgroup limits or statistics; no user/group switching; no arg0.",
            "Signals other than SIGTERM and SIGKILL are sent with /bin/kill.",
            "Output is read by two threads per running program (no flow-control window beyond the pipe).");

    /** How long close() waits for the programs beyond the longest grace. */
    private static final Duration CLOSE_MARGIN = Duration.ofSeconds(5);

    private final EngineConfig cfg;
    private final ScheduledExecutorService timerExec;
    private final Delivery delivery;
    private final ExecutorService pumps;
    private final Set<FallbackProgram> live = ConcurrentHashMap.newKeySet();
    private final Timers timers;
    private volatile boolean closed;

    public JavaFallbackEngine(EngineConfig cfg, String why) {
        this.cfg = cfg;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "corral-io"));
        t.setRemoveOnCancelPolicy(true);
        this.timerExec = t;
        this.delivery = new Delivery(cfg.deliveryThreads());
        AtomicInteger n = new AtomicInteger();
        this.pumps = Executors.newCachedThreadPool(r -> daemon(r, "corral-pump-" + n.incrementAndGet()));
        this.timers = (delay, task) -> {
            ScheduledFuture<?> f = timerExec.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        };
        LOG.warn("Corral runs WITHOUT its native helper ({}): programs run through ProcessBuilder; descendants can "
                + "escape, a killed JVM leaves its programs running, and there are no cgroup limits or user switching",
                why);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void validate(CommandSpec spec) {
        check(spec);
    }

    private ResolvedCommand check(CommandSpec spec) {
        ResolvedCommand rc = cfg.resolver().resolve(spec);
        if (spec.user().isPresent() || spec.group().isPresent() || spec.supplementaryGroups().isPresent()) {
            throw new InvalidCommandException("user/group switching needs the native helper, which is not available "
                    + "on this platform (" + System.getProperty("os.arch") + ")");
        }
        if (spec.arg0().isPresent()) {
            throw new InvalidCommandException("arg0 needs the native helper, which is not available on this platform");
        }
        if (spec.usesCgroup()) {
            throw new InvalidCommandException("cgroup options need the native helper, which is not available on this "
                    + "platform");
        }
        if (spec.usesHardening()) {
            throw new InvalidCommandException(CommandResolver.hardeningKeys(spec) + " need the native helper, which is"
                    + " not available on this platform");
        }
        return rc;
    }

    @Override
    public RunningProgram launch(CommandSpec spec, OutputConsumer consumer) {
        if (closed) {
            throw new ProcessException("the Corral engine is closed");
        }
        ResolvedCommand rc = check(spec);
        List<String> cmd = new ArrayList<>(rc.argv());
        cmd.set(0, rc.executable().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(rc.env());
        if (rc.directory() != null) {
            pb.directory(rc.directory().toFile());
        }
        switch (spec.stdin().kind()) {
            case FILE:
                pb.redirectInput(rc.stdinFile().toFile());
                break;
            case BYTES:
                if (spec.stdin().length() > 0) {
                    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
                    break;
                }
                pb.redirectInput(new File("/dev/null"));
                break;
            default:
                pb.redirectInput(new File("/dev/null"));
        }
        if (spec.stderrMode() == StderrMode.MERGE) {
            pb.redirectErrorStream(true);
        } else if (spec.stderrMode() == StderrMode.DISCARD) {
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        if (spec.stdoutMode() == StdoutMode.DISCARD) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        FallbackProgram p = new FallbackProgram(rc, consumer);
        Process proc;
        try {
            proc = pb.start();
        } catch (IOException e) {
            throw new ProcessException("cannot start " + rc.executable() + ": " + e.getMessage(), e);
        }
        p.begin(proc);
        return p;
    }

    @Override
    public Timers timers() {
        return timers;
    }

    @Override
    public Executor deliverExecutor() {
        return delivery.unordered();
    }

    @Override
    public Executor newLane(String name) {
        return delivery.lane(name);
    }

    @Override
    public Executor controlExecutor() {
        return delivery.control();
    }

    @Override
    public boolean onDeliverThread() {
        return delivery.onDeliveryThread();
    }

    @Override
    public Containment containment() {
        return new Containment(Containment.Mode.JAVA_FALLBACK, Optional.empty(), System.getProperty("os.arch", "?"),
                Optional.empty(), LIMITATIONS);
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        StopAll.stopAndAwait(live, RunningProgram::stop, p -> p.spec().grace(), CLOSE_MARGIN);
        timerExec.shutdownNow();
        pumps.shutdownNow();
        delivery.shutdown(5000);
    }

    /** A program run by ProcessBuilder. */
    private final class FallbackProgram extends ProgramBase {
        private volatile Process proc;
        private volatile boolean killed;
        private volatile Timers.Timer timeout;
        private volatile Timers.Timer forceKill;

        FallbackProgram(ResolvedCommand rc, OutputConsumer consumer) {
            super(rc, consumer);
        }

        void begin(Process p) {
            this.proc = p;
            live.add(this);
            started().complete(p.pid());
            CommandSpec spec = cmd.spec();
            if (spec.stdin().kind() == Stdin.Kind.BYTES && spec.stdin().length() > 0) {
                byte[] bytes = spec.stdin().bytes().orElseThrow();
                pumps.execute(() -> {
                    try (OutputStream os = p.getOutputStream()) {
                        os.write(bytes);
                    } catch (IOException ignored) {
                        // the program closed its stdin
                    }
                });
            } else {
                try {
                    p.getOutputStream().close();
                } catch (IOException ignored) {
                    // nothing
                }
            }
            CompletableFuture<Void> o = pump(p.getInputStream(), StreamKind.STDOUT);
            CompletableFuture<Void> e = spec.stderrMode() == StderrMode.SEPARATE
                    ? pump(p.getErrorStream(), StreamKind.STDERR) : CompletableFuture.completedFuture(null);
            spec.timeout().ifPresent(t -> timeout = timers.schedule(t, () -> {
                markTimedOut();
                stop();
            }));
            CompletableFuture.allOf(o, e, p.onExit()).whenComplete((v, x) -> finish());
        }

        private CompletableFuture<Void> pump(InputStream in, StreamKind kind) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            pumps.execute(() -> {
                byte[] buf = new byte[64 * 1024];
                ByteBuffer wrap = ByteBuffer.wrap(buf);
                try (in) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        if (n == 0) {
                            continue;
                        }
                        synchronized (this) { // the two streams' pumps take turns
                            output(kind, wrap, 0, n, wrap.clear().limit(n).asReadOnlyBuffer());
                        }
                    }
                } catch (IOException ignored) {
                    // stream closed
                } finally {
                    done.complete(null);
                }
            });
            return done;
        }

        private void finish() {
            if (!end()) {
                return;
            }
            live.remove(this);
            cancel(timeout);
            cancel(forceKill);
            Process p = proc;
            int v = p.exitValue();
            // ProcessBuilder reports a death by signal as 128 + the signal
            boolean signaled = v > 128 && v < 128 + 65 && knownSignal(v - 128);
            ProcessResult result;
            synchronized (this) { // after the last pump's output
                result = result(p.pid(), signaled, signaled ? v - 128 : v, killed).build();
            }
            completion().complete(result);
        }

        private void cancel(Timers.Timer t) {
            if (t != null) {
                t.cancel();
            }
        }

        @Override
        public void signal(Signal signal) {
            Process p = proc;
            if (p == null || !p.isAlive()) {
                return;
            }
            send(p.toHandle(), signal);
        }

        @Override
        public void signalGroup(Signal signal) {
            Process p = proc;
            if (p == null || !p.isAlive()) {
                return;
            }
            p.descendants().forEach(h -> send(h, signal));
            send(p.toHandle(), signal);
        }

        private void send(ProcessHandle h, Signal s) {
            if (s == Signal.TERM) {
                h.destroy();
            } else if (s == Signal.KILL) {
                h.destroyForcibly();
            } else {
                try {
                    new ProcessBuilder("kill", "-s", s.name(), Long.toString(h.pid()))
                            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                } catch (IOException e) {
                    LOG.warn("cannot send {} to {}: {}", s, h.pid(), e.getMessage());
                }
            }
        }

        @Override
        public CompletableFuture<ProcessResult> stop(Signal signal, Duration grace) {
            Process p = proc;
            if (p == null || isDone()) {
                return completion();
            }
            killed = true;
            List<ProcessHandle> tree = new ArrayList<>();
            p.descendants().forEach(tree::add);
            tree.add(p.toHandle());
            for (ProcessHandle h : tree) {
                send(h, signal);
            }
            Runnable force = () -> {
                for (ProcessHandle h : tree) {
                    h.destroyForcibly();
                }
                p.descendants().forEach(ProcessHandle::destroyForcibly);
            };
            if (grace.isZero()) {
                force.run();
            } else {
                forceKill = timers.schedule(grace, force);
            }
            return completion();
        }

        @Override
        public OptionalLong helperPid() {
            return OptionalLong.empty();
        }

        @Override
        public OptionalLong pid() {
            Process p = proc;
            return p == null ? OptionalLong.empty() : OptionalLong.of(p.pid());
        }

        @Override
        public Optional<String> cgroupPath() {
            return Optional.empty();
        }

    }
}
