package org.corral.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * When a running daemon counts as READY: at once, when a line of its output matches a regular
 * expression, when a TCP port on loopback accepts connections, when a file exists, or when the program says
 * so over sd_notify ({@code READY=1}). A check that does not pass within its timeout is a failed start,
 * handled by the restart policy.
 */
public final class Readiness {

    /** The kinds of readiness check. */
    public enum Kind {
        IMMEDIATE, LOG_LINE, TCP_PORT, FILE,
        /**
         * The program sends {@code READY=1} to {@code $NOTIFY_SOCKET} (systemd's {@code Type=notify}).
         *
         * @since 1.2
         */
        NOTIFY
    }

    /** Default time a check may take: 30 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Readiness IMMEDIATE = new Readiness(Kind.IMMEDIATE, null, 0, null, DEFAULT_TIMEOUT);

    private final Kind kind;
    private final Pattern pattern;
    private final int port;
    private final Path file;
    private final Duration timeout;

    private Readiness(Kind kind, Pattern pattern, int port, Path file, Duration timeout) {
        this.kind = kind;
        this.pattern = pattern;
        this.port = port;
        this.file = file;
        this.timeout = timeout;
    }

    public static Readiness immediate() {
        return IMMEDIATE;
    }

    /** Ready when a stdout or stderr line matches {@code regex} (searched with {@link java.util.regex.Matcher#find()}). */
    public static Readiness logLine(String regex) {
        try {
            return new Readiness(Kind.LOG_LINE, Pattern.compile(regex), 0, null, DEFAULT_TIMEOUT);
        } catch (PatternSyntaxException e) {
            throw new InvalidCommandException("readiness log pattern '" + regex + "' is not a valid regular expression: "
                    + e.getDescription());
        }
    }

    /** Ready when {@code 127.0.0.1:port} accepts a TCP connection. */
    public static Readiness tcpPort(int port) {
        if (port < 1 || port > 65535) {
            throw new InvalidCommandException("readiness TCP port must be 1..65535, got " + port);
        }
        return new Readiness(Kind.TCP_PORT, null, port, null, DEFAULT_TIMEOUT);
    }

    /** Ready when {@code file} exists. */
    public static Readiness file(Path file) {
        return new Readiness(Kind.FILE, null, 0, Objects.requireNonNull(file, "file"), DEFAULT_TIMEOUT);
    }

    /**
     * Ready when the program sends {@code READY=1} over the sd_notify protocol: it gets a {@code NOTIFY_SOCKET}
     * that accepts datagrams from its own processes only (systemd's {@code Type=notify}); {@code STATUS=},
     * {@code WATCHDOG=1} (see {@link DaemonSpec#watchdog()}), {@code STOPPING=1} and {@code MAINPID=} are understood
     * too. Needs Corral's native helper.
     *
     * @since 1.2
     */
    public static Readiness notifySocket() {
        return NOTIFY;
    }

    private static final Readiness NOTIFY = new Readiness(Kind.NOTIFY, null, 0, null, DEFAULT_TIMEOUT);

    /** The same check with another timeout. */
    public Readiness withTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidCommandException("readiness timeout must be positive, got " + timeout);
        }
        return new Readiness(kind, pattern, port, file, timeout);
    }

    public Kind kind() { return kind; }
    public Optional<Pattern> pattern() { return Optional.ofNullable(pattern); }
    public OptionalInt port() { return port == 0 ? OptionalInt.empty() : OptionalInt.of(port); }
    public Optional<Path> file() { return Optional.ofNullable(file); }
    public Duration timeout() { return timeout; }

    @Override
    public String toString() {
        switch (kind) {
            case LOG_LINE: return "log line /" + pattern.pattern() + "/";
            case TCP_PORT: return "tcp port " + port;
            case FILE: return "file " + file;
            case NOTIFY: return "sd_notify READY=1";
            default: return "immediate";
        }
    }
}
