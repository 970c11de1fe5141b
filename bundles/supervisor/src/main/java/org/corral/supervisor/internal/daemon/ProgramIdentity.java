package org.corral.supervisor.internal.daemon;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.corral.api.Capability;
import org.corral.api.CommandSpec;
import org.corral.api.Stdin;

/**
 * Which fields of a {@link CommandSpec} make a daemon's program: two specs with equal identities run the same
 * program, so a reconfiguration between them needs no new process ({@link #equals}), and a program handed
 * over by the previous supervisor version still matches its configuration when the {@link #fingerprint()}s
 * are equal.
 *
 * <p>Both answers come from one {@link #canonical() canonical form}: one line {@code name=value} per part of
 * {@link #PARTS} whose value differs from that of a spec with nothing set (so a part added later does not change
 * the form, nor the fingerprint, of the specs that leave it unset), with every value written so that different
 * values never read the same (strings quoted and escaped, absent values as {@code -}, maps sorted by key, stdin
 * bytes by their SHA-256). The fingerprint is {@code p2-} followed by the SHA-256 of that form in hex; a
 * fingerprint of another form (an older supervisor version) never matches, so such a program is restarted
 * once.
 *
 * <h2>Adding a field to {@code CommandSpec}</h2>
 * Add one line to {@link #PARTS} when a change of the field needs a new process, or one entry to
 * {@link #NOT_PART} (with the reason) when it does not. {@code ProgramIdentityTest} fails for a public
 * accessor of {@code CommandSpec} that is in neither.
 */
public final class ProgramIdentity {

    /** One part of the identity: the {@code CommandSpec} accessor it comes from and its canonical value. */
    record Part(String accessor, Function<CommandSpec, String> value) {
    }

    /** How an absent value is written (an empty string is {@code ""}). */
    private static final String ABSENT = "-";

    /** The parts, in the order of the canonical form. */
    static final List<Part> PARTS = List.of(
            new Part("argv", c -> list(c.argv())),
            new Part("arg0", c -> str(c.arg0())),
            new Part("clearEnv", c -> Boolean.toString(c.clearEnv())),
            new Part("env", c -> map(c.env())),
            new Part("unsetEnv", c -> list(new TreeSet<>(c.unsetEnv()))),
            // the file's path: its content is read at every start, an edit applies from the next one
            new Part("envFile", c -> str(c.envFile().map(Path::toString))),
            new Part("directory", c -> str(c.directory().map(Path::toString))),
            new Part("stdin", c -> stdin(c.stdin())),
            new Part("stderrMode", c -> c.stderrMode().name()),
            new Part("stdoutMode", c -> c.stdoutMode().name()),
            new Part("user", c -> str(c.user())),
            new Part("group", c -> str(c.group())),
            new Part("supplementaryGroups", c -> c.supplementaryGroups().map(ProgramIdentity::list).orElse(ABSENT)),
            new Part("allowRoot", c -> Boolean.toString(c.allowRoot())),
            new Part("cgroupBase", c -> str(c.cgroupBase())),
            new Part("cgroupPath", c -> str(c.cgroupPath())),
            new Part("allowPopulatedCgroup", c -> Boolean.toString(c.allowPopulatedCgroup())),
            new Part("limits", c -> c.limits().map(l -> map(l.files())).orElse(ABSENT)),
            new Part("defaultCgroup", c -> Boolean.toString(c.defaultCgroup())),
            new Part("window", c -> Integer.toString(c.window())),
            new Part("killDescendantsOnExit", c -> Boolean.toString(c.killDescendantsOnExit())),
            // hardening: applied by the helper before exec, so a change needs a new process
            new Part("noNewPrivileges", c -> Boolean.toString(c.noNewPrivileges())),
            new Part("capabilities", c -> c.capabilities().map(s -> list(s.stream().map(Capability::capName)
                    .collect(Collectors.toList()))).orElse(ABSENT)),
            new Part("rlimits", c -> map(c.rlimits().entrySet().stream().collect(Collectors.toMap(
                    e -> e.getKey().key(), e -> e.getValue().toString())))),
            new Part("nice", c -> optInt(c.nice())),
            new Part("oomScoreAdj", c -> optInt(c.oomScoreAdj())),
            new Part("umask", c -> optInt(c.umask())));

    /** Public accessors of {@code CommandSpec} that do not make the program, and why. */
    static final Map<String, String> NOT_PART = Map.ofEntries(
            Map.entry("collectOutput", "ignored for daemons: a daemon never collects output"),
            Map.entry("maxOutputBytes", "ignored for daemons: a daemon never collects output"),
            Map.entry("consumer", "ignored for daemons: their output goes to the log and the recent lines"),
            Map.entry("timeout", "ignored for daemons: a daemon is never killed for running long"),
            Map.entry("killSignal", "applies at the next stop, without a restart"),
            Map.entry("grace", "applies at the next stop, without a restart"),
            Map.entry("usesCgroup", "derived from cgroupBase, cgroupPath and limits"),
            Map.entry("usesHardening", "derived from the hardening parts"),
            Map.entry("toBuilder", "not a field"));

    private static final String FORMAT = "p2-";

    /** The value of each part (but argv) in a spec with nothing set: left out of the canonical form. */
    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        CommandSpec unset = CommandSpec.of("/");
        for (Part p : PARTS) {
            if (!p.accessor().equals("argv")) {
                DEFAULTS.put(p.accessor(), p.value().apply(unset));
            }
        }
    }

    /** Part name to value, in the order of {@link #PARTS}, without the parts at their default. */
    private final Map<String, String> values;
    private final String canonical;

    private ProgramIdentity(Map<String, String> values) {
        this.values = values;
        StringBuilder b = new StringBuilder();
        values.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        this.canonical = b.toString();
    }

    /** The identity of the program {@code spec} runs. */
    public static ProgramIdentity of(CommandSpec spec) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Part p : PARTS) {
            String v = p.value().apply(spec);
            if (!v.equals(DEFAULTS.get(p.accessor()))) {
                values.put(p.accessor(), v);
            }
        }
        return new ProgramIdentity(values);
    }

    /**
     * The canonical form: one line {@code name=value} per part that is not at its default. It holds environment
     * values: never log it.
     */
    public String canonical() {
        return canonical;
    }

    /** {@code p2-} and the SHA-256 of the canonical form, in hex (carried in the hand-over file). */
    public String fingerprint() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return FORMAT + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Whether {@code fingerprint} (from a hand-over) is the fingerprint of this identity. */
    public boolean matches(String fingerprint) {
        return fingerprint().equals(fingerprint);
    }

    /** The names of the parts that differ from {@code other} (no values: they may be secrets). */
    public List<String> differences(ProgramIdentity other) {
        List<String> out = new ArrayList<>();
        for (Part p : PARTS) {
            if (!Objects.equals(values.get(p.accessor()), other.values.get(p.accessor()))) {
                out.add(p.accessor());
            }
        }
        return out;
    }

    /** Whether switching from {@code a} to {@code b} needs a new process. */
    public static boolean changed(CommandSpec a, CommandSpec b) {
        return !of(a).equals(of(b));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProgramIdentity && ((ProgramIdentity) o).canonical.equals(canonical);
    }

    @Override
    public int hashCode() {
        return canonical.hashCode();
    }

    /** Only the fingerprint: the canonical form holds environment values. */
    @Override
    public String toString() {
        return "ProgramIdentity[" + fingerprint() + "]";
    }

    // ------------------------------------------------------------------ canonical values

    private static String optInt(OptionalInt v) {
        return v.isPresent() ? Integer.toString(v.getAsInt()) : ABSENT;
    }

    private static String str(Optional<String> s) {
        return s.map(ProgramIdentity::quote).orElse(ABSENT);
    }

    private static String list(Collection<String> items) {
        StringBuilder b = new StringBuilder("[");
        for (String s : items) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(quote(s));
        }
        return b.append(']').toString();
    }

    private static String map(Map<String, String> m) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, String> e : new TreeMap<>(m).entrySet()) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(quote(e.getKey())).append('=').append(quote(e.getValue()));
        }
        return b.append('}').toString();
    }

    private static String stdin(Stdin s) {
        switch (s.kind()) {
            case BYTES:
                byte[] bytes = s.bytes().orElseThrow();
                try {
                    return "bytes:" + bytes.length + ":"
                            + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException("SHA-256 is missing from this JVM", e);
                }
            case FILE:
                return "file:" + quote(s.file().orElseThrow().toString());
            default:
                return "none";
        }
    }

    /** {@code "text"} with backslash, quote, and control characters (also a newline) escaped. */
    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
