package org.corral.api;

/**
 * Where a program's stdout goes.
 *
 * @since 1.2
 */
public enum StdoutMode {
    /** Read by Corral (default): collected, streamed to the consumer, or, for a daemon, logged and kept. */
    CAPTURE,
    /**
     * Discarded ({@code /dev/null}): never read, so a chatty program costs nothing; stderr is kept as its
     * {@link StderrMode} says (MuonTrap's {@code capture_stderr_only}). Cannot be combined with
     * {@link StderrMode#MERGE}.
     */
    DISCARD
}
