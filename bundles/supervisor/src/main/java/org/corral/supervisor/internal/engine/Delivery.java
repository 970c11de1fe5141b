package org.corral.supervisor.internal.engine;

import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads of an engine that run everything but IO and timers: a small fixed pool for delivery
 * ({@code corral-deliver-1..N}) and one control thread ({@code corral-control}). A constant number of threads,
 * whatever the number of programs.
 *
 * <h2>Lanes</h2>
 * Work that must stay in order (one program's output, one daemon's listener calls) goes into a {@link Lane}: a
 * serial queue that runs its tasks one at a time, in order, on whichever pool thread is free. A lane takes
 * <em>turns</em>: it runs at most {@link #TURN_TASKS} tasks that were queued when its turn began, then goes to
 * the back of the pool's queue if it has more. Long work yields by queueing its continuation on its own lane
 * (a connection delivers at most {@link Conn#TURN_BYTES} of output per turn, then queues the rest). So a busy
 * lane shares the threads round-robin with every other lane instead of holding one until it is done: with
 * {@code F} lanes flooding and {@code N} threads, a quiet lane's task waits at most about {@code ceil(F / N)}
 * turns (see {@code docs/architecture.md}).
 *
 * <h2>Control</h2>
 * The control thread runs the daemons' state changes that timers, program ends and dependency changes
 * cause (relaunch after a back-off, the end of a program): never output, never a user callback. So a
 * readiness timeout, a restart or a stop is never queued behind delivery work.
 *
 * <h2>Errors</h2>
 * A task that throws, {@link Error}s such as {@link OutOfMemoryError} included, is logged (when logging itself
 * can still allocate) and the thread and the lane go on with the next task: no thread Corral depends on dies
 * of a callback, and a lane never stays blocked because one of its tasks failed. Whatever the failed task
 * held becomes garbage as its stack unwinds; nothing is retried.
 */
public final class Delivery {

    private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);

    /** Threads of the delivery pool unless configured. */
    public static final int DEFAULT_THREADS = 2;
    /** The system/framework property that sets them (1 to 16). */
    public static final String THREADS_PROPERTY = "org.corral.deliver.threads";
    /** Most tasks a lane runs in one turn. */
    static final int TURN_TASKS = 32;

    private final ThreadPoolExecutor pool;
    private final ThreadPoolExecutor control;
    private final Set<Thread> poolThreads = ConcurrentHashMap.newKeySet();
    private volatile Thread controlThread;
    private final Executor unordered;

    /** @param threads delivery threads, 1 to 16 */
    public Delivery(int threads) {
        if (threads < 1 || threads > 16) {
            throw new IllegalArgumentException("delivery threads must be 1 to 16, got " + threads);
        }
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(() -> {
                try {
                    r.run();
                } finally {
                    poolThreads.remove(Thread.currentThread());
                }
            }, "corral-deliver-" + n.incrementAndGet());
            t.setDaemon(true);
            poolThreads.add(t);
            return t;
        });
        this.control = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "corral-control");
            t.setDaemon(true);
            controlThread = t;
            return t;
        });
        this.unordered = task -> pool.execute(() -> runGuarded(task, "a delivery task"));
    }

    /** The number of delivery threads from {@link #THREADS_PROPERTY} ({@code value} may be null: the default). */
    public static int threads(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_THREADS;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= 16) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        LOG.error("corral: {} = '{}' is not a number from 1 to 16; using {}", THREADS_PROPERTY, value, DEFAULT_THREADS);
        return DEFAULT_THREADS;
    }

    /** A new serial queue on the pool; {@code name} is for messages (the program or daemon it serves). */
    public Lane lane(String name) {
        return new Lane(name);
    }

    /** Runs tasks on the pool in no particular order (completing futures, one-off work). */
    public Executor unordered() {
        return unordered;
    }

    /** The control thread, serial. */
    public Executor control() {
        return task -> control.execute(() -> runGuarded(task, "a control task"));
    }

    /** Whether the calling thread is one of the delivery threads. */
    public boolean onDeliveryThread() {
        return poolThreads.contains(Thread.currentThread());
    }

    /** Whether the calling thread is the control thread. */
    public boolean onControlThread() {
        return Thread.currentThread() == controlThread;
    }

    /**
     * Lets queued work finish (bounded), then stops the threads. Work queued afterwards runs on the caller's
     * thread (a lane) or is refused ({@link #unordered()}, {@link #control()}).
     */
    public void shutdown(long millis) {
        control.shutdown();
        pool.shutdown();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            control.awaitTermination(millis, TimeUnit.MILLISECONDS);
            pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs {@code task}; whatever it throws is logged (if logging still works) and goes no further. */
    static void runGuarded(Runnable task, Object what) {
        try {
            task.run();
        } catch (Throwable t) {
            failed(what, t);
        }
    }

    /**
     * Reports a task that threw. After an {@link OutOfMemoryError} the log call may fail in turn (it allocates):
     * that second failure is dropped, since the thread must survive and there is nothing else to do safely.
     */
    static void failed(Object what, Throwable t) {
        try {
            if (t instanceof VirtualMachineError) {
                LOG.error("corral: {} failed with {}; the thread goes on with the next task", what, t.toString(), t);
            } else {
                LOG.error("corral: {} failed", what, t);
            }
        } catch (Throwable again) {
            // out of memory even for the message: keep the thread alive, say nothing
        }
    }

    /**
     * A serial queue of tasks on the pool: they run one at a time, in the order they were queued, each to its
     * end; a lane takes turns with the other lanes (see {@link Delivery}). Thread-safe.
     */
    public final class Lane implements Executor {
        private final String name;
        private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
        /** Whether a turn is queued on the pool or running (guarded by this). */
        private boolean scheduled;

        private Lane(String name) {
            this.name = name;
        }

        /**
         * Queues {@code task} behind the lane's other tasks. Never blocks and never refuses: once the pool is shut
         * down, the lane's tasks run on the calling thread (in order, as before).
         */
        @Override
        public void execute(Runnable task) {
            boolean start;
            synchronized (this) {
                tasks.add(task);
                start = !scheduled;
                scheduled = true;
            }
            if (start) {
                schedule();
            }
        }

        private void schedule() {
            try {
                pool.execute(this::turn);
            } catch (RejectedExecutionException e) {
                drainHere(); // shut down: the one who scheduled is the lane's only runner, so order holds
            }
        }

        private void drainHere() {
            while (true) {
                Runnable r;
                synchronized (this) {
                    r = tasks.poll();
                    if (r == null) {
                        scheduled = false;
                        return;
                    }
                }
                runGuarded(r, this);
            }
        }

        /** One turn: the tasks queued when it began (at most {@link #TURN_TASKS}), then back in the queue if more. */
        private void turn() {
            int n;
            synchronized (this) {
                n = Math.min(tasks.size(), TURN_TASKS);
            }
            for (int i = 0; i < n; i++) {
                Runnable r;
                synchronized (this) {
                    r = tasks.poll();
                }
                runGuarded(r, this);
            }
            boolean more;
            synchronized (this) {
                more = !tasks.isEmpty();
                scheduled = more;
            }
            if (more) {
                schedule();
            }
        }

        @Override
        public String toString() {
            return "delivery of " + name;
        }
    }
}
