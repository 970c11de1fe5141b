package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.corral.api.CommandSpec;
import org.corral.api.DaemonSpec;
import org.corral.api.LogLevel;
import org.corral.api.StreamKind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * Issue 12.8: every record of a daemon's logger carries the daemon in its MDC (name, pid, stream; the command
 * on the first record of a run), so that a log appender or filter can select one daemon's lines; the thread's
 * own MDC is left as it was.
 */
class DaemonOutputMdcTest {

    /** A record as logged, with the MDC at that moment. */
    record Logged(Level level, String text, Map<String, String> mdc) {
    }

    /** Records every call with a copy of the MDC. */
    static final class Capture extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        final List<Logged> records = new ArrayList<>();

        Capture() {
            name = "org.corral.daemon.mdc";
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                Throwable t) {
            Map<String, String> mdc = MDC.getCopyOfContextMap();
            records.add(new Logged(level, MessageFormatter.basicArrayFormat(pattern, args),
                    mdc == null ? Map.of() : new HashMap<>(mdc)));
        }

        @Override public boolean isTraceEnabled() { return true; }
        @Override public boolean isDebugEnabled() { return true; }
        @Override public boolean isInfoEnabled() { return true; }
        @Override public boolean isWarnEnabled() { return true; }
        @Override public boolean isErrorEnabled() { return true; }
    }

    private static Object nopAdapter;

    /** slf4j-simple (the tests' SLF4J provider) keeps no MDC: use SLF4J's own map-backed adapter here. */
    @BeforeAll
    static void realMdc() throws ReflectiveOperationException {
        Field f = MDC.class.getDeclaredField("MDC_ADAPTER");
        f.setAccessible(true);
        nopAdapter = MDC.getMDCAdapter();
        f.set(null, new BasicMDCAdapter());
    }

    @AfterAll
    static void backToNop() throws ReflectiveOperationException {
        Field f = MDC.class.getDeclaredField("MDC_ADAPTER");
        f.setAccessible(true);
        f.set(null, nopAdapter);
    }

    private static final DaemonSpec SPEC = DaemonSpec.builder("mdc", CommandSpec.of("/bin/sh", "-c", "echo hi"))
            .stderrLevel(LogLevel.ERROR).build();

    @Test
    void outputLinesCarryNamePidAndStream() {
        Capture log = new Capture();
        DaemonOutput out = new DaemonOutput(SPEC, new OutputMemory(OutputBudget.DEFAULT), log);
        DaemonOutput.Streams streams = out.open(null, null, () -> 4242, line -> { });
        streams.consumer().accept(StreamKind.STDOUT, ByteBuffer.wrap("one\n".getBytes(StandardCharsets.UTF_8)));
        streams.consumer().accept(StreamKind.STDERR, ByteBuffer.wrap("two\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(2, log.records.size());
        assertEquals(new Logged(Level.INFO, "[mdc] one", Map.of("daemon.name", "mdc", "daemon.pid", "4242",
                "daemon.stream", "stdout")), log.records.get(0));
        assertEquals(new Logged(Level.ERROR, "[mdc] two", Map.of("daemon.name", "mdc", "daemon.pid", "4242",
                "daemon.stream", "stderr")), log.records.get(1));
    }

    @Test
    void theFirstRecordOfARunCarriesTheCommand() {
        Capture log = new Capture();
        DaemonOutput out = new DaemonOutput(SPEC, new OutputMemory(OutputBudget.DEFAULT), log);
        out.message(Level.INFO, 77, SPEC.command().argv(), "{}", "started: pid 77");
        out.message(Level.WARN, -1, null, "stopped ({})", "exit 1");
        assertEquals(Map.of("daemon.name", "mdc", "daemon.pid", "77", "daemon.command", "/bin/sh -c 'echo hi'"),
                log.records.get(0).mdc());
        assertEquals(Map.of("daemon.name", "mdc"), log.records.get(1).mdc(), "no pid when none runs");
        assertEquals("stopped (exit 1)", log.records.get(1).text());
    }

    @Test
    void theThreadsOwnMdcIsPutBack() {
        Capture log = new Capture();
        DaemonOutput out = new DaemonOutput(SPEC, new OutputMemory(OutputBudget.DEFAULT), log);
        MDC.put("daemon.name", "caller's");
        MDC.put("bundle.id", "42");
        try {
            out.message(Level.INFO, 1, null, "x");
            assertEquals("mdc", log.records.get(0).mdc().get("daemon.name"));
            assertEquals("42", log.records.get(0).mdc().get("bundle.id"));
            assertEquals("caller's", MDC.get("daemon.name"));
            assertNull(MDC.get("daemon.pid"));
        } finally {
            MDC.clear();
        }
    }
}
