package org.corral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** {@link ExitStatusSet}: systemd's exit status lists, and how {@link DaemonSpec} uses them. */
class ExitStatusSetTest {

    private static String refused(String text) {
        return assertThrows(IllegalArgumentException.class, () -> ExitStatusSet.parse(text)).getMessage();
    }

    @Test
    void parsesCodesAndSignalNamesSeparatedByBlanksOrCommas() {
        ExitStatusSet s = ExitStatusSet.parse(" 8 1,2  SIGKILL, term\tsigPipe ");
        assertEquals(Set.of(1, 2, 8), s.codes());
        assertEquals(Set.of(Signal.KILL, Signal.TERM, Signal.PIPE), s.signals());
        assertEquals("1 2 8 SIGKILL SIGPIPE SIGTERM", s.toString(), "codes ascending, then signals by number");
        assertEquals(s, ExitStatusSet.parse(s.toString()), "toString is the form parse reads");
        assertEquals(s.hashCode(), ExitStatusSet.parse(s.toString()).hashCode());
    }

    @Test
    void blankIsTheEmptySet() {
        assertSame(ExitStatusSet.EMPTY, ExitStatusSet.parse(""));
        assertSame(ExitStatusSet.EMPTY, ExitStatusSet.parse(" , "));
        assertTrue(ExitStatusSet.EMPTY.isEmpty());
        assertEquals("", ExitStatusSet.EMPTY.toString());
    }

    @Test
    void aNumberIsAnExitCodeNeverASignal() {
        ExitStatusSet s = ExitStatusSet.parse("15");
        assertTrue(s.contains(15, Optional.empty()));
        assertFalse(s.contains(-1, Optional.of(Signal.TERM)), "15 is exit code 15, not SIGTERM");
        ExitStatusSet term = ExitStatusSet.parse("TERM");
        assertTrue(term.contains(-1, Optional.of(Signal.TERM)));
        assertFalse(term.contains(143, Optional.empty()), "a caught SIGTERM that exits 143 is exit code 143");
    }

    @Test
    void refusalsNameTheWordAndSuggestTheNearestSignal() {
        assertEquals("exit code 256 is out of range: exit codes are 0 to 255", refused("1 256"));
        assertEquals("exit code 99999999999 is out of range: exit codes are 0 to 255", refused("99999999999"));
        assertEquals("'SIGTREM' is neither an exit code (0 to 255) nor a signal name (did you mean SIGTERM?)",
                refused("0 SIGTREM"));
        assertEquals("'KIL' is neither an exit code (0 to 255) nor a signal name (did you mean SIGKILL?)",
                refused("KIL"));
        assertEquals("'-1' is neither an exit code (0 to 255) nor a signal name (e.g. 1, 143, SIGTERM or KILL)",
                refused("-1"));
        assertEquals("'banana' is neither an exit code (0 to 255) nor a signal name (e.g. 1, 143, SIGTERM or KILL)",
                refused("banana"));
        assertThrows(InvalidCommandException.class, () -> ExitStatusSet.codes(300));
    }

    @Test
    void unionAndOf() {
        ExitStatusSet a = ExitStatusSet.of(List.of(1), List.of(Signal.HUP));
        ExitStatusSet b = ExitStatusSet.codes(2, 1);
        assertEquals(ExitStatusSet.parse("1 2 HUP"), a.union(b));
        assertSame(ExitStatusSet.EMPTY, ExitStatusSet.of(List.of(), List.of()));
    }

    @Test
    void daemonSpecCleanExits() {
        DaemonSpec plain = DaemonSpec.builder("d", CommandSpec.of("true")).build();
        assertTrue(plain.successExitStatus().isEmpty() && plain.restartPreventExitStatus().isEmpty());
        assertTrue(plain.isCleanExit(0, Optional.empty()));
        assertFalse(plain.isCleanExit(1, Optional.empty()));
        assertFalse(plain.isCleanExit(-1, Optional.of(Signal.TERM)), "no signal is clean by default");

        DaemonSpec s = plain.toBuilder().successExitStatus(ExitStatusSet.parse("143 SIGTERM"))
                .restartPreventExitStatus(ExitStatusSet.parse("78")).build();
        DaemonSpec copy = s.toBuilder().build();
        assertEquals(ExitStatusSet.parse("143 TERM"), copy.successExitStatus());
        assertEquals(ExitStatusSet.codes(78), copy.restartPreventExitStatus());
        assertTrue(s.isCleanExit(143, Optional.empty()));
        assertTrue(s.isCleanExit(-1, Optional.of(Signal.TERM)));
        assertTrue(s.isCleanExit(0, Optional.empty()), "0 stays clean");
        assertFalse(s.isCleanExit(-1, Optional.of(Signal.KILL)));

        Instant t = Instant.now();
        assertTrue(s.isCleanExit(new DaemonExit(1, 143, Optional.empty(), t, false, false, DaemonExit.Reason.EXITED)));
        assertFalse(s.isCleanExit(new DaemonExit(1, 78, Optional.empty(), t, false, false, DaemonExit.Reason.EXITED)));
        assertTrue(s.isCleanExit(new DaemonExit(1, -1, Optional.of(Signal.KILL), t, false, true,
                DaemonExit.Reason.STOPPED)), "a stop on request is clean");
        assertFalse(s.isCleanExit(new DaemonExit(1, -1, Optional.of(Signal.TERM), t, false, false,
                DaemonExit.Reason.READINESS_TIMEOUT)), "Corral's kills are failures, whatever the signal");
    }
}
