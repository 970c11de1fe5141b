package org.corral.supervisor.internal.daemon;

import java.util.function.Consumer;

import org.corral.api.DaemonSpec;
import org.corral.api.LogLevel;
import org.corral.api.OutputConsumer;
import org.corral.api.StreamKind;
import org.corral.api.values.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon's output: the stdout and stderr of each program run are cut into lines ({@link LineSplitter}:
 * maximum length, the last partial line flushed at the end), each line is made safe to show once, here
 * ({@link #shown}: control characters visible, binary lines summarised), and the safe text goes into the ring
 * of recent lines ({@link RecentLines}, for the console, its followers and JMX), to the readiness check and to
 * the daemon's logger ({@code org.corral.daemon.<name>}) at its stream's level ({@code off}: not logged) after
 * the prefix ({@code [<name>] } by default). The same logger carries the daemon's own messages
 * ({@link #logger()}).
 *
 * <p>Thread-safe: lines of one run arrive on the engine's delivery thread; {@link #reconfigure} may come from
 * any thread and applies to the next line.
 */
final class DaemonOutput {

    private final String name;
    private final Logger log;
    private final RecentLines recent;
    private volatile DaemonSpec spec;

    DaemonOutput(DaemonSpec spec) {
        this.name = spec.name();
        this.spec = spec;
        this.log = LoggerFactory.getLogger(SupervisedDaemon.LOGGER_PREFIX + name);
        this.recent = new RecentLines(spec.recentLines());
    }

    /** The daemon's logger: its output lines and its own messages. */
    Logger logger() {
        return log;
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
    Streams open(byte[] stdoutTail, byte[] stderrTail, Consumer<String> observer) {
        return new Streams(spec.maxLineLength(), stdoutTail, stderrTail, observer);
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

    /** One line of output, already {@link #shown safe}: into the ring and the log. */
    void line(StreamKind stream, String text) {
        recent.add(stream, text);
        DaemonSpec s = spec;
        LogLevel level = stream == StreamKind.STDERR ? s.stderrLevel() : s.stdoutLevel();
        if (level != LogLevel.OFF) {
            logAt(level, s.logPrefix() != null ? s.logPrefix() : "[" + name + "] ", text);
        }
    }

    private void logAt(LogLevel level, String prefix, String text) {
        switch (level) {
            case TRACE:
                if (log.isTraceEnabled()) {
                    log.trace("{}{}", prefix, text);
                }
                break;
            case DEBUG:
                if (log.isDebugEnabled()) {
                    log.debug("{}{}", prefix, text);
                }
                break;
            case INFO:
                log.info("{}{}", prefix, text);
                break;
            case WARN:
                log.warn("{}{}", prefix, text);
                break;
            case ERROR:
                log.error("{}{}", prefix, text);
                break;
            default:
                break;
        }
    }

    /** The line splitters of one program run: the consumer handed to the engine. */
    final class Streams {
        private final LineSplitter out;
        private final LineSplitter err;
        private final OutputConsumer consumer;

        private Streams(int maxLineLength, byte[] stdoutTail, byte[] stderrTail, Consumer<String> observer) {
            LineSplitter.Sink sink = (stream, bytes, length) -> {
                String text = shown(bytes, length);
                line(stream, text);
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
