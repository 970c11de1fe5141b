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

    @Command(scope = "corral", name = "typed")
    static class Typed {
        @Option(name = "--count")
        int count;
        @Option(name = "--port")
        Integer port;
        @Option(name = "--size")
        long size;
        @Option(name = "--factor")
        Double factor;
        @Option(name = "--on")
        Boolean on;
    }

    @Test
    void lateOptionsAreConvertedToTheFieldsTypeAsKarafDoes() throws Exception {
        Typed t = new Typed();
        Commands.applyLateOptions(t, List.of("--count", "3", "--port=8080", "--size", "-5", "--factor", "1.5",
                "--on=no"));
        assertEquals(3, t.count);
        assertEquals(8080, t.port);
        assertEquals(-5L, t.size);
        assertEquals(1.5, t.factor);
        assertEquals(Boolean.FALSE, t.on);
        Commands.applyLateOptions(t, List.of("--on"));
        assertEquals(Boolean.TRUE, t.on);
        CommandException e = assertThrows(CommandException.class,
                () -> Commands.applyLateOptions(new Typed(), List.of("--count", "three")));
        assertEquals("corral: option --count: 'three' is not a whole number", e.getNiceHelp());
        e = assertThrows(CommandException.class, () -> Commands.applyLateOptions(new Typed(), List.of("--factor=x")));
        assertEquals("corral: option --factor: 'x' is not a number", e.getNiceHelp());
        e = assertThrows(CommandException.class, () -> Commands.applyLateOptions(new Typed(), List.of("--on=maybe")));
        assertEquals("corral: option --on: 'maybe' is not a boolean (true or false)", e.getNiceHelp());
    }

    /**
     * Every option of every command of this bundle can be given after the positional argument: its type is
     * one the late-option parser converts, and a sample value lands in the field as Karaf's parser would
     * put it there.
     */
    @Test
    void everyOptionOfEveryCommandCanBeGivenLate() throws Exception {
        List<Class<?>> commands = commandClasses();
        assertTrue(commands.size() >= 11, commands.toString());
        int options = 0;
        for (Class<?> type : commands) {
            for (Class<?> t = type; t != null; t = t.getSuperclass()) {
                for (java.lang.reflect.Field f : t.getDeclaredFields()) {
                    Option o = f.getAnnotation(Option.class);
                    if (o == null || o.name().equals(Commands.END_OF_OPTIONS)) {
                        continue;
                    }
                    options++;
                    assertTrue(Commands.OPTION_TYPES.contains(f.getType()), f + " has a type the late options"
                            + " cannot convert");
                    Object action = type.getDeclaredConstructor().newInstance();
                    String sample = sample(f.getType());
                    List<String> words = sample == null ? List.of(o.name()) : List.of(o.name(), sample);
                    Commands.applyLateOptions(action, words);
                    f.setAccessible(true);
                    Object got = f.get(action);
                    Object expected = o.multiValued() ? List.of(sample) : Commands.convert(f.getType(), sample, o.name());
                    assertEquals(expected, got, f.toString());
                    for (String alias : o.aliases()) {
                        Object again = type.getDeclaredConstructor().newInstance();
                        Commands.applyLateOptions(again, sample == null ? List.of(alias) : List.of(alias + "=" + sample));
                        assertEquals(expected, f.get(again), alias);
                    }
                }
            }
        }
        assertTrue(options >= 40, "options found: " + options);
    }

    private static String sample(Class<?> type) {
        if (type == boolean.class || type == Boolean.class) {
            return null;
        }
        if (type == double.class || type == Double.class) {
            return "2.5";
        }
        if (type == String.class || type == List.class) {
            return "some value";
        }
        return "7";
    }

    /** The @Command classes of this bundle, from its compiled classes. */
    static List<Class<?>> commandClasses() throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of(CreateCommand.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI()).resolve(CreateCommand.class.getPackageName().replace('.', '/'));
        List<Class<?>> out = new java.util.ArrayList<>();
        try (var files = java.nio.file.Files.list(dir)) {
            for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) files::iterator) {
                String file = p.getFileName().toString();
                if (file.endsWith(".class") && !file.contains("$")) {
                    Class<?> c = Class.forName(CreateCommand.class.getPackageName() + "."
                            + file.substring(0, file.length() - ".class".length()));
                    if (c.isAnnotationPresent(Command.class)) {
                        out.add(c);
                    }
                }
            }
        }
        return out;
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
