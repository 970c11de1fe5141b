package org.corral.shell.internal;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.support.CommandException;

/** Helpers shared by the commands: one-line errors and the split of a command line at {@code --}. */
final class Commands {

    /** Separates Corral's options from the program and its arguments. */
    static final String END_OF_OPTIONS = "--";

    private Commands() {
    }

    /** An error the console prints as it is, on one line, without a stack trace. */
    static CommandException error(String message) {
        return new CommandException(message, message);
    }

    /** The words before and after the first {@code --}. */
    record Split(List<String> before, List<String> after, boolean separated) {
    }

    static Split split(List<String> words) {
        List<String> w = words == null ? List.of() : words;
        int i = w.indexOf(END_OF_OPTIONS);
        if (i < 0) {
            return new Split(List.of(), List.copyOf(w), false);
        }
        return new Split(List.copyOf(w.subList(0, i)), List.copyOf(w.subList(i + 1, w.size())), true);
    }

    /**
     * Applies options written after a positional argument ({@code corral:create NAME --memory-max 64M -- prog}),
     * which Karaf's own parser leaves as positional words, to the action's {@link Option} fields: the same
     * names, aliases and types (String, boolean, multi-valued List of String), {@code --name=value} or
     * {@code --name value}.
     *
     * @throws CommandException naming the word that is no option of the command, or the option missing a value
     */
    static void applyLateOptions(Object action, List<String> words) throws CommandException {
        String cmd = commandName(action);
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (!word.startsWith("-") || word.equals(END_OF_OPTIONS)) {
                throw error("corral: unexpected '" + word + "' before '--' (usage: " + cmd
                        + " [options] <name> -- <command> [args])");
            }
            String name = word;
            String value = null;
            int eq = word.indexOf('=');
            if (eq > 0) {
                name = word.substring(0, eq);
                value = word.substring(eq + 1);
            }
            Field field = optionField(action.getClass(), name);
            if (field == null) {
                throw error("corral: unknown option '" + name + "' for " + cmd + " (see " + cmd + " --help)");
            }
            Option option = field.getAnnotation(Option.class);
            try {
                field.setAccessible(true);
                if (field.getType() == boolean.class || field.getType() == Boolean.class) {
                    field.set(action, value == null || Boolean.parseBoolean(value));
                    continue;
                }
                if (value == null) {
                    if (i + 1 >= words.size()) {
                        throw error("corral: option " + name + " of " + cmd + " needs a value");
                    }
                    value = words.get(++i);
                }
                if (option.multiValued()) {
                    @SuppressWarnings("unchecked")
                    List<String> list = (List<String>) field.get(action);
                    List<String> copy = list == null ? new ArrayList<>() : new ArrayList<>(list);
                    copy.add(value);
                    field.set(action, copy);
                } else if (field.getType() == String.class) {
                    field.set(action, value);
                } else {
                    throw new IllegalStateException("option field " + field + " has an unsupported type");
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static Field optionField(Class<?> type, String name) {
        for (Class<?> t = type; t != null; t = t.getSuperclass()) {
            for (Field f : t.getDeclaredFields()) {
                Option o = f.getAnnotation(Option.class);
                if (o != null && (o.name().equals(name) || Arrays.asList(o.aliases()).contains(name))) {
                    return f;
                }
            }
        }
        return null;
    }

    private static String commandName(Object action) {
        Command c = action.getClass().getAnnotation(Command.class);
        return c == null ? "command" : c.scope() + ":" + c.name();
    }
}
