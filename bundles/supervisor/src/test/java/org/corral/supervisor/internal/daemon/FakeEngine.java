package org.corral.supervisor.internal.daemon;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.HelperLostException;
import org.corral.api.OutputConsumer;
import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.api.StreamKind;
import org.corral.supervisor.internal.engine.Engine;
import org.corral.supervisor.internal.engine.NotifySocket;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.internal.engine.Timers;

/**
 * An engine without processes for state-machine tests: a fake clock with manually advanced timers (run on
 * the test thread, as the IO thread would), a real single delivery thread, and programs whose spawn, output
 * and exit the test drives.
 */
final class FakeEngine implements Engine {

    private final ExecutorService deliver = Executors.newSingleThreadExecutor(r -> new Thread(r, "fake-deliver"));
    private final PriorityQueue<Task> tasks = new PriorityQueue<>();
    private final List<FakeProgram> launched = new ArrayList<>();
    private long now = 1_000_000_000L;
    private long seq;
    private long nextPid = 1000;
    private boolean closed;
    volatile RuntimeException failLaunch;
    volatile Consumer<CommandSpec> validator = s -> { };

    final NanoClock clock = () -> {
        synchronized (this) {
            return now;
        }
    };

    private final class Task implements Comparable<Task>, Timers.Timer {
        final long due;
        final long order = seq++;
        final Runnable r;
        boolean cancelled;

        Task(long due, Runnable r) {
            this.due = due;
            this.r = r;
        }

        @Override
        public int compareTo(Task o) {
            return due != o.due ? Long.compare(due, o.due) : Long.compare(order, o.order);
        }

        @Override
        public boolean cancel() {
            synchronized (FakeEngine.this) {
                boolean was = !cancelled && tasks.remove(this);
                cancelled = true;
                return was;
            }
        }
    }

    /** Advances the clock, running every timer that falls due (in due order), then lets delivery settle. */
    void advance(Duration d) {
        long target;
        synchronized (this) {
            target = now + d.toNanos();
        }
        while (true) {
            Task t;
            synchronized (this) {
                t = tasks.peek();
                if (t == null || t.due > target) {
                    now = target;
                    break;
                }
                tasks.poll();
                now = Math.max(now, t.due);
            }
            t.r.run();
            flush();
        }
        flush();
    }

    /** Waits until the delivery thread ran everything queued so far (repeatedly, until it is quiet). */
    void flush() {
        for (int i = 0; i < 5; i++) {
            try {
                deliver.submit(() -> { }).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("delivery thread stuck", e);
            }
        }
    }

    synchronized int pendingTimers() {
        return tasks.size();
    }

    synchronized List<FakeProgram> launched() {
        return new ArrayList<>(launched);
    }

    synchronized FakeProgram last() {
        return launched.isEmpty() ? null : launched.get(launched.size() - 1);
    }

    @Override
    public void validate(CommandSpec spec) {
        validator.accept(spec);
    }

    @Override
    public boolean supportsNotify() {
        return true;
    }

    @Override
    public RunningProgram launch(CommandSpec spec, OutputConsumer consumer, NotifySocket notify) {
        FakeProgram p = (FakeProgram) launch(spec, consumer);
        p.notify = notify;
        return p;
    }

    @Override
    public RunningProgram launch(CommandSpec spec, OutputConsumer consumer) {
        RuntimeException f = failLaunch;
        if (f != null) {
            throw f;
        }
        synchronized (this) {
            FakeProgram p = new FakeProgram(spec, consumer, nextPid++);
            launched.add(p);
            return p;
        }
    }

    @Override
    public Timers timers() {
        return (delay, task) -> {
            synchronized (FakeEngine.this) {
                Task t = new Task(now + Math.max(0, delay.toNanos()), task);
                tasks.add(t);
                return t;
            }
        };
    }

    @Override
    public Executor deliverExecutor() {
        return deliver;
    }

    /** One delivery thread: every lane and the control work share it, in order. */
    @Override
    public Executor newLane(String name) {
        return deliver;
    }

    @Override
    public Executor controlExecutor() {
        return deliver;
    }

    @Override
    public Containment containment() {
        return new Containment(Containment.Mode.HELPER, Optional.empty(), "fake", Optional.empty(), List.of());
    }

    @Override
    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        deliver.shutdown();
    }

    /** A program the test drives. Output and exit are delivered on the delivery thread, as the engine does. */
    final class FakeProgram implements RunningProgram {
        final CommandSpec spec;
        final OutputConsumer consumer;
        /** The sd_notify socket it was launched with, or null. */
        volatile NotifySocket notify;
        final long pid;
        final CompletableFuture<Long> started = new CompletableFuture<>();
        final CompletableFuture<ProcessResult> completion = new CompletableFuture<>();
        final List<Signal> signals = new ArrayList<>();
        volatile Signal stopSignal;
        volatile Duration stopGrace;
        volatile boolean exitOnStop = true;
        long out;
        long err;

        FakeProgram(CommandSpec spec, OutputConsumer consumer, long pid) {
            this.spec = spec;
            this.consumer = consumer;
            this.pid = pid;
        }

        void spawn() {
            started.complete(pid);
            flush();
        }

        void failSpawn(String why) {
            ProcessException e = new ProcessException(why);
            started.completeExceptionally(e);
            completion.completeExceptionally(e);
            flush();
        }

        private void failSpawnQuietly(String why) {
            ProcessException e = new ProcessException(why);
            started.completeExceptionally(e);
            completion.completeExceptionally(e);
        }

        /** The program (or {@code sender}) sends {@code text} to its sd_notify socket: delivered on the delivery thread. */
        void notify(String text) {
            notify(pid, text);
        }

        void notify(long sender, String text) {
            NotifySocket n = notify;
            if (n == null) {
                throw new AssertionError("launched without a notify socket");
            }
            try {
                deliver.submit(() -> n.listener().datagram(sender, text.getBytes(StandardCharsets.UTF_8)))
                        .get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        void print(StreamKind stream, String text) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            try {
                deliver.submit(() -> {
                    if (stream == StreamKind.STDOUT) {
                        out += b.length;
                    } else {
                        err += b.length;
                    }
                    consumer.accept(stream, ByteBuffer.wrap(b).asReadOnlyBuffer());
                }).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        void exit(int code) {
            finish(ProcessResult.builder().pid(pid).exitCode(code), null);
        }

        void killedBy(Signal s) {
            finish(ProcessResult.builder().pid(pid).signal(s), null);
        }

        /** Ends as the engine ends a program at its timeout: killed by {@code s}, timed out. */
        void timedOut(Signal s) {
            finish(ProcessResult.builder().pid(pid).signal(s).killed(true).timedOut(true), null);
        }

        void oomKilled() {
            oomKills(1);
        }

        /** Ends killed by SIGKILL with memory.events oom_kill = {@code count} in cgroup corral/x. */
        void oomKills(long count) {
            CgroupStats stats = new CgroupStats("corral/x", Map.of("memory.events",
                    new CgroupValue.FlatKeyed("oom_kill " + count, Map.of("oom_kill", count))));
            finish(ProcessResult.builder().pid(pid).signal(Signal.KILL).cgroupStats(stats), null);
        }

        /** The helper died without reporting the exit: completion fails with a {@link HelperLostException}. */
        void helperLost(CgroupStats stats) {
            HelperLostException e = new HelperLostException("helper pid " + (pid + 100_000) + " died: SIGKILL",
                    pid + 100_000, pid, stats);
            deliver.execute(() -> completion.completeExceptionally(e));
            flush();
        }

        private void finish(ProcessResult.Builder b, Throwable t) {
            deliver.execute(() -> completion.complete(b.stdoutBytes(out).stderrBytes(err).build()));
            flush();
        }

        boolean stopRequested() {
            return stopSignal != null;
        }

        @Override
        public CommandSpec spec() {
            return spec;
        }

        @Override
        public CompletableFuture<Long> started() {
            return started;
        }

        @Override
        public CompletableFuture<ProcessResult> completion() {
            return completion;
        }

        @Override
        public void signal(Signal signal) {
            signals.add(signal);
        }

        @Override
        public void signalGroup(Signal signal) {
            signals.add(signal);
        }

        @Override
        public CompletableFuture<ProcessResult> stop(Signal signal, Duration grace) {
            if (stopSignal == null) {
                stopSignal = signal;
                stopGrace = grace;
                if (exitOnStop) {
                    if (!started.isDone()) {
                        failSpawnQuietly("stopped before it started");
                    } else {
                        deliver.execute(() -> completion.complete(ProcessResult.builder().pid(pid).signal(signal)
                                .killed(true).stdoutBytes(out).stderrBytes(err).build()));
                    }
                }
            }
            return completion;
        }

        @Override
        public OptionalLong helperPid() {
            return started.isDone() ? OptionalLong.of(pid + 100_000) : OptionalLong.empty();
        }

        @Override
        public OptionalLong pid() {
            return started.isDone() && !started.isCompletedExceptionally() ? OptionalLong.of(pid) : OptionalLong.empty();
        }

        @Override
        public Optional<String> cgroupPath() {
            return Optional.empty();
        }

        @Override
        public long stdoutBytes() {
            return out;
        }

        @Override
        public long stderrBytes() {
            return err;
        }

        @Override
        public boolean isDone() {
            return completion.isDone();
        }
    }
}
