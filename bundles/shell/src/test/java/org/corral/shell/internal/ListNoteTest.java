package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.List;

import org.corral.api.Daemon;
import org.corral.api.DaemonConfigValidator.Problem;
import org.corral.api.DaemonState;
import org.junit.jupiter.api.Test;

/** The Note column of corral:list (issue 12.3, 12.9): why a daemon is INVALID, what it waits for. */
class ListNoteTest {

    private static Daemon daemon(DaemonState state, List<Problem> problems, List<String> waitingFor) {
        return (Daemon) Proxy.newProxyInstance(Daemon.class.getClassLoader(), new Class<?>[] {Daemon.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "state": return state;
                        case "problems": return problems;
                        case "waitingFor": return waitingFor;
                        default: throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    @Test
    void anInvalidDaemonShowsItsFirstProblem() {
        assertEquals("restart = 'sometimes': unknown restart policy (and 1 more)", ListCommand.note(null, "web",
                daemon(DaemonState.INVALID, List.of(new Problem("restart", "restart = 'sometimes': unknown restart"
                        + " policy"), new Problem("args", "args: unterminated quote")), List.of())));
        assertEquals("depends.on cycle: a -> b -> a", ListCommand.note(null, "a", daemon(DaemonState.INVALID,
                List.of(new Problem("depends.on", "depends.on cycle: a -> b -> a")), List.of())));
    }

    @Test
    void aRefusedEditOfARunningDaemon() {
        assertEquals("configuration refused, runs the previous one: kill.grace = '5': a duration needs a unit",
                ListCommand.note(null, "web", daemon(DaemonState.READY, List.of(new Problem("kill.grace",
                        "kill.grace = '5': a duration needs a unit")), List.of())));
    }

    @Test
    void longNotesAreCutAndPointToStatus() {
        String note = ListCommand.note(null, "web", daemon(DaemonState.INVALID, List.of(new Problem("x",
                "x".repeat(300))), List.of()));
        assertTrue(note.endsWith("\u2026 (corral:status web)"), note);
        assertEquals(ListCommand.NOTE_MAX + "\u2026 (corral:status web)".length() - 1, note.length());
    }

    @Test
    void nothingToSay() {
        assertEquals("", ListCommand.note(null, "web", daemon(DaemonState.READY, List.of(), List.of())));
        assertEquals("\\x1b[2J", ListCommand.note(null, "web", daemon(DaemonState.INVALID, List.of(new Problem("x",
                "\u001b[2J")), List.of())), "escaped");
    }
}
