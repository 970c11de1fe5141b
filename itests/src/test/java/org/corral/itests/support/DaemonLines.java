package org.corral.itests.support;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The lines that Corral logs through the per-daemon SLF4J loggers {@code org.corral.daemon.<name>}, read from
 * a dedicated log file (see {@link #LOGGING_CONFIG}): one line per event, {@code <timestamp> <logger>
 * <message>}. Read incrementally; for every daemon that runs {@code print_seq} the numbers of its output lines
 * ({@code "[<name>] N"}, the default prefix) are checked as they come: the first must be 1 and each next one
 * the previous plus one, so that a gap or a repetition anywhere from the first to the last line read is
 * found. The other lines of a daemon's logger (state changes such as "handed over" or "re-attached") are
 * kept as they are.
 */
public final class DaemonLines {

    /** The file, relative to Karaf's data directory. */
    public static final String FILE = "log/daemon-lines.log";

    /**
     * Entries of {@code etc/org.ops4j.pax.logging.cfg} that send the daemon loggers to {@link #FILE} only (not
     * to karaf.log, which would rotate at 16 MB under a flood of numbered lines), one event per line, no
     * rotation.
     */
    public static final Map<String, String> LOGGING_CONFIG = loggingConfig();

    private static Map<String, String> loggingConfig() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("log4j2.appender.daemonlines.type", "File");
        m.put("log4j2.appender.daemonlines.name", "DaemonLines");
        m.put("log4j2.appender.daemonlines.fileName", "${karaf.data}/" + FILE);
        m.put("log4j2.appender.daemonlines.append", "true");
        m.put("log4j2.appender.daemonlines.immediateFlush", "true");
        m.put("log4j2.appender.daemonlines.layout.type", "PatternLayout");
        m.put("log4j2.appender.daemonlines.layout.pattern", "%d{ISO8601} %c %m%n");
        m.put("log4j2.logger.daemonlines.name", "org.corral.daemon");
        m.put("log4j2.logger.daemonlines.level", "INFO");
        m.put("log4j2.logger.daemonlines.additivity", "false");
        m.put("log4j2.logger.daemonlines.appenderRef.DaemonLines.ref", "DaemonLines");
        return m;
    }

    private static final String LOGGER_PREFIX = "org.corral.daemon.";

    /** What has been read of one daemon's lines. */
    public static final class Daemon {
        public final String name;
        private final Pattern numbered;
        /** First and last number seen, how many numbered lines, and the first irregularities. */
        long first = -1;
        long last = -1;
        long count;
        final List<String> problems = new ArrayList<>();
        long problemCount;
        final List<String> other = new ArrayList<>();

        Daemon(String name) {
            this.name = name;
            this.numbered = Pattern.compile("^" + Pattern.quote("[" + name + "] ") + "(\\d{1,18})$");
        }

        void accept(String timestamp, String message) {
            Matcher m = numbered.matcher(message);
            if (!m.matches()) {
                other.add(timestamp + " " + message);
                return;
            }
            long n = Long.parseLong(m.group(1));
            if (count == 0) {
                first = n;
                if (n != 1) {
                    problem(timestamp + ": the first line is " + n + ", not 1");
                }
            } else if (n != last + 1) {
                problem(timestamp + ": " + n + " after " + last + (n <= last ? " (repeated)" : " (missing "
                        + (last + 1) + (n - 1 > last + 1 ? ".." + (n - 1) : "") + ")"));
            }
            last = Math.max(last, n);
            count++;
        }

        private void problem(String text) {
            problemCount++;
            if (problems.size() < 20) {
                problems.add(text);
            }
        }

        /** The highest number logged so far (0 when none). */
        public long last() {
            return Math.max(last, 0);
        }

        public long count() {
            return count;
        }

        /** Gaps, repetitions and a first line other than 1 (at most 20 described), empty when none. */
        public List<String> problems() {
            return List.copyOf(problems);
        }

        /** Every line of the daemon's logger that is not one of its numbered output lines. */
        public List<String> otherLines() {
            return List.copyOf(other);
        }

        /** How many of {@link #otherLines()} contain {@code text}. */
        public long countOther(String text) {
            return other.stream().filter(l -> l.contains(text)).count();
        }

        /** One line for messages: range, count and the irregularities. */
        public String summary() {
            return name + ": lines " + first + ".." + last + ", " + count + " numbered lines, " + problemCount
                    + " irregularities" + (problems.isEmpty() ? "" : " " + problems);
        }
    }

    private final Path file;
    private final Map<String, Daemon> daemons = new LinkedHashMap<>();
    private long offset;
    private final StringBuilder partial = new StringBuilder();

    public DaemonLines(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Starts keeping the lines of {@code name} (lines of other daemons are ignored). */
    public synchronized DaemonLines track(String... names) {
        for (String n : names) {
            daemons.computeIfAbsent(n, Daemon::new);
        }
        return this;
    }

    /** Reads what was appended to the file since the last call (complete lines only). */
    public synchronized void poll() {
        if (!Files.exists(file)) {
            return;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long length = raf.length();
            if (length < offset) {
                throw new AssertionError(file + " shrank from " + offset + " to " + length + " bytes (rotated?)");
            }
            byte[] buffer = new byte[1 << 20];
            raf.seek(offset);
            while (offset < length) {
                int n = raf.read(buffer, 0, (int) Math.min(buffer.length, length - offset));
                if (n <= 0) {
                    break;
                }
                offset += n;
                partial.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                int start = 0;
                for (int nl = partial.indexOf("\n", start); nl >= 0; nl = partial.indexOf("\n", start)) {
                    line(partial.substring(start, nl));
                    start = nl + 1;
                }
                partial.delete(0, start);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }

    private void line(String line) {
        int s1 = line.indexOf(' ');
        int s2 = s1 < 0 ? -1 : line.indexOf(' ', s1 + 1);
        if (s2 < 0) {
            return;
        }
        String logger = line.substring(s1 + 1, s2);
        if (!logger.startsWith(LOGGER_PREFIX)) {
            return;
        }
        Daemon d = daemons.get(logger.substring(LOGGER_PREFIX.length()));
        if (d != null) {
            d.accept(line.substring(0, s1), line.substring(s2 + 1));
        }
    }

    /** The lines read so far of a tracked daemon (after a {@link #poll()}). */
    public synchronized Daemon daemon(String name) {
        Daemon d = daemons.get(name);
        if (d == null) {
            throw new IllegalArgumentException("not tracked: " + name);
        }
        return d;
    }

    /** Polls (every 50 ms) until {@code condition} holds; fails after {@code bound} with the summaries. */
    public void await(String what, java.time.Duration bound, BooleanSupplier condition) {
        Await.until(what, bound, () -> {
            poll();
            synchronized (this) {
                return condition.getAsBoolean();
            }
        }, this::describe);
    }

    /** Every tracked daemon's summary and last other lines (for failure messages). */
    public synchronized String describe() {
        return daemons.values().stream().map(d -> d.summary() + "\n    last other lines: "
                + String.join("\n      ", d.other.subList(Math.max(0, d.other.size() - 8), d.other.size())))
                .collect(Collectors.joining("\n  ", "--- " + file + " (" + offset + " bytes read):\n  ", "\n---"));
    }

    /** The number of stdout bytes that print_seq has written for lines 1..n ("1\n" .. "n\n"). */
    public static long printSeqBytes(long n) {
        long total = 0;
        long digits = 1;
        for (long low = 1; low <= n; low *= 10, digits++) {
            long high = Math.min(n, low * 10 - 1);
            total += (high - low + 1) * (digits + 1);
        }
        return total;
    }
}
