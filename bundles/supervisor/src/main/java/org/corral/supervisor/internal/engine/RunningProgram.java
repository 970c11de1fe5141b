package org.corral.supervisor.internal.engine;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;

/**
 * One program started by an {@link Engine}. Thread-safe.
 *
 * <p>Futures returned here are completed on the engine's threads: dependent stages attached with the
 * non-async methods may run on the IO thread, so keep them short and non-blocking, or attach them with
 * an {@code ...Async} method and an executor of the engine ({@link Engine#deliverExecutor()},
 * {@link Engine#controlExecutor()}) or your own.
 */
public interface RunningProgram {

    /** The spec this program was started from. */
    CommandSpec spec();

    /**
     * Completes with the program's pid once it was exec'ed, or exceptionally with a
     * {@link org.corral.api.ProcessException} naming why it could not be started (exec failed, user switch
     * failed, cgroup could not be joined, helper gone).
     */
    CompletableFuture<Long> started();

    /**
     * Completes with the result after the program exited, every descendant was torn down (unless
     * {@link CommandSpec#killDescendantsOnExit()} is false) and every output byte was delivered to the
     * consumer (the last consumer call returned). Completes exceptionally when the program could not be
     * started or the helper vanished. Cancelling this future does nothing to the program: use {@link #stop}.
     */
    CompletableFuture<ProcessResult> completion();

    /** Sends a signal to the program (its main process). Ignored once it exited. */
    void signal(Signal signal);

    /** Sends a signal to the program's whole process group. Ignored once it exited. */
    void signalGroup(Signal signal);

    /**
     * Starts the teardown now: {@code signal} to the program and every descendant, {@code grace}, then
     * SIGKILL. The result reports {@code killed}. Idempotent: a second call can only shorten the teardown.
     *
     * @return {@link #completion()}
     */
    CompletableFuture<ProcessResult> stop(Signal signal, Duration grace);

    /** {@link #stop(Signal, Duration)} with the spec's kill signal and grace. */
    default CompletableFuture<ProcessResult> stop() {
        return stop(spec().killSignal(), spec().grace());
    }

    /** The helper's pid (empty in the Java fallback or before the helper connected). */
    OptionalLong helperPid();

    /** The program's pid once started. */
    OptionalLong pid();

    /** The program's cgroup (relative to the cgroup2 mount), when it runs in one. */
    Optional<String> cgroupPath();

    /**
     * The cgroup carrying the program's limits (relative to the cgroup2 mount): {@link #cgroupPath()}, or its
     * parent when the program runs in a {@code program} leaf below the limited cgroup.
     */
    default Optional<String> limitsCgroupPath() {
        return cgroupPath();
    }

    /** Output bytes received so far from stdout (with merged stderr). */
    long stdoutBytes();

    /** Output bytes received so far from stderr. */
    long stderrBytes();

    /** Whether the program ended (completion is done or about to be). */
    boolean isDone();
}
