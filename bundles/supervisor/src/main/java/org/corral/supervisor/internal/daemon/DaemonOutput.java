package org.corral.supervisor.internal.daemon;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.corral.api.DaemonSpec;
import org.corral.api.LogLevel;
import org.corral.api.OutputConsumer;
import org.corral.api.StreamKind;
import org.corral.api.values.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.event.Level;

/**
 * A daemon's output: the stdout and stderr of each program run are cut into lines ({@link LineSplitter}:
 * maximum length, the last partial line flushed at the end), each line is made safe to show once, here
 * ({@link #shown}: control characters visible, binary lines summarised), and the safe text goes into the ring
 * of recent lines ({@link RecentLines}, for the console, its followers and JMX), to the readiness check and to
 * the daemon's logger ({@code org.corral.daemon.<name>}) at its stream's level ({@code off}: not logged) after
 * the prefix ({@code [<name>] } by default). The same logger carries the daemon's own messages
 * ({@link #message}).
 *
 * <p>Every record of that logger carries the daemon in its MDC ({@link #withMdc}): {@value #MDC_NAME},
 * {@value #MDC_PID} (while a program runs), {@value #MDC_STREAM} ({@code stdout} or {@code stderr}, on output
 * lines) and, on the first record of each run (the {@code started} line), {@value #MDC_COMMAND}; so a log
 * appender or filter can select one daemon's records (MuonTrap's {@code logger_metadata}).
 *
 * <p>Thread-safe: lines of one run arrive on the engine's delivery thread; {@link #reconfigure} may come from
 * any thread and applies to the next line.
 */
final class DaemonOutput {

    /** MDC key: the daemon's name. */
    static final String MDC_NAME = "daemon.name";
    /** MDC key: the pid of the program the record is about (absent when none runs). */
    static final String MDC_PID = "daemon.pid";
    /** MDC key: the stream of an output line, {@code stdout} or {@code stderr}. */
    static final String MDC_STREAM = "daemon.stream";
    /** MDC key: the command line of the program, on the first record of each run. */
    static final String MDC_COMMAND = "daemon.command";

    private final String name;
    private final Logger log;
    private final RecentLines recent;
    private volatile DaemonSpec spec;

    DaemonOutput(DaemonSpec spec) {
        this(spec, LoggerFactory.getLogger(SupervisedDaemon.LOGGER_PREFIX + spec.name()));
    }

    /** With a logger of one's own (tests). */
    DaemonOutput(DaemonSpec spec, Logger log) {
        this.name = spec.name();
        this.spec = spec;
        this.log = log;
        this.recent = new RecentLines(spec.recentLines());
    }

    /** The daemon's logger: its output lines and its own messages. */
    Logger logger() {
        return log;
    }

    /**
     * One of the daemon's own messages (SLF4J format and arguments, a last Throwable argument logged as such), with
     * the daemon's MDC; {@code pid} is the program it is about (-1: none), {@code command} the command line for
     * the first record of a run (null: none).
     */
    void message(Level level, long pid, List<String> command, String format, Object... args) {
        if (!log.isEnabledForLevel(level)) {
            return;
        }
        withMdc(pid, null, command, () -> {
            switch (level) {
                case ERROR:
                    log.error(format, args);
                    break;
                case WARN:
                    log.warn(format, args);
                    break;
                case INFO:
                    log.info(format, args);
                    break;
                case DEBUG:
                    log.debug(format, args);
                    break;
                default:
                    log.trace(format, args);
            }
        });
    }

    /**
     * Runs {@code logCall} with the daemon's MDC ({@link #MDC_NAME}, and {@link #MDC_PID}, {@link #MDC_STREAM},
     * {@link #MDC_COMMAND} when given), then puts back what the thread had: the delivery thread serves every daemon,
     * and a caller's thread may carry an MDC of its own.
     */
    private void withMdc(long pid, StreamKind stream, List<String> command, Runnable logCall) {
        String[] keys = {MDC_NAME, MDC_PID, MDC_STREAM, MDC_COMMAND};
        String[] values = {name, pid >= 0 ? Long.toString(pid) : null,
            stream == null ? null : stream == StreamKind.STDERR ? "stderr" : "stdout",
            command == null ? null : Printable.commandLine(command)};
        String[] before = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            before[i] = MDC.get(keys[i]);
            set(keys[i], values[i]);
        }
        try {
            logCall.run();
        } finally {
            for (int i = 0; i < keys.length; i++) {
                set(keys[i], before[i]);
            }
        }
    }

    private static void set(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }

    RecentLines recent() {
        return recent;
    }

    /** Levels, prefix and the size of the ring of {@code s} from the next line on. */
    void reconfigure(DaemonSpec s) {
        spec = s;
        recent.resize(s.recentLines());
    }

    /**
     * The streams of one program run, starting with the partial last lines a previous supervisor version handed
     * over (empty: none).
     *
     * @param observer sees every line after it was kept and logged (the readiness check)
     */
    Streams open(byte[] stdoutTail, byte[] stderrTail, LongSupplier pid, Consumer<String> observer) {
        return new Streams(spec.maxLineLength(), stdoutTail, stderrTail, pid, observer);
    }

    /**
     * The text shown for one line of a program's output, from the bytes it wrote: the only place where a
     * daemon's output becomes text, so that the log, the recent lines, their followers, JMX and the web console
     * all show the same safe text ({@link Printable#line}: control characters such as ESC as {@code \x1b},
     * bytes that are not UTF-8 as {@code \xNN}, a binary line as {@code [N bytes of binary output]}).
     */
    static String shown(byte[] bytes, int length) {
        return Printable.line(bytes, 0, length);
    }

    /** One line of output of program {@code pid} (-1: not known yet), already {@link #shown safe}: into the ring and the log. */
    void line(StreamKind stream, long pid, String text) {
        recent.add(stream, text);
        DaemonSpec s = spec;
        LogLevel level = stream == StreamKind.STDERR ? s.stderrLevel() : s.stdoutLevel();
        if (level != LogLevel.OFF) {
            logAt(level, stream, pid, s.logPrefix() != null ? s.logPrefix() : "[" + name + "] ", text);
        }
    }

    private void logAt(LogLevel level, StreamKind stream, long pid, String prefix, String text) {
        Level l;
        switch (level) {
            case TRACE: l = Level.TRACE; break;
            case DEBUG: l = Level.DEBUG; break;
            case INFO: l = Level.INFO; break;
            case WARN: l = Level.WARN; break;
            case ERROR: l = Level.ERROR; break;
            default: return;
        }
        if (!log.isEnabledForLevel(l)) {
            return;
        }
        withMdc(pid, stream, null, () -> {
            switch (l) {
                case TRACE: log.trace("{}{}", prefix, text); break;
                case DEBUG: log.debug("{}{}", prefix, text); break;
                case INFO: log.info("{}{}", prefix, text); break;
                case WARN: log.warn("{}{}", prefix, text); break;
                default: log.error("{}{}", prefix, text); break;
            }
        });
    }

    /** The line splitters of one program run: the consumer handed to the engine. */
    final class Streams {
        private final LineSplitter out;
        private final LineSplitter err;
        private final OutputConsumer consumer;

        private Streams(int maxLineLength, byte[] stdoutTail, byte[] stderrTail, LongSupplier pid,
                Consumer<String> observer) {
            LineSplitter.Sink sink = (stream, bytes, length) -> {
                String text = shown(bytes, length);
                line(stream, pid.getAsLong(), text);
                observer.accept(text);
            };
            out = new LineSplitter(StreamKind.STDOUT, maxLineLength, sink);
            err = new LineSplitter(StreamKind.STDERR, maxLineLength, sink);
            if (stdoutTail != null) {
                out.prime(stdoutTail);
            }
            if (stderrTail != null) {
                err.prime(stderrTail);
            }
            consumer = (stream, data) -> (stream == StreamKind.STDERR ? err : out).feed(data);
        }

        /** Receives the program's output (delivery thread). */
        OutputConsumer consumer() {
            return consumer;
        }

        /** Emits the partial last lines (the program ended). */
        void flush() {
            out.flush();
            err.flush();
        }

        /** The partial last stdout line (handed to the next supervisor version). */
        byte[] pendingStdout() {
            return out.pendingBytes();
        }

        byte[] pendingStderr() {
            return err.pendingBytes();
        }
    }
}
