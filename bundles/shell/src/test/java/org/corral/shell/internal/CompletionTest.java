package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.console.CommandLine;
import org.corral.api.Daemon;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Issue 12.5: daemon names complete with Tab for corral:signal and corral:reload as for the other commands, and
 * signal names for the second argument of corral:signal.
 */
class CompletionTest {

    /** A command line whose cursor is at the end of {@code word}, the argument at {@code index}. */
    static CommandLine line(String word, int index) {
        return (CommandLine) Proxy.newProxyInstance(CompletionTest.class.getClassLoader(),
                new Class<?>[] {CommandLine.class}, (p, m, a) -> {
                    switch (m.getName()) {
                        case "getCursorArgument":
                            return word;
                        case "getArgumentPosition":
                            return word.length();
                        case "getCursorArgumentIndex":
                            return index;
                        case "getBufferPosition":
                            return word.length();
                        case "getBuffer":
                            return word;
                        case "getArguments":
                            return new String[] {word};
                        default:
                            throw new UnsupportedOperationException(m.getName());
                    }
                });
    }

    /** A framework in which daemons of these names are registered. */
    @SuppressWarnings("unchecked")
    static BundleContext daemons(String... names) {
        List<ServiceReference<Daemon>> refs = new ArrayList<>();
        for (String n : names) {
            refs.add((ServiceReference<Daemon>) Proxy.newProxyInstance(CompletionTest.class.getClassLoader(),
                    new Class<?>[] {ServiceReference.class}, (p, m, a) -> {
                        if (m.getName().equals("getProperty")) {
                            return Map.of(Daemon.PROP_NAME, n).get(a[0]);
                        }
                        if (m.getName().equals("compareTo")) {
                            return 0;
                        }
                        throw new UnsupportedOperationException(m.getName());
                    }));
        }
        return (BundleContext) Proxy.newProxyInstance(CompletionTest.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> {
                    if (m.getName().equals("getServiceReferences")) {
                        return refs;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    static List<String> complete(org.apache.karaf.shell.api.console.Completer c, String word) {
        List<String> candidates = new ArrayList<>();
        c.complete(null, line(word, 1), candidates);
        List<String> out = new ArrayList<>();
        for (String s : candidates) {
            out.add(s.trim());
        }
        return out;
    }

    @Test
    void daemonNamesComplete() {
        DaemonNameCompleter c = new DaemonNameCompleter();
        c.context = daemons("mqtt", "modbus", "web");
        assertEquals(List.of("modbus", "mqtt"), complete(c, "m"));
        assertEquals(List.of("web"), complete(c, "w"));
    }

    @Test
    void signalNamesComplete() {
        List<String> all = complete(new SignalCompleter(), "US");
        assertEquals(List.of("USR1", "USR2"), all);
        assertTrue(complete(new SignalCompleter(), "").contains("HUP"));
    }

    /** Every corral command whose first argument is a daemon name completes it, signal and reload included. */
    @Test
    void everyCommandNamingADaemonCompletesTheName() throws Exception {
        List<String> checked = new ArrayList<>();
        for (Class<?> type : List.of(SignalCommand.class, ReloadCommand.class, StartCommand.class, StopCommand.class,
                RestartCommand.class, StatusCommand.class, LogsCommand.class, StatsCommand.class,
                DeleteCommand.class)) {
            Field name = null;
            for (Class<?> t = type; t != null && name == null; t = t.getSuperclass()) {
                for (Field f : t.getDeclaredFields()) {
                    Argument arg = f.getAnnotation(Argument.class);
                    if (arg != null && arg.index() == 0) {
                        name = f;
                    }
                }
            }
            assertTrue(name != null, type + " has a first argument");
            Completion completion = name.getAnnotation(Completion.class);
            assertTrue(completion != null && completion.value() == DaemonNameCompleter.class,
                    type.getSimpleName() + "'s " + name.getName() + " completes daemon names");
            checked.add(type.getAnnotation(Command.class).name());
        }
        assertTrue(checked.containsAll(List.of("signal", "reload")), checked.toString());
        Field signal = SignalCommand.class.getDeclaredField("signal");
        assertEquals(SignalCompleter.class, signal.getAnnotation(Completion.class).value());
    }
}
