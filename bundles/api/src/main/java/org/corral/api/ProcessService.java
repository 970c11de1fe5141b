package org.corral.api;

import java.util.concurrent.CompletableFuture;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs OS programs so that nothing escapes, nothing is lost and limits hold.
 *
 * <p>In OSGi this is a bundle-scoped service: every consuming bundle gets its own instance, and every
 * program or daemon started through it dies when that bundle ungets the service or stops. Outside OSGi
 * (plain Java) the instance returned by the supervisor's library entry point owns what it starts until
 * it is closed.
 */
@ProviderType
public interface ProcessService {

    /**
     * Runs a program to completion.
     *
     * @throws ProgramNotFoundException the program does not exist or is not executable (nothing ran)
     * @throws InvalidCommandException the spec is refused (names what and why; nothing ran)
     * @throws ProcessException the program could not be started or supervised
     * @throws InterruptedException the caller was interrupted; the program and its descendants were killed
     */
    ProcessResult run(CommandSpec spec) throws InterruptedException;

    /** Shorthand for {@code run(CommandSpec.of(argv))}. */
    default ProcessResult run(String... argv) throws InterruptedException {
        return run(CommandSpec.of(argv));
    }

    /**
     * Starts a program and returns at once. Cancelling the future (with or without interruption) kills
     * the program and every descendant. Validation errors complete the future exceptionally.
     */
    CompletableFuture<ProcessResult> runAsync(CommandSpec spec);

    /**
     * Starts a supervised daemon: restarted per its policy until stopped. Owned by the caller's bundle
     * (or by this instance outside OSGi).
     *
     * @throws InvalidCommandException the spec is refused
     * @throws ProgramNotFoundException the program does not exist or is not executable
     */
    Daemon start(DaemonSpec spec);

    /** How strongly programs are contained here: helper with or without cgroups, or the pure-Java fallback. */
    Containment containment();
}
