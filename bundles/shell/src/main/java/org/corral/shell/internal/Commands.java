package org.corral.shell.internal;

import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.support.CommandException;

/** Helpers shared by the commands: one-line errors, the split of a command line at {@code --}, late options. */
final class Commands {

    /** Separates Corral's options from the program and its arguments. */
    static final String END_OF_OPTIONS = "--";

    /** The option field types {@link #applyLateOptions} converts to, as Karaf's own parser does. */
    static final List<Class<?>> OPTION_TYPES = List.of(String.class, boolean.class, Boolean.class, int.class,
            Integer.class, long.class, Long.class, double.class, Double.class, List.class);

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
     * {@code NAME=value} → {NAME, value} (the value may contain {@code =}).
     *
     * @param what what the word should be, for the message ("an environment variable")
     */
    static String[] keyValue(String text, String what) {
        int eq = text == null ? -1 : text.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("'" + text + "' is not " + what + " (expected NAME=value)");
        }
        return new String[] {text.substring(0, eq), text.substring(eq + 1)};
    }

    /**
     * Applies options written after a positional argument to the action's {@link Option} fields.
     *
     * <p>Why: Karaf's parser takes options only before the first positional argument, and leaves every word
     * after it to the arguments. {@code corral:create NAME --memory-max 64M -- prog} reads naturally (the
     * README shows it), so the commands whose program follows {@code --} collect the words between the
     * positional argument and {@code --} and pass them here. They are read as Karaf reads options: the same
     * names and aliases, {@code --name value} or {@code --name=value}, a boolean option alone means true,
     * a multi-valued option collects its values, and the value is converted to the field's type (one of
     * {@link #OPTION_TYPES}: String, boolean, int, long, double, or a List of String for multi-valued ones)
     * with the same rules as Karaf's converter. A test applies every option of every command this way.
     *
     * @throws CommandException naming the word that is no option of the command, the option missing a value,
     *     or the value that is not of the option's type
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
            Class<?> type = field.getType();
            if (value == null && !(type == boolean.class || type == Boolean.class)) {
                if (i + 1 >= words.size()) {
                    throw error("corral: option " + name + " of " + cmd + " needs a value");
                }
                value = words.get(++i);
            }
            set(action, field, name, value);
        }
    }

    private static void set(Object action, Field field, String name, String value) throws CommandException {
        Option option = field.getAnnotation(Option.class);
        try {
            field.setAccessible(true);
            if (option.multiValued()) {
                if (field.getType() != List.class || !isListOfString(field)) {
                    throw new IllegalStateException("multi-valued option field " + field + " is not a List<String>");
                }
                @SuppressWarnings("unchecked")
                List<String> list = (List<String>) field.get(action);
                List<String> copy = list == null ? new ArrayList<>() : new ArrayList<>(list);
                copy.add(value);
                field.set(action, copy);
            } else {
                field.set(action, convert(field.getType(), value, name));
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code value} (null: a boolean option given alone) as {@code type}, the way Karaf's converter reads it. */
    static Object convert(Class<?> type, String value, String option) throws CommandException {
        try {
            if (type == String.class) {
                return value;
            }
            if (type == boolean.class || type == Boolean.class) {
                if (value == null) {
                    return true;
                }
                switch (value.toLowerCase(Locale.ROOT)) {
                    case "true": case "yes": case "on": return true;
                    case "false": case "no": case "off": return false;
                    default: throw new IllegalArgumentException();
                }
            }
            if (type == int.class || type == Integer.class) {
                return Integer.valueOf(value);
            }
            if (type == long.class || type == Long.class) {
                return Long.valueOf(value);
            }
            if (type == double.class || type == Double.class) {
                return Double.valueOf(value);
            }
        } catch (IllegalArgumentException e) {
            throw error("corral: option " + option + ": '" + value + "' is not " + typeName(type));
        }
        throw new IllegalStateException("option " + option + " has the unsupported type " + type);
    }

    private static String typeName(Class<?> type) {
        if (type == boolean.class || type == Boolean.class) {
            return "a boolean (true or false)";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        return "a whole number";
    }

    private static boolean isListOfString(Field f) {
        return f.getGenericType() instanceof ParameterizedType
                && ((ParameterizedType) f.getGenericType()).getActualTypeArguments()[0] == String.class;
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
