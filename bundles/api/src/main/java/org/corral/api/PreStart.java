package org.corral.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import org.corral.api.values.Values;

/**
 * What must succeed before each start of a daemon's program ({@link DaemonSpec#beforeStart()}): a program run to
 * completion, like systemd's {@code ExecStartPre=} (the {@code .cfg} key {@code start.pre}), or a Java call whose
 * stage completes, like MuonTrap's {@code wait_for}. It runs after the daemons of {@code depends.on} are READY
 * and before the program is launched, on every start and restart, with its own timeout; it can wait (the daemon
 * stays STARTING), fail or crash. A failure, a crash or a timeout is a failed start that the restart policy
 * handles like a program that could not start (restarted after the back-off under {@code permanent} and
 * {@code transient}, FAILED under {@code temporary}). A stop, restart, removal or hand-over while it runs kills the
 * program (its kill signal, its grace, then SIGKILL, with every descendant) or cancels the call's stage.
 *
 * @since 1.2
 */
public final class PreStart {

    /** The kinds of hook. */
    public enum Kind {
        /** A program: exit code 0 lets the daemon start, any other end is a failure. */
        COMMAND,
        /** A Java call returning a stage: normal completion lets the daemon start; an exception is a failure. */
        CALL
    }

    /** The time a hook may take unless it says otherwise: 30 s (as {@link Readiness#DEFAULT_TIMEOUT}). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final Kind kind;
    private final CommandSpec command;
    private final Supplier<? extends CompletionStage<?>> call;
    private final Duration timeout;

    private PreStart(Kind kind, CommandSpec command, Supplier<? extends CompletionStage<?>> call, Duration timeout) {
        this.kind = kind;
        this.command = command;
        this.call = call;
        this.timeout = timeout;
    }

    /**
     * Runs {@code command} to completion, contained like any program of Corral (its own process group and, with a
     * cgroup setting, its own cgroup; every descendant is killed when it ends). Its output goes to the daemon's log
     * and recent lines. Its timeout is {@link CommandSpec#timeout()}, else {@link #DEFAULT_TIMEOUT}; output
     * collection and a consumer of the spec are ignored.
     */
    public static PreStart command(CommandSpec command) {
        Duration t = Objects.requireNonNull(command, "pre-start command").timeout().orElse(DEFAULT_TIMEOUT);
        return new PreStart(Kind.COMMAND, command.toBuilder().timeout(t).build(), null, t);
    }

    /**
     * Calls {@code call} before each start (on a Corral thread: it must return quickly, so it starts its work and
     * returns a stage, e.g. {@code CompletableFuture.runAsync(this::waitForTheModem, myExecutor)}). The daemon
     * starts when the stage completes normally; an exception thrown by the call or completing the stage is a
     * failed start. The stage is cancelled ({@code toCompletableFuture().cancel(true)}) at the timeout and on a
     * stop. Timeout: {@link #DEFAULT_TIMEOUT} unless {@link #withTimeout} says otherwise.
     */
    public static PreStart call(Supplier<? extends CompletionStage<?>> call) {
        return new PreStart(Kind.CALL, null, Objects.requireNonNull(call, "pre-start call"), DEFAULT_TIMEOUT);
    }

    /** The same hook with another timeout (for a command: also its {@link CommandSpec#timeout()}). */
    public PreStart withTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidCommandException("pre-start timeout must be positive, got " + timeout);
        }
        return new PreStart(kind, command == null ? null : command.toBuilder().timeout(timeout).build(), call, timeout);
    }

    public Kind kind() {
        return kind;
    }

    /** The program of a {@link Kind#COMMAND} hook, with the hook's timeout. */
    public Optional<CommandSpec> command() {
        return Optional.ofNullable(command);
    }

    /** The call of a {@link Kind#CALL} hook. */
    public Optional<Supplier<? extends CompletionStage<?>>> call() {
        return Optional.ofNullable(call);
    }

    /** How long it may take before it counts as failed (and is killed or cancelled). */
    public Duration timeout() {
        return timeout;
    }

    @Override
    public String toString() {
        return (kind == Kind.COMMAND ? "command " + command.argv() : "call " + call) + ", timeout "
                + Values.format(timeout);
    }
}
