package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IO thread: one {@link Selector} for every connection, a task queue for work handed over from other
 * threads, and a timer heap checked on every wake-up (the select timeout is the next deadline: no polling).
 */
final class IoLoop implements Timers, Executor {

    private static final Logger LOG = LoggerFactory.getLogger(IoLoop.class);

    /** What a selection key's attachment does when its channel is ready. */
    interface Handler {
        void ready(SelectionKey key);
    }

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<TimerTask> timers = new PriorityQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private volatile boolean stopping;
    private long timerSeq;

    IoLoop(String name) throws IOException {
        this.selector = Selector.open();
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    Selector selector() {
        return selector;
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    Thread thread() {
        return thread;
    }

    /** Runs {@code task} on the IO thread (at once when called from it). */
    @Override
    public void execute(Runnable task) {
        if (inLoop()) {
            runSafely(task);
            return;
        }
        tasks.add(task);
        wakeup();
    }

    /** Runs {@code task} on the IO thread later, after the current event (also when called from it). */
    void later(Runnable task) {
        tasks.add(task);
        if (!inLoop()) {
            wakeup();
        }
    }

    private void wakeup() {
        if (wakeupPending.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    @Override
    public Timer schedule(Duration delay, Runnable task) {
        long nanos = delay.isNegative() ? 0 : saturatedNanos(delay);
        TimerTask t;
        boolean first;
        synchronized (timers) {
            t = new TimerTask(System.nanoTime() + nanos, timerSeq++, task);
            timers.add(t);
            first = timers.peek() == t;
        }
        if (first && !inLoop()) {
            wakeup();
        }
        return t;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    /** Stops the loop after the current iteration and closes the selector. */
    void stop() {
        stopping = true;
        selector.wakeup();
    }

    /** Waits for the loop thread to end. */
    void join(long millis) throws InterruptedException {
        if (!inLoop()) {
            thread.join(millis);
        }
    }

    private void run() {
        try {
            while (!stopping) {
                long timeoutMs = runDueTimers();
                if (!tasks.isEmpty()) {
                    timeoutMs = -1;
                }
                if (timeoutMs < 0) {
                    selector.selectNow(this::dispatch);
                } else {
                    selector.select(this::dispatch, timeoutMs);
                }
                wakeupPending.set(false);
                Runnable r;
                while ((r = tasks.poll()) != null) {
                    runSafely(r);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("corral IO loop failed; the engine stops working", e);
        } finally {
            for (SelectionKey k : selector.keys()) {
                try {
                    k.channel().close();
                } catch (IOException ignored) {
                    // closing
                }
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing
            }
            Runnable r;
            while ((r = tasks.poll()) != null) {
                runSafely(r);
            }
        }
    }

    private void dispatch(SelectionKey key) {
        Object a = key.attachment();
        try {
            if (a instanceof Handler) {
                ((Handler) a).ready(key);
            }
        } catch (Throwable e) {
            // an Error too (a direct buffer that cannot be allocated, say): the IO thread serves everyone
            Delivery.failed("a corral IO handler", e);
        }
    }

    /** Runs due timers; returns the select timeout in ms (0 = none pending, -1 = select now). */
    private long runDueTimers() {
        while (true) {
            TimerTask t;
            synchronized (timers) {
                t = timers.peek();
                if (t == null) {
                    return 0;
                }
                long wait = t.deadline - System.nanoTime();
                if (wait > 0) {
                    long ms = (wait + 999_999) / 1_000_000;
                    return Math.max(1, ms);
                }
                timers.poll();
            }
            if (t.fire()) {
                runSafely(t.task);
            }
        }
    }

    private static void runSafely(Runnable r) {
        try {
            r.run();
        } catch (Throwable e) {
            Delivery.failed("a corral IO task", e);
        }
    }

    private static final class TimerTask implements Timer, Comparable<TimerTask> {
        final long deadline;
        final long seq;
        final Runnable task;
        private final AtomicBoolean state = new AtomicBoolean();

        TimerTask(long deadline, long seq, Runnable task) {
            this.deadline = deadline;
            this.seq = seq;
            this.task = task;
        }

        boolean fire() {
            return state.compareAndSet(false, true);
        }

        @Override
        public boolean cancel() {
            return state.compareAndSet(false, true);
        }

        @Override
        public int compareTo(TimerTask o) {
            int c = Long.compare(deadline - o.deadline, 0);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
