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
 * <p>Memory: the ring and the two partial lines of a run stay within the daemon's {@link OutputBudget} (the
 * ring gets {@link OutputBudget#ringBytes}) and count against the total of all daemons ({@link OutputMemory}).
 *
 * <p>Failures: whatever goes wrong while a chunk of output is handled (a logging back-end that throws, an
 * {@link OutOfMemoryError}) costs that chunk and the partial line, reported (at most every
 * {@link #REPORT_EVERY_NS 10 s}), and never the delivery: the next chunk is handled as usual.
 *
 * <p>Thread-safe: lines of one run arrive on its delivery lane; {@link #reconfigure} may come from any thread
 * and applies to the next line.
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

    /** Failures are reported at most this often (a broken log back-end would otherwise report every chunk). */
    static final long REPORT_EVERY_NS = 10_000_000_000L;

    private final String name;
    private final Logger log;
    private final RecentLines recent;
    private final OutputMemory memory;
    private final java.util.concurrent.atomic.AtomicLong lostBytes = new java.util.concurrent.atomic.AtomicLong();
    private volatile long lastReport = System.nanoTime() - REPORT_EVERY_NS;
    private volatile DaemonSpec spec;

    /** @param memory the output memory of all daemons of the engine (budgets and total) */
    DaemonOutput(DaemonSpec spec, OutputMemory memory) {
        this(spec, memory, LoggerFactory.getLogger(SupervisedDaemon.LOGGER_PREFIX + spec.name()));
    }

    /** With a logger of one's own (tests). */
    DaemonOutput(DaemonSpec spec, OutputMemory memory, Logger log) {
        this.name = spec.name();
        this.spec = spec;
        this.memory = memory;
        this.log = log;
        this.recent = new RecentLines(spec.recentLines(), memory.budget().ringBytes(spec.maxLineLength()), memory);
    }

    /** The daemon is gone (closed or handed over): its lines no longer count against the total. */
    void close() {
        recent.leaveBudget();
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
        recent.resize(s.recentLines(), memory.budget().ringBytes(s.maxLineLength()));
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

    /** A chunk of {@code bytes} could not be handled: counted, and reported now and then. */
    private void failed(StreamKind stream, int bytes, Throwable t) {
        long lost = lostBytes.addAndGet(bytes);
        long now = System.nanoTime();
        if (now - lastReport < REPORT_EVERY_NS) {
            return;
        }
        lastReport = now;
        try {
            message(Level.ERROR, -1, null, "{} bytes of {} (the chunk and its partial line) lost while they were"
                    + " handled: {}; {} bytes lost so far; the output goes on", bytes,
                    stream == StreamKind.STDERR ? "stderr" : "stdout", t.toString(), lost, t);
        } catch (Throwable again) {
            // no memory even for the message: the next report says how much was lost
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
            LineSplitter.Memory counted = new LineSplitter.Memory() {
                @Override
                public boolean grow(int bytes) {
                    return memory.reserve(bytes);
                }

                @Override
                public void shrink(int bytes) {
                    memory.add(-bytes);
                }
            };
            out = new LineSplitter(StreamKind.STDOUT, maxLineLength, sink, counted);
            err = new LineSplitter(StreamKind.STDERR, maxLineLength, sink, counted);
            if (stdoutTail != null) {
                out.prime(stdoutTail);
            }
            if (stderrTail != null) {
                err.prime(stderrTail);
            }
            consumer = (stream, data) -> {
                LineSplitter splitter = stream == StreamKind.STDERR ? err : out;
                int size = data.remaining();
                try {
                    splitter.feed(data);
                } catch (Throwable t) {
                    data.position(data.limit());
                    splitter.reset();
                    failed(stream, size, t);
                }
            };
        }

        /** Receives the program's output (its delivery lane). */
        OutputConsumer consumer() {
            return consumer;
        }

        /** Emits the partial last lines (the program ended). */
        void flush() {
            flush(out, StreamKind.STDOUT);
            flush(err, StreamKind.STDERR);
        }

        private void flush(LineSplitter s, StreamKind stream) {
            int pending = s.pending();
            try {
                s.flush();
            } catch (Throwable t) {
                s.reset();
                failed(stream, pending, t);
            }
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
