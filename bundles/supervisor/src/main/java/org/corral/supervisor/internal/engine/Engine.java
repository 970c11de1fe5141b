package org.corral.supervisor.internal.engine;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.InvalidCommandException;
import org.corral.api.OutputConsumer;
import org.corral.api.ProcessException;
import org.corral.api.ProgramNotFoundException;

/**
 * The process engine: starts programs through the native helper (or, on platforms without one, through
 * {@link ProcessBuilder}), moves their output, and tells when they end. This is the internal contract that
 * {@code ProcessService} and daemon supervision are built on.
 *
 * <h2>Threads</h2>
 * An engine owns a constant number of threads whatever the number of programs: one IO thread
 * ({@code corral-io}: sockets and {@link #timers() timers}), a small delivery pool ({@code corral-deliver-N}:
 * {@link OutputConsumer} callbacks, each program's in its own serial lane, see {@link #newLane}) and one
 * control thread ({@code corral-control}, see {@link #controlExecutor()}). See {@link Delivery}.
 *
 * <h2>Ownership</h2>
 * The engine owns every program it launched: {@link #close()} stops them all (kill signal, grace, SIGKILL)
 * and waits for them. Callers that own a subset (a consumer bundle's {@code ProcessService}, a daemon) stop
 * their own programs with {@link RunningProgram#stop}.
 */
public interface Engine extends AutoCloseable {

    /**
     * Validates {@code spec} against the system without starting anything: the program is resolved against
     * {@code PATH} of the effective environment and must be an executable regular file, the directory must
     * exist, user and groups must be known, uid 0 is refused unless allowed, cgroup options must be usable.
     *
     * @throws ProgramNotFoundException the program does not exist or is not executable (names it and the
     *     {@code PATH} searched)
     * @throws InvalidCommandException any other option is refused (names the option, value and why)
     */
    void validate(CommandSpec spec);

    /**
     * Starts a program. Output goes to {@code spec.consumer()} (if set) and into the result when
     * {@code spec.collectOutput()}. The spec's timeout is honoured (kill signal, grace, SIGKILL;
     * the result says {@code timedOut}).
     *
     * <p>Validation happens here, synchronously, before anything runs: the exceptions below are thrown
     * by this method. Failures after that (the helper could not fork, exec failed in the child, the
     * helper vanished) complete {@link RunningProgram#started()} and {@link RunningProgram#completion()}
     * exceptionally with a {@link ProcessException} naming what failed.
     *
     * @throws ProgramNotFoundException the program does not exist or is not executable
     * @throws InvalidCommandException an option is refused
     * @throws ProcessException the engine is closed or broken
     */
    default RunningProgram launch(CommandSpec spec) {
        return launch(spec, spec.consumer().orElse(null));
    }

    /**
     * Starts a program with {@code consumer} receiving its output <em>instead of</em> {@code spec.consumer()}
     * ({@code null}: no consumer). Consumer calls for one program never overlap and run on a delivery thread,
     * in order per stream, in the program's own lane: a program delivers a bounded amount of output per turn
     * and then lets the other programs' output through. Flow-control credit is returned to the program only
     * after a call returned, so a slow consumer blocks the program's writes, never the JVM heap nor another
     * program's output. A consumer that throws (an {@link Error} included) gets no more output; the program
     * keeps running and its output is still drained. Everything else as {@link #launch(CommandSpec)}.
     */
    RunningProgram launch(CommandSpec spec, OutputConsumer consumer);

    /**
     * {@link #launch(CommandSpec, OutputConsumer)} with an sd_notify socket for the program ({@code notify} null:
     * none). Only the helper engine has one.
     *
     * @throws InvalidCommandException this engine cannot give a program a notify socket
     */
    default RunningProgram launch(CommandSpec spec, OutputConsumer consumer, NotifySocket notify) {
        if (notify == null) {
            return launch(spec, consumer);
        }
        throw new InvalidCommandException(noNotify());
    }

    /** Whether {@link #launch(CommandSpec, OutputConsumer, NotifySocket)} can give programs a notify socket. */
    default boolean supportsNotify() {
        return false;
    }

    /** Why this engine refuses a notify socket. */
    default String noNotify() {
        return "ready.notify, watchdog: sd_notify needs Corral's native helper, and this engine ("
                + containment().mode() + ") has none: Java cannot receive Unix datagrams with their sender";
    }

    /** Timers run on the IO thread (timeouts, graces, restart delays). Keep the tasks short and non-blocking. */
    Timers timers();

    /**
     * Runs tasks on the delivery threads ({@code corral-deliver-N}) in no particular order: user-facing work
     * that must not run on the IO thread (completing user futures, say). Use {@link #newLane} when order
     * matters.
     */
    Executor deliverExecutor();

    /**
     * A new serial executor on the delivery threads: its tasks run one at a time, in order, taking turns with
     * every other lane and program (a daemon's listener calls, say). Never refuses a task.
     *
     * @param name what it serves, for messages
     */
    Executor newLane(String name);

    /**
     * The control thread ({@code corral-control}): state changes that timers, program ends and dependency
     * changes cause (a relaunch after a back-off, the end of a program). It never runs output or user callbacks,
     * so no delivery work delays them. Tasks must not block.
     */
    Executor controlExecutor();

    /** Whether the calling thread is one of this engine's delivery threads (a consumer must not wait for output there). */
    default boolean onDeliverThread() {
        return false;
    }

    /** How strongly programs are contained by this engine. */
    Containment containment();

    /** Helper processes serving programs of this engine now (one per running program; 0 without a helper). */
    default int helpersRunning() {
        return 0;
    }

    /** Whether {@link #close()} was called. */
    boolean isClosed();

    /**
     * Whether programs of this engine can be handed over to another engine of the same JVM user (the next
     * version of the supervisor bundle): {@link #detach} and {@link #attach}. The Java fallback cannot.
     */
    default boolean supportsHandOver() {
        return false;
    }

    /**
     * Detaches a running program from this engine: its helper keeps it (and its descendants and cgroup)
     * running without a connection, waits up to {@code lease} for {@link #attach} from a successor, and tears
     * it down (kill signal, grace, SIGKILL) when the lease ends first. Output beyond the flow-control window
     * waits in the program's pipe. Every byte received before the hand-off went to the consumer; then the
     * program is this engine's no more ({@link RunningProgram#completion()} completes exceptionally,
     * {@link #close()} does not stop it).
     *
     * @return completes with the hand-off (to be given to the successor), with {@code null} when the program
     *     ended before the helper read the request (its completion has the result), or exceptionally when the
     *     helper refused or could not be asked
     */
    default CompletableFuture<HandOff> detach(RunningProgram program, Duration lease) {
        return CompletableFuture.failedFuture(new ProcessException("this engine (" + containment()
                + ") cannot hand programs over"));
    }

    /**
     * Takes over a program detached by another engine ({@link #detach}): connects to its helper, which checks
     * that this JVM runs as the helper's user and knows the secret. The returned program's
     * {@link RunningProgram#started()} completes with the pid once the helper accepted (exceptionally when
     * the helper is gone, its lease ended, or it refused); from then on it is this engine's program like any
     * other, with {@code spec} giving its kill signal, grace and output window.
     */
    default RunningProgram attach(HandOff handOff, CommandSpec spec, OutputConsumer consumer) {
        throw new ProcessException("this engine (" + containment() + ") cannot take programs over");
    }

    /**
     * {@link #attach(HandOff, CommandSpec, OutputConsumer)} of a program that has an sd_notify socket: its
     * datagrams go to {@code listener} from now on (those sent while it was detached waited in the socket).
     */
    default RunningProgram attach(HandOff handOff, CommandSpec spec, OutputConsumer consumer,
            NotifySocket.Listener listener) {
        if (listener == null) {
            return attach(handOff, spec, consumer);
        }
        throw new ProcessException("this engine (" + containment() + ") cannot take programs over");
    }

    /**
     * Stops every program this engine started (each with its kill signal and grace, then SIGKILL), waits for
     * them (bounded by the longest grace plus a margin), then releases the threads, the socket and the
     * runtime directory. Idempotent.
     */
    @Override
    void close();
}
