package org.corral.supervisor.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.api.ProcessService;
import org.corral.supervisor.internal.engine.Engine;
import org.corral.supervisor.internal.daemon.SupervisedDaemon;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.internal.engine.StopAll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ProcessService} for one owner (a consumer bundle, or a plain-Java {@code Corral} instance): every
 * program and daemon started through it is tracked and stopped by {@link #close()}.
 */
public final class ProcessServiceImpl implements ProcessService, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessServiceImpl.class);
    /** Extra time, beyond the grace, that an interrupted caller waits for the program's end. */
    static final Duration STOP_MARGIN = Duration.ofSeconds(2);

    private final Engine engine;
    private final DaemonStarter daemons;
    private final String owner;
    private final Set<RunningProgram> programs = ConcurrentHashMap.newKeySet();
    private final Set<Daemon> ownedDaemons = ConcurrentHashMap.newKeySet();
    private final Executor deliver;
    private final RunCounts runs;
    private volatile boolean closed;

    /**
     * @param engine the engine programs run on (not owned: closing this service does not close it)
     * @param daemons how daemons are started
     * @param owner who owns this instance (for messages), e.g. a bundle's symbolic name
     */
    public ProcessServiceImpl(Engine engine, DaemonStarter daemons, String owner) {
        this(engine, daemons, owner, new RunCounts());
    }

    /**
     * @param runs where the one-shot runs of this instance are counted (shared by every instance on the engine)
     */
    public ProcessServiceImpl(Engine engine, DaemonStarter daemons, String owner, RunCounts runs) {
        this.engine = engine;
        this.runs = runs;
        this.daemons = daemons;
        this.owner = owner;
        Executor d = engine.deliverExecutor();
        this.deliver = r -> {
            try {
                d.execute(r);
            } catch (RejectedExecutionException e) {
                r.run();
            }
        };
    }

    private void ensureOpen() {
        if (closed) {
            throw new ProcessException("this ProcessService (owner " + owner + ") was released; get the service again");
        }
    }

    private RunningProgram launch(CommandSpec spec) {
        ensureOpen();
        RunningProgram p;
        try {
            p = engine.launch(EnvFile.apply(spec)); // env.file: read at every start
        } catch (RuntimeException e) {
            runs.refused();
            throw e;
        }
        programs.add(p);
        p.completion().whenComplete((r, x) -> {
            programs.remove(p);
            runs.record(r, x);
        });
        if (closed) {
            p.stop();
        }
        return p;
    }

    @Override
    public ProcessResult run(CommandSpec spec) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before " + spec + " was started");
        }
        if (engine.onDeliverThread()) {
            throw new ProcessException("run(" + spec + ") was called from an output consumer: it would wait for the "
                    + "thread it runs on; use runAsync() there");
        }
        RunningProgram p = launch(spec);
        try {
            return p.completion().get();
        } catch (InterruptedException e) {
            p.stop();
            awaitUninterruptibly(p, p.spec().grace().plus(STOP_MARGIN));
            Thread.currentThread().interrupt();
            InterruptedException ie = new InterruptedException("interrupted while running " + spec
                    + "; the program and its descendants were stopped");
            ie.initCause(e);
            throw ie;
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    /** Waits for the end of {@code p}, bounded; returns whether the thread was interrupted meanwhile. */
    private static boolean awaitUninterruptibly(RunningProgram p, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        boolean interrupted = false;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.warn("{} did not end within {} after it was stopped", p, bound);
                return interrupted;
            }
            try {
                p.completion().get(left, TimeUnit.NANOSECONDS);
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | TimeoutException | CancellationException e) {
                return interrupted;
            }
        }
    }

    static RuntimeException unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        return new ProcessException(String.valueOf(t.getMessage()), t);
    }

    @Override
    public CompletableFuture<ProcessResult> runAsync(CommandSpec spec) {
        RunningProgram p;
        try {
            p = launch(spec);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<ProcessResult> f = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean c = super.cancel(mayInterruptIfRunning);
                if (c) {
                    p.stop();
                }
                return c;
            }
        };
        p.completion().whenCompleteAsync((r, x) -> {
            if (x != null) {
                f.completeExceptionally(unwrap(x));
            } else {
                f.complete(r);
            }
        }, deliver);
        return f;
    }

    @Override
    public Daemon start(DaemonSpec spec) {
        ensureOpen();
        Daemon d = daemons.start(spec);
        ownedDaemons.add(d);
        if (closed) {
            stopQuietly(d);
        }
        return d;
    }

    @Override
    public Containment containment() {
        return engine.containment();
    }

    /** Programs started through this instance that have not ended. */
    public int activeCount() {
        return programs.size();
    }

    /**
     * Stops every program and daemon this owner started (kill signal, grace, SIGKILL) and waits for them,
     * bounded by the longest grace plus a margin. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // programs and daemons all at once: N of them cost the longest grace, not the sum
        List<Object> all = new ArrayList<>(programs);
        all.addAll(ownedDaemons);
        List<Object> left = StopAll.stopAndAwait(all, this::stopAsync, this::grace, STOP_MARGIN);
        for (Object o : left) {
            LOG.warn("{} of {} did not end within its grace plus {} after it was stopped", o, owner, STOP_MARGIN);
        }
    }

    private CompletableFuture<?> stopAsync(Object o) {
        if (o instanceof RunningProgram) {
            return ((RunningProgram) o).stop();
        }
        Daemon d = (Daemon) o;
        ownedDaemons.remove(d);
        if (d instanceof SupervisedDaemon) {
            return ((SupervisedDaemon) d).stopAsync();
        }
        stopQuietly(d); // another implementation: only a blocking stop
        return CompletableFuture.completedFuture(null);
    }

    private Duration grace(Object o) {
        return o instanceof RunningProgram ? ((RunningProgram) o).spec().grace() : ((Daemon) o).spec().command().grace();
    }

    private void stopQuietly(Daemon d) {
        try {
            d.stop();
        } catch (RuntimeException e) {
            LOG.warn("stopping daemon {} of {} failed", d.name(), owner, e);
        }
        ownedDaemons.remove(d);
    }

    @Override
    public String toString() {
        return "ProcessService[owner=" + owner + "]";
    }
}
