package org.corral.api;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A set of exit statuses of a program: exit codes (0 to 255) and terminating signals, as systemd's
 * {@code SuccessExitStatus=} and {@code RestartPreventExitStatus=} take them. A daemon uses two of them:
 * {@link DaemonSpec#successExitStatus()} and {@link DaemonSpec#restartPreventExitStatus()}.
 *
 * <p>Written as text ({@link #parse}): exit codes and signal names separated by blanks or commas, for example
 * {@code 1 2 8 SIGKILL} or {@code 75, TERM}. A bare number is always an exit code; a signal is named
 * ({@code SIGKILL} or {@code KILL}, any case). A signal counts only when it ended the program: a program that
 * catches SIGTERM and exits with code 143 ended with exit code 143.
 *
 * @since 1.2
 */
public final class ExitStatusSet {

    /** The empty set. */
    public static final ExitStatusSet EMPTY = new ExitStatusSet(new TreeSet<>(), EnumSet.noneOf(Signal.class));

    private final Set<Integer> codes;
    private final Set<Signal> signals;

    private ExitStatusSet(TreeSet<Integer> codes, EnumSet<Signal> signals) {
        this.codes = Collections.unmodifiableSet(codes);
        this.signals = Collections.unmodifiableSet(signals);
    }

    /**
     * The set of these exit codes and signals.
     *
     * @throws InvalidCommandException naming a code outside 0..255
     */
    public static ExitStatusSet of(Collection<Integer> codes, Collection<Signal> signals) {
        TreeSet<Integer> c = new TreeSet<>();
        for (Integer code : codes) {
            c.add(checkCode(Objects.requireNonNull(code, "exit code")));
        }
        EnumSet<Signal> s = EnumSet.noneOf(Signal.class);
        for (Signal signal : signals) {
            s.add(Objects.requireNonNull(signal, "signal"));
        }
        return c.isEmpty() && s.isEmpty() ? EMPTY : new ExitStatusSet(c, s);
    }

    /** The set of these exit codes. */
    public static ExitStatusSet codes(int... codes) {
        List<Integer> c = new ArrayList<>();
        for (int code : codes) {
            c.add(code);
        }
        return of(c, List.of());
    }

    /**
     * Parses exit codes and signal names separated by blanks or commas: {@code 1 2 8 SIGKILL}, {@code 75, TERM}.
     * Blank text is the empty set.
     *
     * @throws IllegalArgumentException naming the word that is neither an exit code 0..255 nor a signal name
     *     (with the nearest signal name for a typo)
     */
    public static ExitStatusSet parse(String text) {
        TreeSet<Integer> c = new TreeSet<>();
        EnumSet<Signal> s = EnumSet.noneOf(Signal.class);
        for (String word : Objects.requireNonNull(text, "text").trim().split("[\\s,]+")) {
            if (word.isEmpty()) {
                continue;
            }
            if (word.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                int code;
                try {
                    code = Integer.parseInt(word);
                } catch (NumberFormatException e) {
                    code = -1;
                }
                if (code < 0 || code > 255) {
                    throw new IllegalArgumentException("exit code " + word + " is out of range: exit codes are 0 to 255");
                }
                c.add(code);
                continue;
            }
            s.add(signal(word));
        }
        return c.isEmpty() && s.isEmpty() ? EMPTY : new ExitStatusSet(c, s);
    }

    private static Signal signal(String word) {
        String name = word.toUpperCase(Locale.ROOT);
        if (name.startsWith("SIG")) {
            name = name.substring(3);
        }
        for (Signal sig : Signal.values()) {
            if (sig.name().equals(name)) {
                return sig;
            }
        }
        List<String> names = new ArrayList<>();
        for (Signal sig : Signal.values()) {
            names.add(sig.toString());
        }
        String near = Nearest.of(word.toUpperCase(Locale.ROOT).startsWith("SIG") ? word : "SIG" + word, names);
        throw new IllegalArgumentException("'" + word + "' is neither an exit code (0 to 255) nor a signal name"
                + (near != null ? " (did you mean " + near + "?)" : " (e.g. 1, 143, SIGTERM or KILL)"));
    }

    private static int checkCode(int code) {
        if (code < 0 || code > 255) {
            throw new InvalidCommandException("exit code " + code + " is out of range: exit codes are 0 to 255");
        }
        return code;
    }

    /** The exit codes, in ascending order. */
    public Set<Integer> codes() {
        return codes;
    }

    /** The signals, in the order of their numbers. */
    public Set<Signal> signals() {
        return signals;
    }

    public boolean isEmpty() {
        return codes.isEmpty() && signals.isEmpty();
    }

    /**
     * Whether a program that ended this way is in the set: its exit code when {@code signal} is empty, else the
     * signal that ended it.
     */
    public boolean contains(int exitCode, Optional<Signal> signal) {
        return signal.isPresent() ? signals.contains(signal.get()) : codes.contains(exitCode);
    }

    /** The statuses of both sets. */
    public ExitStatusSet union(ExitStatusSet other) {
        TreeSet<Integer> c = new TreeSet<>(codes);
        c.addAll(other.codes);
        EnumSet<Signal> s = signals.isEmpty() ? EnumSet.noneOf(Signal.class) : EnumSet.copyOf(signals);
        s.addAll(other.signals);
        return c.isEmpty() && s.isEmpty() ? EMPTY : new ExitStatusSet(c, s);
    }

    /** The form {@link #parse} reads: {@code 1 2 8 SIGKILL}; empty for the empty set. */
    @Override
    public String toString() {
        List<String> words = new ArrayList<>();
        codes.forEach(c -> words.add(Integer.toString(c)));
        words.addAll(signals.stream().map(Signal::toString).collect(Collectors.toList()));
        return String.join(" ", words);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExitStatusSet && ((ExitStatusSet) o).codes.equals(codes)
                && ((ExitStatusSet) o).signals.equals(signals);
    }

    @Override
    public int hashCode() {
        return codes.hashCode() * 31 + signals.hashCode();
    }
}
