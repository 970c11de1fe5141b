package org.corral.supervisor.internal.config;

import java.lang.reflect.Array;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.corral.api.CgroupLimits;
import org.corral.api.CommandSpec;
import org.corral.api.DaemonSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.LogLevel;
import org.corral.api.Readiness;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;

/**
 * Turns the properties of one {@code org.corral.daemon} factory configuration into a {@link DaemonSpec},
 * checking every key. All problems are collected (not just the first), each naming the key and the value,
 * so that one log line can tell the operator everything that is wrong with the file.
 *
 * <p>The keys are documented on {@link DaemonConfiguration} (which also generates the metatype).
 */
public final class DaemonConfigParser {

    /** The factory PID: {@code etc/org.corral.daemon-<name>.cfg} in Karaf. */
    public static final String FACTORY_PID = "org.corral.daemon";

    /** The property Felix fileinstall sets to the URL of the file a configuration came from. */
    public static final String FILEINSTALL_FILENAME = "felix.fileinstall.filename";

    /** Every key this parser understands, besides {@code env.<NAME>} and {@code cgroup.<interface file>}. */
    public static final Set<String> KEYS = Set.of("name", "command", "args", "arg0", "env.clear", "env.unset",
            "directory", "user", "group", "groups", "allow.root", "cgroup.base", "cgroup.path", "restart",
            "restart.delay", "restart.delay.max", "restart.backoff", "intensity", "intensity.period", "kill.signal",
            "kill.grace", "log.stdout", "log.stderr", "log.prefix", "log.maxline", "log.lines", "ready.log",
            "ready.port", "ready.file", "ready.timeout", "depends.on", "stdio.window");

    private DaemonConfigParser() {
    }

    /** One problem with one key. */
    public record Problem(String key, Object value, String message) {
        @Override
        public String toString() {
            if (value == null) {
                return key + ": " + message;
            }
            return key + " = '" + show(value) + "': " + message;
        }
    }

    /**
     * The outcome of parsing: a spec when there were no errors; warnings (unknown keys) either way.
     *
     * @param origin where the configuration came from, for messages: the file when Felix fileinstall made
     *     it, else the configuration's PID
     * @param name the daemon name, when one could be determined (also when other keys are wrong)
     */
    public record Result(String origin, Optional<String> name, Optional<DaemonSpec> spec, List<Problem> errors,
            List<Problem> warnings) {

        public boolean ok() {
            return errors.isEmpty();
        }

        /** One line naming the configuration and every error, for the log. */
        public String errorLine() {
            StringBuilder sb = new StringBuilder("Daemon configuration ").append(origin).append(" is invalid: ");
            for (int i = 0; i < errors.size(); i++) {
                sb.append(i == 0 ? "" : "; ").append(errors.get(i));
            }
            sb.append(" - daemon ").append(name.map(n -> "'" + n + "' ").orElse("")).append("not started");
            return sb.toString();
        }

        /** One line per warning. */
        public List<String> warningLines() {
            List<String> out = new ArrayList<>();
            for (Problem w : warnings) {
                out.add("Daemon configuration " + origin + ": " + w);
            }
            return out;
        }
    }

    /** Where a configuration came from: the fileinstall file (as a path when it is a file: URL), else its PID. */
    public static String origin(Map<String, ?> props) {
        Object file = props.get(FILEINSTALL_FILENAME);
        Object pid = props.get("service.pid");
        if (file != null) {
            String f = file.toString();
            if (f.startsWith("file:")) {
                try {
                    f = Paths.get(URI.create(f)).toString();
                } catch (RuntimeException e) {
                    // keep the URL as it is
                }
            }
            return f;
        }
        return pid != null ? "'" + pid + "'" : "(no PID)";
    }

    /** Parses a configuration's properties. Never throws. */
    public static Result parse(Map<String, ?> props) {
        return new Run(props).run();
    }

    private static final class Run {
        private final Map<String, ?> props;
        private final List<Problem> errors = new ArrayList<>();
        private final List<Problem> warnings = new ArrayList<>();

        Run(Map<String, ?> props) {
            this.props = props;
        }

        Result run() {
            String origin = origin(props);
            String name = name();
            CommandSpec command = command(name);
            // the daemon keys are checked even when the name or command is wrong, to report every problem
            DaemonSpec spec = daemon(name != null ? name : "placeholder",
                    command != null ? command : CommandSpec.of("placeholder"));
            for (String key : new TreeMap<>(props).keySet()) {
                if (!known(key)) {
                    String near = closest(key);
                    warnings.add(new Problem(key, props.get(key), "unknown key, ignored"
                            + (near != null ? " (did you mean " + near + "?)" : "")));
                }
            }
            if (!errors.isEmpty()) {
                spec = null;
            }
            return new Result(origin, Optional.ofNullable(name), Optional.ofNullable(spec), List.copyOf(errors),
                    List.copyOf(warnings));
        }

        private static boolean known(String key) {
            if (KEYS.contains(key) || key.startsWith("env.") || key.startsWith("cgroup.")) {
                return true;
            }
            // set by Config Admin, fileinstall, SCR or Karaf: not ours to judge
            return key.startsWith("service.") || key.startsWith("component.") || key.startsWith("felix.")
                    || key.startsWith("org.apache.karaf.") || key.startsWith(".") || key.endsWith(".target");
        }

        private String name() {
            String raw = scalar("name");
            if (raw == null) {
                Object pid = props.get("service.pid");
                String p = pid == null ? "" : pid.toString();
                int tilde = p.indexOf('~');
                if (p.startsWith(FACTORY_PID + "~") && tilde + 1 < p.length()) {
                    raw = p.substring(tilde + 1);
                } else {
                    errors.add(new Problem("name", null, "missing: set name = <daemon name>, or name the file "
                            + FACTORY_PID + "-<name>.cfg"));
                    return null;
                }
                if (!raw.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                    errors.add(new Problem("name", null, "the name '" + raw + "' taken from the configuration name is"
                            + " not a valid daemon name (1-64 letters, digits, '.', '_' or '-'): set name = <daemon name>"));
                    return null;
                }
                return raw;
            }
            String n = raw.trim();
            if (!n.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                errors.add(new Problem("name", raw, "not a valid daemon name (1-64 letters, digits, '.', '_' or '-',"
                        + " starting with a letter or digit)"));
                return null;
            }
            return n;
        }

        private CommandSpec command(String name) {
            String program = scalar("command");
            if (program == null || program.isBlank()) {
                errors.add(new Problem("command", program, program == null ? "missing: set command = <program path or name>"
                        : "empty: set command = <program path or name>"));
                program = null;
            }
            List<String> argv = new ArrayList<>();
            argv.add(program == null ? "placeholder" : program.trim());
            Object argsValue = props.get("args");
            if (argsValue != null) {
                if (isMulti(argsValue)) {
                    for (Object a : elements(argsValue)) {
                        argv.add(String.valueOf(a));
                    }
                } else {
                    try {
                        argv.addAll(ArgsSplitter.split(argsValue.toString()));
                    } catch (IllegalArgumentException e) {
                        errors.add(new Problem("args", argsValue, e.getMessage()));
                    }
                }
            }
            CommandSpec.Builder b;
            try {
                b = CommandSpec.builder(argv);
            } catch (InvalidCommandException e) {
                errors.add(new Problem("args", argsValue, e.getMessage()));
                b = CommandSpec.builder("placeholder");
            }
            b.collectOutput(false);
            CommandSpec.Builder cb = b;
            opt("arg0", v -> cb.arg0(v));
            optBool("env.clear", cb::clearEnv);
            for (String key : new TreeMap<>(props).keySet()) {
                if (key.startsWith("env.") && !key.equals("env.clear") && !key.equals("env.unset")) {
                    String var = key.substring(4);
                    Object v = props.get(key);
                    try {
                        if (isMulti(v)) {
                            throw new IllegalArgumentException("an environment variable takes one value, not a list");
                        }
                        cb.env(var, String.valueOf(v));
                    } catch (IllegalArgumentException | InvalidCommandException e) {
                        errors.add(new Problem(key, v, e.getMessage()));
                    }
                }
            }
            list("env.unset").forEach(v -> {
                try {
                    cb.unsetEnv(v);
                } catch (IllegalArgumentException | InvalidCommandException e) {
                    errors.add(new Problem("env.unset", v, e.getMessage()));
                }
            });
            opt("directory", v -> cb.directory(absolutePath(v)));
            opt("user", cb::user);
            opt("group", cb::group);
            if (!list("groups").isEmpty()) {
                cb.supplementaryGroups(list("groups"));
            }
            optBool("allow.root", cb::allowRoot);
            opt("cgroup.base", cb::cgroupBase);
            opt("cgroup.path", cb::cgroupPath);
            CgroupLimits limits = limits();
            if (limits != null) {
                cb.limits(limits);
            }
            opt("kill.signal", v -> cb.killSignal(Signal.parse(v)));
            opt("kill.grace", v -> cb.grace(Values.duration(v)));
            opt("stdio.window", v -> {
                long w = Values.size(v);
                if (w < 4096 || w > 64L * 1024 * 1024) {
                    throw new IllegalArgumentException("must be between 4K and 64M");
                }
                cb.window((int) w);
            });
            if (program == null) {
                return null;
            }
            try {
                return cb.build();
            } catch (InvalidCommandException e) {
                // only cgroup.base together with cgroup.path can fail here
                errors.add(new Problem("cgroup.path", scalar("cgroup.path"), e.getMessage()));
                return null;
            }
        }

        private CgroupLimits limits() {
            CgroupLimits.Builder lb = CgroupLimits.builder();
            boolean any = false;
            for (String key : new TreeMap<>(props).keySet()) {
                if (!key.startsWith("cgroup.") || key.equals("cgroup.base") || key.equals("cgroup.path")) {
                    continue;
                }
                String file = key.substring("cgroup.".length());
                Object raw = props.get(key);
                try {
                    if (isMulti(raw)) {
                        throw new IllegalArgumentException("a cgroup limit takes one value, not a list");
                    }
                    limit(lb, file, String.valueOf(raw).trim());
                    any = true;
                } catch (IllegalArgumentException | InvalidCommandException e) {
                    errors.add(new Problem(key, raw, e.getMessage()));
                }
            }
            return any ? lb.build() : null;
        }

        /** Checks and adds one limit; the value forms are those of {@link CgroupLimits.Builder#set}. */
        private static void limit(CgroupLimits.Builder lb, String file, String v) {
            if (!file.contains(".") || file.startsWith(".") || file.endsWith(".") || file.contains("/")) {
                throw new IllegalArgumentException("unknown cgroup key: cgroup.<interface file> expected"
                        + " (e.g. cgroup.memory.max), or cgroup.base / cgroup.path");
            }
            if (v.isEmpty()) {
                throw new IllegalArgumentException("empty value");
            }
            if (file.startsWith("memory.") && v.startsWith("-")) {
                throw new IllegalArgumentException("a size cannot be negative");
            }
            lb.set(file, v);
        }

        private DaemonSpec daemon(String name, CommandSpec command) {
            DaemonSpec.Builder b;
            try {
                b = DaemonSpec.builder(name, command);
            } catch (InvalidCommandException e) {
                errors.add(new Problem("name", name, e.getMessage()));
                return null;
            }
            DaemonSpec.Builder db = b;
            opt("restart", v -> db.restart(RestartPolicy.parse(v)));
            opt("restart.delay", v -> db.restartDelay(Values.duration(v)));
            opt("restart.delay.max", v -> db.maxRestartDelay(Values.duration(v)));
            opt("restart.backoff", v -> {
                double f;
                try {
                    f = Double.parseDouble(v.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a number (expected a factor such as 2 or 1.5; 1 = constant delay)");
                }
                db.backoffFactor(f);
            });
            String delay = scalar("restart.delay");
            String delayMax = scalar("restart.delay.max");
            if (delay != null && delayMax != null) {
                try {
                    if (Values.duration(delay).compareTo(Values.duration(delayMax)) > 0) {
                        errors.add(new Problem("restart.delay.max", delayMax, "is shorter than restart.delay = '"
                                + delay + "'"));
                    }
                } catch (IllegalArgumentException e) {
                    // reported above
                }
            }
            Integer[] intensity = new Integer[1];
            Duration[] period = new Duration[1];
            opt("intensity", v -> intensity[0] = (int) Values.integer(v, 0, 1_000_000));
            opt("intensity.period", v -> {
                Duration d = Values.duration(v);
                if (d.isZero()) {
                    throw new IllegalArgumentException("must be longer than 0");
                }
                period[0] = d;
            });
            DaemonSpec defaults = DaemonSpec.builder(name, command).build();
            if (intensity[0] != null || period[0] != null) {
                db.intensity(intensity[0] != null ? intensity[0] : defaults.maxRestarts(),
                        period[0] != null ? period[0] : defaults.restartWindow());
            }
            opt("log.stdout", v -> db.stdoutLevel(LogLevel.parse(v)));
            opt("log.stderr", v -> db.stderrLevel(LogLevel.parse(v)));
            if (props.containsKey("log.prefix")) {
                db.logPrefix(scalar("log.prefix"));
            }
            opt("log.maxline", v -> {
                long n = Values.size(v);
                if (n < 16 || n > 1 << 20) {
                    throw new IllegalArgumentException("must be between 16 and 1M bytes");
                }
                db.maxLineLength((int) n);
            });
            opt("log.lines", v -> db.recentLines((int) Values.integer(v, 0, 100_000)));
            readiness(db);
            List<String> deps = list("depends.on");
            for (String d : deps) {
                if (!d.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                    errors.add(new Problem("depends.on", props.get("depends.on"), "'" + d + "' is not a daemon name"));
                }
            }
            if (deps.contains(name)) {
                errors.add(new Problem("depends.on", props.get("depends.on"), "a daemon cannot depend on itself"));
            } else {
                db.dependsOn(deps);
            }
            try {
                return db.build();
            } catch (InvalidCommandException e) {
                errors.add(new Problem("name", name, e.getMessage()));
                return null;
            }
        }

        private void readiness(DaemonSpec.Builder db) {
            List<String> given = new ArrayList<>();
            Readiness[] r = new Readiness[1];
            opt("ready.log", v -> {
                given.add("ready.log");
                r[0] = Readiness.logLine(v);
            });
            opt("ready.port", v -> {
                given.add("ready.port");
                r[0] = Readiness.tcpPort((int) Values.integer(v, 1, 65535));
            });
            opt("ready.file", v -> {
                given.add("ready.file");
                r[0] = Readiness.file(absolutePath(v));
            });
            if (given.size() > 1) {
                errors.add(new Problem(given.get(1), props.get(given.get(1)), "only one readiness check can be set, but "
                        + String.join(" and ", given) + " are"));
                return;
            }
            Readiness readiness = r[0] != null ? r[0] : Readiness.immediate();
            Readiness[] withTimeout = {readiness};
            opt("ready.timeout", v -> {
                Duration d = Values.duration(v);
                if (d.isZero()) {
                    throw new IllegalArgumentException("must be longer than 0");
                }
                withTimeout[0] = readiness.withTimeout(d);
            });
            db.readiness(withTimeout[0]);
        }

        private static Path absolutePath(String v) {
            Path p = Paths.get(v.trim());
            if (!p.isAbsolute()) {
                throw new IllegalArgumentException("must be an absolute path");
            }
            return p;
        }

        /** Runs {@code apply} with the key's single value when the key is set; records its refusal. */
        private void opt(String key, Consumer<String> apply) {
            Object raw = props.get(key);
            if (raw == null) {
                return;
            }
            if (isMulti(raw) && elements(raw).size() != 1) {
                errors.add(new Problem(key, raw, "takes one value, not a list"));
                return;
            }
            String v = scalar(key);
            if (v.isBlank() && !key.equals("log.prefix")) {
                return; // an empty value means the default (metatype UIs leave optional fields empty)
            }
            try {
                apply.accept(v);
            } catch (IllegalArgumentException | InvalidCommandException e) {
                errors.add(new Problem(key, raw, e.getMessage()));
            }
        }

        private void optBool(String key, Consumer<Boolean> apply) {
            Object raw = props.get(key);
            if (raw instanceof Boolean) {
                apply.accept((Boolean) raw);
                return;
            }
            opt(key, v -> apply.accept(Values.bool(v)));
        }

        private String scalar(String key) {
            Object raw = props.get(key);
            if (raw == null) {
                return null;
            }
            if (isMulti(raw)) {
                List<Object> els = elements(raw);
                return els.size() == 1 ? String.valueOf(els.get(0)) : els.toString();
            }
            return raw.toString();
        }

        /** A list value: an array or collection, or one string split at commas; blanks dropped. */
        private List<String> list(String key) {
            Object raw = props.get(key);
            List<String> out = new ArrayList<>();
            if (raw == null) {
                return out;
            }
            List<Object> els = isMulti(raw) ? elements(raw) : List.of(raw);
            for (Object o : els) {
                for (String part : String.valueOf(o).split(",")) {
                    if (!part.isBlank()) {
                        out.add(part.trim());
                    }
                }
            }
            return out;
        }
    }

    static boolean isMulti(Object v) {
        return v instanceof Collection || (v != null && v.getClass().isArray());
    }

    static List<Object> elements(Object v) {
        List<Object> out = new ArrayList<>();
        if (v instanceof Collection) {
            out.addAll((Collection<?>) v);
        } else {
            for (int i = 0; i < Array.getLength(v); i++) {
                out.add(Array.get(v, i));
            }
        }
        return out;
    }

    static String show(Object v) {
        if (isMulti(v)) {
            List<String> parts = new ArrayList<>();
            for (Object o : elements(v)) {
                parts.add(String.valueOf(o));
            }
            return parts.toString();
        }
        return String.valueOf(v);
    }

    /** The known key nearest to {@code key} (edit distance at most 2, or same ignoring case), or null. */
    static String closest(String key) {
        String best = null;
        int bestDistance = 3;
        for (String k : new java.util.TreeSet<>(KEYS)) {
            int d = k.equalsIgnoreCase(key) ? 0 : distance(k, key.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
