package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.support.CommandException;
import org.junit.jupiter.api.Test;

class CommandsTest {

    @Command(scope = "corral", name = "probe")
    static class Probe {
        @Option(name = "--memory-max")
        String memoryMax;
        @Option(name = "-e", aliases = "--env", multiValued = true)
        List<String> env;
        @Option(name = "--merge")
        boolean merge;
    }

    @Test
    void splitsAtTheFirstDoubleDash() {
        Commands.Split s = Commands.split(List.of("--memory-max", "64M", "--", "sh", "-c", "echo --"));
        assertEquals(List.of("--memory-max", "64M"), s.before());
        assertEquals(List.of("sh", "-c", "echo --"), s.after());
        assertTrue(s.separated());
        Commands.Split none = Commands.split(List.of("sh", "-c", "x"));
        assertFalse(none.separated());
        assertEquals(List.of("sh", "-c", "x"), none.after());
        assertEquals(List.of(), Commands.split(null).after());
    }

    @Test
    void lateOptionsUseTheCommandsOwnOptions() throws Exception {
        Probe p = new Probe();
        Commands.applyLateOptions(p, List.of("--memory-max", "64M", "-e", "A=1", "--env=B=2", "--merge"));
        assertEquals("64M", p.memoryMax);
        assertEquals(List.of("A=1", "B=2"), p.env);
        assertTrue(p.merge);
        Probe q = new Probe();
        Commands.applyLateOptions(q, List.of("--memory-max=1G"));
        assertEquals("1G", q.memoryMax);
        assertNull(q.env);
    }

    @Test
    void lateOptionErrorsNameTheWordAndTheCommand() {
        CommandException unknown = assertThrows(CommandException.class,
                () -> Commands.applyLateOptions(new Probe(), List.of("--memroy-max", "1G")));
        assertEquals("corral: unknown option '--memroy-max' for corral:probe (see corral:probe --help)",
                unknown.getNiceHelp());
        CommandException missing = assertThrows(CommandException.class,
                () -> Commands.applyLateOptions(new Probe(), List.of("--memory-max")));
        assertEquals("corral: option --memory-max of corral:probe needs a value", missing.getNiceHelp());
        CommandException stray = assertThrows(CommandException.class,
                () -> Commands.applyLateOptions(new Probe(), List.of("sh")));
        assertTrue(stray.getNiceHelp().startsWith("corral: unexpected 'sh' before '--'"), stray.getNiceHelp());
    }

    @Test
    void errorsPrintAsTheyAre() {
        assertEquals("corral: boom", Commands.error("corral: boom").getNiceHelp());
        assertEquals("corral: boom", Commands.error("corral: boom").getMessage());
    }

    @Test
    void unknownDaemonNamesListTheKnownOnes() {
        assertEquals("corral: no daemon named 'x' (known: a, b)", Daemons.unknown("x", List.of("b", "a")));
        assertEquals("corral: no daemon named 'x' (known: none)", Daemons.unknown("x", List.of()));
    }
}
