package org.corral.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.corral.api.values.Values;

/**
 * An immutable description of a supervised daemon: the program ({@link CommandSpec}: argv, env, user,
 * cgroup, kill signal and grace), the restart policy with back-off and intensity, readiness, dependencies
 * and logging.
 *
 * <p>A daemon runs for as long as it is supervised, so three settings of its {@code CommandSpec} that make
 * sense only for a one-shot run are ignored when its program is launched: {@link CommandSpec#timeout()} (a
 * daemon is never killed for running long), {@link CommandSpec#collectOutput()} and
 * {@link CommandSpec#maxOutputBytes()} (a daemon never accumulates output in memory: each line goes to its
 * logger and to its ring of {@link #recentLines()} recent lines, and flow control holds the program back
 * when the JVM is behind), and {@link CommandSpec#consumer()} (read its output with
 * {@link Daemon#followLines}).
 */
public final class DaemonSpec {

    private final String name;
    private final CommandSpec command;
    private final RestartPolicy restart;
    private final Duration restartDelay;
    private final Duration maxRestartDelay;
    private final double backoffFactor;
    private final int maxRestarts;
    private final Duration restartWindow;
    private final Readiness readiness;
    private final List<String> dependsOn;
    private final LogLevel stdoutLevel;
    private final LogLevel stderrLevel;
    private final String logPrefix;
    private final int maxLineLength;
    private final int recentLines;
    private final Signal reloadSignal;
    private final ExitStatusSet successExitStatus;
    private final ExitStatusSet restartPreventExitStatus;
    private final PreStart beforeStart;
    private final Duration watchdog;

    private DaemonSpec(Builder b) {
        this.name = b.name;
        this.command = b.command;
        this.restart = b.restart;
        this.restartDelay = b.restartDelay;
        this.maxRestartDelay = b.maxRestartDelay;
        this.backoffFactor = b.backoffFactor;
        this.maxRestarts = b.maxRestarts;
        this.restartWindow = b.restartWindow;
        this.readiness = b.readiness;
        this.dependsOn = List.copyOf(b.dependsOn);
        this.stdoutLevel = b.stdoutLevel;
        this.stderrLevel = b.stderrLevel;
        this.logPrefix = b.logPrefix;
        this.maxLineLength = b.maxLineLength;
        this.recentLines = b.recentLines;
        this.reloadSignal = b.reloadSignal;
        this.successExitStatus = b.successExitStatus;
        this.restartPreventExitStatus = b.restartPreventExitStatus;
        this.beforeStart = b.beforeStart;
        this.watchdog = b.watchdog;
    }

    /** A builder for a daemon named {@code name} running {@code command}. */
    public static Builder builder(String name, CommandSpec command) {
        return new Builder(name, command);
    }

    public Builder toBuilder() {
        Builder b = new Builder(name, command);
        b.restart = restart;
        b.restartDelay = restartDelay;
        b.maxRestartDelay = maxRestartDelay;
        b.backoffFactor = backoffFactor;
        b.maxRestarts = maxRestarts;
        b.restartWindow = restartWindow;
        b.readiness = readiness;
        b.dependsOn = dependsOn;
        b.stdoutLevel = stdoutLevel;
        b.stderrLevel = stderrLevel;
        b.logPrefix = logPrefix;
        b.maxLineLength = maxLineLength;
        b.recentLines = recentLines;
        b.reloadSignal = reloadSignal;
        b.successExitStatus = successExitStatus;
        b.restartPreventExitStatus = restartPreventExitStatus;
        b.beforeStart = beforeStart;
        b.watchdog = watchdog;
        return b;
    }

    /** Unique name: letters, digits, {@code . _ -}; the logger is {@code org.corral.daemon.<name>}. */
    public String name() { return name; }
    public CommandSpec command() { return command; }
    public RestartPolicy restart() { return restart; }
    /** Delay before the first restart. */
    public Duration restartDelay() { return restartDelay; }
    /** Cap of the exponential back-off. */
    public Duration maxRestartDelay() { return maxRestartDelay; }
    /** Each consecutive restart waits {@code backoffFactor} times longer (1 = constant delay). */
    public double backoffFactor() { return backoffFactor; }
    /** Intensity: more than this many restarts within {@link #restartWindow()} → FAILED. */
    public int maxRestarts() { return maxRestarts; }
    public Duration restartWindow() { return restartWindow; }
    public Readiness readiness() { return readiness; }
    /** Names of daemons that must be READY before this one starts. */
    public List<String> dependsOn() { return dependsOn; }
    public LogLevel stdoutLevel() { return stdoutLevel; }
    public LogLevel stderrLevel() { return stderrLevel; }
    /** Prefix of each logged line (default: {@code [<name>] }). */
    public String logPrefix() { return logPrefix; }
    /** Longer lines are split at this many bytes. */
    public int maxLineLength() { return maxLineLength; }
    /** How many recent output lines are kept for the console. */
    public int recentLines() { return recentLines; }
    /**
     * The signal that asks the program to reload its configuration ({@link Daemon#reload()}, {@code corral:reload}):
     * SIGHUP unless set, like the {@code kill -HUP $MAINPID} of many systemd units.
     *
     * @since 1.2
     */
    public Signal reloadSignal() { return reloadSignal; }

    /**
     * Exit codes and signals that count as a clean end besides exit code 0 (systemd's {@code SuccessExitStatus=}):
     * under {@link RestartPolicy#TRANSIENT} such an end is not restarted, and no policy logs it as a failure.
     * Default: empty (only exit code 0 is clean; unlike systemd, Corral counts no signal as clean by default).
     *
     * @since 1.2
     */
    public ExitStatusSet successExitStatus() { return successExitStatus; }

    /**
     * Exit codes and signals after which the program is never restarted, whatever the {@link #restart()} policy
     * (systemd's {@code RestartPreventExitStatus=}): the daemon is then STOPPED. Only an end the program decided
     * (its exit code, or a signal Corral did not send) is looked up; a stop on request is never restarted anyway,
     * and a failed start, a readiness or watchdog timeout or a lost helper are handled by the restart policy.
     * Default: empty.
     *
     * @since 1.2
     */
    public ExitStatusSet restartPreventExitStatus() { return restartPreventExitStatus; }

    /**
     * What must succeed before each start of the program (after {@link #dependsOn()} are READY): MuonTrap's
     * {@code wait_for}, systemd's {@code ExecStartPre=}. Its failure is a failed start. Default: none.
     *
     * @since 1.2
     */
    public Optional<PreStart> beforeStart() { return Optional.ofNullable(beforeStart); }

    /**
     * The sd_notify watchdog (systemd's {@code WatchdogSec=}): once the daemon is READY, its program must send
     * {@code WATCHDOG=1} to {@code $NOTIFY_SOCKET} at least this often (it reads the interval from
     * {@code WATCHDOG_USEC}; sending every half of it is the custom). When it stays silent longer, Corral sends it
     * SIGABRT (for a core dump or a stack trace), then stops it the normal way (kill signal, grace, SIGKILL) after
     * the kill grace, and the restart policy handles the end like a crash ({@link DaemonExit.Reason#WATCHDOG}).
     * {@code WATCHDOG=trigger} fires it at once; {@code WATCHDOG_USEC=} changes the interval. A daemon with a
     * watchdog gets a notify socket also when its readiness is not {@link Readiness#notifySocket()}. Needs Corral's
     * native helper. {@link Duration#ZERO}: none (the default).
     *
     * @since 1.2
     */
    public Duration watchdog() { return watchdog; }

    /**
     * Whether the program gets an sd_notify socket: readiness by {@link Readiness#notifySocket()}, or a
     * {@link #watchdog()}.
     *
     * @since 1.2
     */
    public boolean usesNotify() {
        return readiness.kind() == Readiness.Kind.NOTIFY || !watchdog.isZero();
    }

    /**
     * Whether a program that ended with {@code exitCode} (when {@code signal} is empty) or by {@code signal} ended
     * cleanly: exit code 0, or a status of {@link #successExitStatus()}.
     *
     * @since 1.2
     */
    public boolean isCleanExit(int exitCode, Optional<Signal> signal) {
        return (signal.isEmpty() && exitCode == 0) || successExitStatus.contains(exitCode, signal);
    }

    /**
     * Whether {@code exit} (of this daemon's program) was clean: a stop on request, or an end the program decided
     * ({@link DaemonExit.Reason#EXITED}, {@link DaemonExit.Reason#KILLED}) with a clean status
     * ({@link #isCleanExit(int, Optional)}). Every other reason is a failure.
     *
     * @since 1.2
     */
    public boolean isCleanExit(DaemonExit exit) {
        switch (exit.reason()) {
            case STOPPED:
                return true;
            case EXITED:
            case KILLED:
                return isCleanExit(exit.exitCode(), exit.signal());
            default:
                return false;
        }
    }

    @Override
    public String toString() {
        return "DaemonSpec[" + name + ", " + command.argv() + ", " + restart + "]";
    }

    /** Builds a {@link DaemonSpec}; every setter checks its argument and names it when refused. */
    public static final class Builder {
        private final String name;
        private final CommandSpec command;
        private RestartPolicy restart = RestartPolicy.PERMANENT;
        private Duration restartDelay = Duration.ofMillis(100);
        private Duration maxRestartDelay = Duration.ofSeconds(30);
        private double backoffFactor = 2.0;
        private int maxRestarts = 5;
        private Duration restartWindow = Duration.ofSeconds(60);
        private Readiness readiness = Readiness.immediate();
        private List<String> dependsOn = List.of();
        private LogLevel stdoutLevel = LogLevel.INFO;
        private LogLevel stderrLevel = LogLevel.WARN;
        private String logPrefix;
        private int maxLineLength = 4096;
        private int recentLines = 200;
        private Signal reloadSignal = Signal.HUP;
        private ExitStatusSet successExitStatus = ExitStatusSet.EMPTY;
        private ExitStatusSet restartPreventExitStatus = ExitStatusSet.EMPTY;
        private PreStart beforeStart;
        private Duration watchdog = Duration.ZERO;

        private Builder(String name, CommandSpec command) {
            if (!Values.isDaemonName(name)) {
                throw new InvalidCommandException("daemon name '" + name + "' is invalid: use " + Values.DAEMON_NAME_RULE);
            }
            this.name = name;
            this.command = Objects.requireNonNull(command, "command");
        }

        public Builder restart(RestartPolicy policy) {
            this.restart = Objects.requireNonNull(policy, "restart policy");
            return this;
        }

        public Builder restartDelay(Duration delay) {
            this.restartDelay = nonNegative("restart delay", delay);
            return this;
        }

        public Builder maxRestartDelay(Duration delay) {
            this.maxRestartDelay = nonNegative("max restart delay", delay);
            return this;
        }

        public Builder backoffFactor(double factor) {
            if (!(factor >= 1.0) || factor > 100) {
                throw new InvalidCommandException("back-off factor must be between 1 and 100, got " + factor);
            }
            this.backoffFactor = factor;
            return this;
        }

        /** Intensity: more than {@code maxRestarts} restarts within {@code window} → FAILED. */
        public Builder intensity(int maxRestarts, Duration window) {
            if (maxRestarts < 0) {
                throw new InvalidCommandException("intensity (max restarts) must be >= 0, got " + maxRestarts);
            }
            if (window == null || window.isNegative() || window.isZero()) {
                throw new InvalidCommandException("intensity window must be positive, got " + window);
            }
            this.maxRestarts = maxRestarts;
            this.restartWindow = window;
            return this;
        }

        public Builder readiness(Readiness readiness) {
            this.readiness = Objects.requireNonNull(readiness, "readiness");
            return this;
        }

        public Builder dependsOn(List<String> names) {
            this.dependsOn = List.copyOf(names);
            return this;
        }

        public Builder stdoutLevel(LogLevel level) {
            this.stdoutLevel = Objects.requireNonNull(level, "stdout log level");
            return this;
        }

        public Builder stderrLevel(LogLevel level) {
            this.stderrLevel = Objects.requireNonNull(level, "stderr log level");
            return this;
        }

        public Builder logPrefix(String prefix) {
            this.logPrefix = prefix;
            return this;
        }

        public Builder maxLineLength(int bytes) {
            if (bytes < 16 || bytes > 1 << 20) {
                throw new InvalidCommandException("max line length must be 16..1048576 bytes, got " + bytes);
            }
            this.maxLineLength = bytes;
            return this;
        }

        /**
         * The signal {@link Daemon#reload()} sends (default SIGHUP).
         *
         * @since 1.2
         */
        public Builder reloadSignal(Signal signal) {
            this.reloadSignal = Objects.requireNonNull(signal, "reload signal");
            return this;
        }

        public Builder recentLines(int lines) {
            if (lines < 0 || lines > 100_000) {
                throw new InvalidCommandException("recent lines must be 0..100000, got " + lines);
            }
            this.recentLines = lines;
            return this;
        }

        /**
         * Exit codes and signals that count as a clean end besides exit code 0 (see
         * {@link DaemonSpec#successExitStatus()}).
         *
         * @since 1.2
         */
        public Builder successExitStatus(ExitStatusSet statuses) {
            this.successExitStatus = Objects.requireNonNull(statuses, "success exit status");
            return this;
        }

        /**
         * Exit codes and signals after which the program is never restarted (see
         * {@link DaemonSpec#restartPreventExitStatus()}).
         *
         * @since 1.2
         */
        public Builder restartPreventExitStatus(ExitStatusSet statuses) {
            this.restartPreventExitStatus = Objects.requireNonNull(statuses, "restart prevent exit status");
            return this;
        }

        /**
         * What must succeed before each start of the program (see {@link PreStart}); null: nothing.
         *
         * @since 1.2
         */
        public Builder beforeStart(PreStart hook) {
            this.beforeStart = hook;
            return this;
        }

        /**
         * Runs {@code command} to completion before each start of the program: {@code beforeStart(PreStart.command(command))}.
         *
         * @since 1.2
         */
        public Builder beforeStart(CommandSpec command) {
            return beforeStart(PreStart.command(command));
        }

        /**
         * The sd_notify watchdog interval (see {@link DaemonSpec#watchdog()}); {@link Duration#ZERO}: none. At
         * least 1 ms.
         *
         * @since 1.2
         */
        public Builder watchdog(Duration interval) {
            Duration w = nonNegative("watchdog", interval);
            if (!w.isZero() && w.toMillis() < 1) {
                throw new InvalidCommandException("watchdog must be at least 1ms (or 0 for none), got " + interval);
            }
            this.watchdog = w;
            return this;
        }

        public DaemonSpec build() {
            if (dependsOn.contains(name)) {
                throw new InvalidCommandException("daemon '" + name + "' cannot depend on itself");
            }
            if (readiness.kind() == Readiness.Kind.LOG_LINE && command.stdoutMode() == StdoutMode.DISCARD
                    && command.stderrMode() == StderrMode.DISCARD) {
                throw new InvalidCommandException("daemon '" + name + "': a log-line readiness check needs output,"
                        + " but stdout and stderr are both discarded");
            }
            return new DaemonSpec(this);
        }

        private static Duration nonNegative(String what, Duration d) {
            if (d == null || d.isNegative()) {
                throw new InvalidCommandException(what + " must be >= 0, got " + d);
            }
            return d;
        }
    }
}
