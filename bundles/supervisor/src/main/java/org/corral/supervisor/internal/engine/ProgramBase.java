package org.corral.supervisor.internal.engine;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.corral.api.CommandSpec;
import org.corral.api.OutputConsumer;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.api.StreamKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every engine's program shares: the spec, the two futures, the output counters, collection and
 * consumer, the one terminal transition, and the assembly of the {@link ProcessResult}.
 */
abstract class ProgramBase implements RunningProgram {

    private static final Logger LOG = LoggerFactory.getLogger(ProgramBase.class);

    final ResolvedCommand cmd;
    private final OutputConsumer consumer;
    private final Collector out;
    private final Collector err;
    private final long startNanos = System.nanoTime();
    private final CompletableFuture<Long> started = new CompletableFuture<>();
    private final CompletableFuture<ProcessResult> completion = new CompletableFuture<>();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile long stdoutBytes;
    private volatile long stderrBytes;
    private volatile boolean timedOut;
    /** Written by the thread that delivers output (one at a time). */
    private boolean consumerBroken;
    /** Collecting ran out of memory: nothing more is collected (same thread). */
    private boolean collectionFailed;

    ProgramBase(ResolvedCommand cmd, OutputConsumer consumer) {
        this.cmd = cmd;
        this.consumer = consumer;
        CommandSpec spec = cmd.spec();
        this.out = spec.collectOutput() ? new Collector(spec.maxOutputBytes()) : null;
        this.err = spec.collectOutput() ? new Collector(spec.maxOutputBytes()) : null;
    }

    /** The program for messages: its executable, and its pid once known. */
    String describe() {
        long p = pid().orElse(-1);
        return cmd.executable() + (p > 0 ? " (pid " + p + ")" : "");
    }

    final boolean hasConsumer() {
        return consumer != null;
    }

    /**
     * The terminal transition, taken once: true for the first caller, who then runs the clean-up and
     * completes {@link #completion()}; false for every later one, who must do nothing.
     */
    final boolean end() {
        return ended.compareAndSet(false, true);
    }

    /** Whether the terminal transition was taken (the completion is done or about to be). */
    @Override
    public final boolean isDone() {
        return ended.get();
    }

    final void markTimedOut() {
        timedOut = true;
    }

    /**
     * Counts, collects and hands on {@code length} bytes of output at index {@code offset} of {@code data}
     * ({@code view}: the same bytes, read-only, for the consumer). Called by one thread at a time.
     */
    final void output(StreamKind stream, ByteBuffer data, int offset, int length, ByteBuffer view) {
        boolean isOut = stream == StreamKind.STDOUT;
        if (isOut) {
            stdoutBytes += length;
        } else {
            stderrBytes += length;
        }
        Collector c = isOut ? out : err;
        if (c != null && !collectionFailed) {
            try {
                c.add(data, offset, length);
            } catch (OutOfMemoryError e) {
                collectionFailed = true; // the result says truncated; the output is still counted and drained
                Delivery.failed("collecting the output of " + describe() + " (the result keeps what it had)", e);
            }
        }
        if (consumer != null && !consumerBroken) {
            try {
                consumer.accept(stream, view);
            } catch (Throwable e) {
                consumerBroken = true;
                Delivery.failed("the output consumer of " + describe() + " (it gets no more output; the program "
                        + "keeps running and its output is still drained)", e);
            }
        }
    }

    /** Output counters taken over from elsewhere (a program re-attached after a hand-over). */
    final void setCounts(long stdout, long stderr) {
        stdoutBytes = stdout;
        stderrBytes = stderr;
    }

    /**
     * The result of a run that ended: {@code signaled} with signal {@code value}, or exited with code
     * {@code value}; everything counted and collected so far.
     */
    final ProcessResult.Builder result(long pid, boolean signaled, int value, boolean killed) {
        ProcessResult.Builder b = ProcessResult.builder().pid(Math.max(pid, 0));
        if (signaled) {
            try {
                b.signal(Signal.of(value));
            } catch (IllegalArgumentException e) {
                LOG.warn("{} was killed by signal {} which has no name here; reported as exit code {}", describe(),
                        value, 128 + value);
                b.exitCode(128 + value);
            }
        } else {
            b.exitCode(value);
        }
        b.stdoutBytes(stdoutBytes).stderrBytes(stderrBytes)
                .truncated(collectionFailed || (out != null && out.truncated()) || (err != null && err.truncated()))
                .duration(Duration.ofNanos(System.nanoTime() - startNanos))
                .timedOut(timedOut)
                .killed(killed);
        if (out != null) {
            try {
                b.stdout(out.toArray()).stderr(err.toArray());
            } catch (OutOfMemoryError e) {
                b.truncated(true); // no room for the copy: the result goes without its output rather than never
                Delivery.failed("assembling the collected output of " + describe(), e);
            }
        }
        return b;
    }

    @Override
    public final CommandSpec spec() {
        return cmd.spec();
    }

    @Override
    public final CompletableFuture<Long> started() {
        return started;
    }

    @Override
    public final CompletableFuture<ProcessResult> completion() {
        return completion;
    }

    @Override
    public final long stdoutBytes() {
        return stdoutBytes;
    }

    @Override
    public final long stderrBytes() {
        return stderrBytes;
    }

    @Override
    public String toString() {
        return "RunningProgram[" + describe() + "]";
    }
}
