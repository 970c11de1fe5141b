package org.corral.supervisor.internal.config;

import java.lang.reflect.Array;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.corral.api.Capability;
import org.corral.api.CgroupLimits;
import org.corral.api.CommandSpec;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonSpec;
import org.corral.api.ExitStatusSet;
import org.corral.api.InvalidCommandException;
import org.corral.api.LogLevel;
import org.corral.api.PreStart;
import org.corral.api.ProgramNotFoundException;
import org.corral.api.Readiness;
import org.corral.api.ResourceLimit;
import org.corral.api.RestartPolicy;
import org.corral.api.Rlimit;
import org.corral.api.Signal;
import org.corral.api.StderrMode;
import org.corral.api.StdoutMode;
import org.corral.api.values.Printable;
import org.corral.api.values.Values;
import org.corral.supervisor.internal.daemon.DaemonSupervisor;
import org.corral.supervisor.internal.daemon.LinePattern;
import org.corral.supervisor.internal.daemon.OutputBudget;

/**
 * Turns the properties of one {@code org.corral.daemon} factory configuration into a {@link DaemonSpec},
 * checking every key. All problems are collected (not just the first), each naming the key and the value,
 * so that one log line can tell the operator everything that is wrong with the file. The values of
 * {@code env.<NAME>} keys and of unknown keys are never repeated in a problem (they may be secrets).
 *
 * <p>The keys are the table below ({@link #PROGRAM_KEYS}, {@link #DAEMON_KEYS}) plus the few that take
 * part in a rule across keys, parsed in {@link Run}. <b>Adding a key</b>: one line in a table, one
 * attribute in {@link DaemonConfiguration} (the metatype; a test keeps both equal) and one row in the
 * README's key table. The value forms are those of {@link Values}, {@link Signal#parse} and
 * {@link CgroupLimits.Builder#set}, shared with the console and the API.
 */
public final class DaemonConfigParser {

    /** The factory PID: {@code etc/org.corral.daemon-<name>.cfg} in Karaf. */
    public static final String FACTORY_PID = "org.corral.daemon";

    /** The property Felix fileinstall sets to the URL of the file a configuration came from. */
    public static final String FILEINSTALL_FILENAME = "felix.fileinstall.filename";

    /** How one key's value is checked and applied to a builder; refusals are exceptions with a reason. */
    @FunctionalInterface
    interface Apply<B> {
        void to(B builder, String value);
    }

    /** Keys of the program ({@link CommandSpec}) that take one value each. */
    static final Map<String, Apply<CommandSpec.Builder>> PROGRAM_KEYS = new Table<CommandSpec.Builder>()
            .key("arg0", CommandSpec.Builder::arg0)
            .key("env.clear", (b, v) -> b.clearEnv(Values.bool(v)))
            .key("env.file", (b, v) -> b.envFile(absolutePath(v)))
            .key("directory", (b, v) -> b.directory(absolutePath(v)))
            .key("user", CommandSpec.Builder::user)
            .key("group", CommandSpec.Builder::group)
            .key("allow.root", (b, v) -> b.allowRoot(Values.bool(v)))
            .key("cgroup.base", CommandSpec.Builder::cgroupBase)
            .key("cgroup.path", CommandSpec.Builder::cgroupPath)
            .key("cgroup.default", (b, v) -> b.defaultCgroup(Values.bool(v)))
            .key("kill.signal", (b, v) -> b.killSignal(Signal.parse(v)))
            .key("kill.grace", (b, v) -> b.grace(Values.duration(v)))
            .key("stdio.window", (b, v) -> b.window((int) sizeBetween(v, 4096, 64L << 20, "4K and 64M")))
            .key("stdout", (b, v) -> b.stdout(stdoutMode(v)))
            .key("stderr", (b, v) -> b.stderr(stderrMode(v)))
            // hardening, applied by the helper just before exec (capabilities, a list, is parsed by Run)
            .key("no.new.privileges", (b, v) -> b.noNewPrivileges(Values.bool(v)))
            .keys(rlimitKeys())
            .key("nice", (b, v) -> b.nice((int) Values.integer(v, -20, 19)))
            .key("oom.score.adj", (b, v) -> b.oomScoreAdj((int) Values.integer(v, -1000, 1000)))
            .key("umask", CommandSpec.Builder::umask)
            .done();

    /** Keys of the daemon ({@link DaemonSpec}) that take one value each. */
    static final Map<String, Apply<DaemonSpec.Builder>> DAEMON_KEYS = new Table<DaemonSpec.Builder>()
            .key("restart", (b, v) -> b.restart(RestartPolicy.parse(v)))
            .key("restart.delay", (b, v) -> b.restartDelay(Values.duration(v)))
            .key("restart.delay.max", (b, v) -> b.maxRestartDelay(Values.duration(v)))
            .key("restart.backoff", (b, v) -> b.backoffFactor(backoff(v)))
            .key("log.stdout", (b, v) -> b.stdoutLevel(LogLevel.parse(v)))
            .key("log.stderr", (b, v) -> b.stderrLevel(LogLevel.parse(v)))
            .key("log.prefix", DaemonSpec.Builder::logPrefix)
            .key("log.maxline", (b, v) -> b.maxLineLength((int) sizeBetween(v, 16, 1 << 20, "16 and 1M bytes")))
            .key("log.lines", (b, v) -> b.recentLines((int) Values.integer(v, 0, 100_000)))
            .key("reload.signal", (b, v) -> b.reloadSignal(Signal.parse(v)))
            .key("watchdog", (b, v) -> b.watchdog(Values.duration(v)))
            .done();

    /**
     * Keys parsed by {@link Run} itself: the name, the program and its arguments, lists, and the keys of a
     * rule across keys (intensity and its period, one readiness check with its timeout, dependencies).
     */
    static final Set<String> OTHER_KEYS = Set.of("name", "command", "args", "env.unset", "groups", "intensity",
            "intensity.period", "ready.log", "ready.port", "ready.file", "ready.notify", "ready.timeout", "depends.on",
            "success.exit.status", "restart.prevent.exit.status", "start.pre", "start.pre.timeout",
            "capabilities");

    /** Families of keys: {@code env.<NAME>} sets a variable, {@code cgroup.<interface file>} a limit. */
    static final List<String> FAMILIES = List.of("env.", "cgroup.");

    /** Every key this parser understands, besides the {@link #FAMILIES}. */
    public static final Set<String> KEYS = keys();

    /** Keys whose blank value is a value, not "the default". */
    private static final Set<String> BLANK_IS_A_VALUE = Set.of("log.prefix");

    private DaemonConfigParser() {
    }

    /**
     * One problem with one key.
     *
     * @param value the value as configured, or null when it is not shown: missing, or a value that must
     *     not be repeated ({@link #secret})
     */
    public record Problem(String key, Object value, String message) {
        public Problem {
            if (secret(key)) {
                value = null;
            }
        }

        @Override
        public String toString() {
            // control characters of a key, a value or a message that quotes one never reach the log as they are
            if (key.isEmpty()) { // about the configuration as a whole (a program that cannot be created)
                return Printable.escape(message);
            }
            if (value == null) {
                return Printable.escape(key + ": " + message);
            }
            return Printable.escape(key + " = '" + show(value) + "': " + message);
        }
    }

    /**
     * Whether the value of {@code key} may be a secret and is never shown: {@code env.<NAME>}
     * ({@link DaemonConfigValidator#isSecretKey}).
     */
    public static boolean secret(String key) {
        return DaemonConfigValidator.isSecretKey(key);
    }

    /**
     * The outcome of parsing: a spec when there were no errors; warnings (unknown keys) either way; and the draft,
     * what could be read even with errors (placeholders and defaults where keys are wrong), for the
     * {@code INVALID} daemon that shows the configuration.
     *
     * @param origin where the configuration came from, for messages: the file when Felix fileinstall made
     *     it, else the configuration's PID
     * @param name the daemon name, when one could be determined (also when other keys are wrong)
     */
    public record Result(String origin, Optional<String> name, Optional<DaemonSpec> spec, List<Problem> errors,
            List<Problem> warnings, Optional<DaemonSpec> draft) {

        public Result(String origin, Optional<String> name, Optional<DaemonSpec> spec, List<Problem> errors,
                List<Problem> warnings) {
            this(origin, name, spec, errors, warnings, spec);
        }

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

    /** Parses a configuration's properties against the default output budgets. Never throws. */
    public static Result parse(Map<String, ?> props) {
        return parse(props, OutputBudget.DEFAULT);
    }

    /**
     * Parses a configuration's properties; {@code log.maxline} and {@code log.lines} are checked against
     * {@code budget} (the supervisor's: {@link org.corral.supervisor.internal.daemon.OutputMemory#budget()}).
     * Never throws.
     */
    public static Result parse(Map<String, ?> props, OutputBudget budget) {
        return new Run(props, budget).run();
    }

    /**
     * The problem of a program that the system refuses ({@code ProgramNotFoundException} when the daemon is
     * created): on {@code command}, with a hint when the arguments were written into it.
     */
    public static Problem programNotFound(DaemonSpec spec, ProgramNotFoundException e) {
        if (e instanceof DaemonSupervisor.PreStartNotFoundException) {
            return new Problem("start.pre", e.program(), e.getMessage());
        }
        String program = spec.command().argv().get(0);
        String message = e.getMessage();
        if (spec.command().argv().size() == 1 && program.trim().contains(" ")) {
            message += " (command is the program only: put its arguments into args)";
        }
        return new Problem("command", program, message);
    }

    private static final class Run {
        private final Map<String, ?> props;
        private final OutputBudget budget;
        private final List<Problem> errors = new ArrayList<>();
        private final List<Problem> warnings = new ArrayList<>();

        Run(Map<String, ?> props, OutputBudget budget) {
            this.props = props;
            this.budget = budget;
        }

        Result run() {
            String origin = origin(props);
            String name = name();
            CommandSpec command = command();
            // the daemon keys are checked even when the name or command is wrong, to report every problem
            DaemonSpec spec = daemon(name != null ? name : "placeholder",
                    command != null ? command : CommandSpec.of("placeholder"));
            for (String key : new TreeMap<>(props).keySet()) {
                if (!known(key)) {
                    String near = closest(key);
                    warnings.add(new Problem(key, null, "unknown key, ignored"
                            + (near != null ? " (did you mean " + near + "?)" : "")));
                }
            }
            DaemonSpec draft = spec;
            if (!errors.isEmpty()) {
                spec = null;
            }
            return new Result(origin, Optional.ofNullable(name), Optional.ofNullable(spec), List.copyOf(errors),
                    List.copyOf(warnings), Optional.ofNullable(draft));
        }

        private static boolean known(String key) {
            if (KEYS.contains(key) || FAMILIES.stream().anyMatch(key::startsWith)) {
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
                if (!p.startsWith(FACTORY_PID + "~") || tilde + 1 >= p.length()) {
                    errors.add(new Problem("name", null, "missing: set name = <daemon name>, or name the file "
                            + FACTORY_PID + "-<name>.cfg"));
                    return null;
                }
                raw = p.substring(tilde + 1);
                if (!Values.isDaemonName(raw)) {
                    errors.add(new Problem("name", null, "the name '" + raw + "' taken from the configuration name is"
                            + " not a valid daemon name (" + Values.DAEMON_NAME_RULE + "): set name = <daemon name>"));
                    return null;
                }
                return raw;
            }
            try {
                return Values.daemonName(raw);
            } catch (IllegalArgumentException e) {
                errors.add(new Problem("name", raw, e.getMessage()));
                return null;
            }
        }

        /** The program: {@code command}, {@code args}, the {@link #PROGRAM_KEYS}, variables and limits. */
        private CommandSpec command() {
            String program = scalar("command");
            if (program == null || program.isBlank()) {
                errors.add(new Problem("command", program, program == null ? "missing: set command = <program path or name>"
                        : "empty: set command = <program path or name>"));
                program = null;
            } else if (!Values.isProgram(program.trim())) {
                // a relative path would be resolved against Karaf's working directory, whatever it is
                errors.add(new Problem("command", program, Values.PROGRAM_RULE));
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
            apply(PROGRAM_KEYS, b);
            for (String key : new TreeMap<>(props).keySet()) {
                if (key.startsWith("env.") && !KEYS.contains(key)) {
                    variable(b, key);
                }
            }
            for (String v : list("env.unset")) {
                CommandSpec.Builder cb = b;
                check("env.unset", v, () -> cb.unsetEnv(v));
            }
            List<String> groups = list("groups");
            if (!groups.isEmpty()) {
                CommandSpec.Builder cb = b;
                check("groups", props.get("groups"), () -> cb.supplementaryGroups(groups));
            }
            List<String> caps = list("capabilities");
            if (!caps.isEmpty()) {
                CommandSpec.Builder cb = b;
                check("capabilities", props.get("capabilities"),
                        () -> cb.capabilities(Capability.parseSet(String.join(",", caps))));
            }
            CgroupLimits limits = limits();
            if (limits != null) {
                b.limits(limits);
            }
            if (program == null) {
                return null;
            }
            if ("discard".equalsIgnoreCase(trimmed("stdout")) && "stdout".equalsIgnoreCase(trimmed("stderr"))) {
                errors.add(new Problem("stderr", scalar("stderr"), "stderr cannot go into stdout while stdout ="
                        + " discard (use stderr = discard, or capture)"));
                return null;
            }
            try {
                return b.build();
            } catch (InvalidCommandException e) {
                // only cgroup.base together with cgroup.path, or cgroup.default = false with a cgroup key, fail here
                String key = e.getMessage().startsWith("defaultCgroup(false)") ? "cgroup.default" : "cgroup.path";
                String msg = key.equals("cgroup.default") ? "false opts out of cgroups, but the configuration also"
                        + " sets cgroup.base, cgroup.path or a cgroup limit: give one or the other" : e.getMessage();
                errors.add(new Problem(key, scalar(key), msg));
                return null;
            }
        }

        private void variable(CommandSpec.Builder b, String key) {
            Object v = props.get(key);
            check(key, v, () -> {
                if (isMulti(v)) {
                    throw new IllegalArgumentException("an environment variable takes one value, not a list");
                }
                b.env(key.substring("env.".length()), String.valueOf(v));
            });
            // env.fiel sets a variable 'fiel': most likely a typo of one of the env.* keys
            String near = closest(key);
            String var = key.substring("env.".length());
            if (near != null && KEYS.contains(near) && near.startsWith("env.") && !var.isEmpty()
                    && var.equals(var.toLowerCase(Locale.ROOT))) {
                warnings.add(new Problem(key, null, "sets the environment variable '" + var + "' (did you mean "
                        + near + "?)"));
            }
        }

        private CgroupLimits limits() {
            CgroupLimits.Builder lb = CgroupLimits.builder();
            boolean any = false;
            for (String key : new TreeMap<>(props).keySet()) {
                if (!key.startsWith("cgroup.") || KEYS.contains(key)) {
                    continue;
                }
                Object raw = props.get(key);
                any |= check(key, raw, () -> {
                    if (isMulti(raw)) {
                        throw new IllegalArgumentException("a cgroup limit takes one value, not a list");
                    }
                    limit(lb, key.substring("cgroup.".length()), String.valueOf(raw).trim());
                });
            }
            return any ? lb.build() : null;
        }

        /** Checks and adds one limit; the value forms are those of {@link CgroupLimits.Builder#set}. */
        private static void limit(CgroupLimits.Builder lb, String file, String v) {
            if (!file.contains(".") || file.startsWith(".") || file.endsWith(".") || file.contains("/")) {
                throw new IllegalArgumentException("unknown cgroup key: cgroup.<interface file> expected"
                        + " (e.g. cgroup.memory.max), or cgroup.base / cgroup.path / cgroup.default");
            }
            if (v.isEmpty()) {
                throw new IllegalArgumentException("empty value");
            }
            if (file.startsWith("memory.") && v.startsWith("-")) {
                throw new IllegalArgumentException("a size cannot be negative");
            }
            lb.set(file, v);
        }

        /** The daemon: the {@link #DAEMON_KEYS}, then the rules across keys. */
        private DaemonSpec daemon(String name, CommandSpec command) {
            DaemonSpec.Builder b;
            try {
                b = DaemonSpec.builder(name, command);
            } catch (InvalidCommandException e) {
                errors.add(new Problem("name", name, e.getMessage()));
                return null;
            }
            apply(DAEMON_KEYS, b);
            withinTheOutputBudget();
            delayWithinItsCap();
            intensity(b, name, command);
            Readiness readiness = readiness(b);
            if (readiness.kind() == Readiness.Kind.LOG_LINE && command.stdoutMode() == StdoutMode.DISCARD
                    && command.stderrMode() == StderrMode.DISCARD) {
                errors.add(new Problem("ready.log", props.get("ready.log"), "matches output lines, but stdout and"
                        + " stderr are both discarded"));
                b.readiness(Readiness.immediate()); // reported once, here
            }
            dependencies(b, name);
            preStart(b, command);
            exitStatuses("success.exit.status", b::successExitStatus);
            exitStatuses("restart.prevent.exit.status", b::restartPreventExitStatus);
            try {
                return b.build();
            } catch (InvalidCommandException e) {
                errors.add(new Problem("name", name, e.getMessage()));
                return null;
            }
        }

        /** {@code log.maxline} and {@code log.lines} (when set and valid) against the per-daemon output budget. */
        private void withinTheOutputBudget() {
            Long maxLine = parsedSize("log.maxline");
            String m = maxLine == null ? null : budget.maxLineProblem((int) Math.min(Integer.MAX_VALUE, maxLine));
            if (m != null) {
                errors.add(new Problem("log.maxline", scalar("log.maxline"), m));
            }
            Long lines = parsedInteger("log.lines");
            String l = lines == null ? null : budget.linesProblem((int) Math.min(Integer.MAX_VALUE, lines));
            if (l != null) {
                errors.add(new Problem("log.lines", scalar("log.lines"), l));
            }
        }

        private void delayWithinItsCap() {
            Duration delay = parsed("restart.delay");
            Duration max = parsed("restart.delay.max");
            if (delay != null && max != null && delay.compareTo(max) > 0) {
                errors.add(new Problem("restart.delay.max", scalar("restart.delay.max"), "is shorter than restart.delay = '"
                        + scalar("restart.delay") + "'"));
            }
        }

        private void intensity(DaemonSpec.Builder b, String name, CommandSpec command) {
            Integer[] intensity = new Integer[1];
            Duration[] period = new Duration[1];
            opt("intensity", v -> intensity[0] = (int) Values.integer(v, 0, 1_000_000));
            opt("intensity.period", v -> period[0] = positive(Values.duration(v)));
            if (intensity[0] != null || period[0] != null) {
                DaemonSpec defaults = DaemonSpec.builder(name, command).build();
                b.intensity(intensity[0] != null ? intensity[0] : defaults.maxRestarts(),
                        period[0] != null ? period[0] : defaults.restartWindow());
            }
        }

        private Readiness readiness(DaemonSpec.Builder b) {
            Map<String, Readiness> given = new LinkedHashMap<>();
            opt("ready.log", v -> {
                Readiness r = Readiness.logLine(v);
                String linear = LinePattern.problem(v);
                if (linear != null) {
                    throw new IllegalArgumentException(linear);
                }
                given.put("ready.log", r);
            });
            opt("ready.port", v -> given.put("ready.port", Readiness.tcpPort((int) Values.integer(v, 1, 65535))));
            opt("ready.file", v -> given.put("ready.file", Readiness.file(absolutePath(v))));
            opt("ready.notify", v -> {
                if (Values.bool(v)) {
                    given.put("ready.notify", Readiness.notifySocket());
                }
            });
            if (given.size() > 1) {
                String second = new ArrayList<>(given.keySet()).get(1);
                errors.add(new Problem(second, props.get(second), "only one readiness check can be set, but "
                        + String.join(" and ", given.keySet()) + " are"));
                return Readiness.immediate();
            }
            Readiness readiness = given.isEmpty() ? Readiness.immediate() : given.values().iterator().next();
            Readiness[] withTimeout = {readiness};
            opt("ready.timeout", v -> withTimeout[0] = readiness.withTimeout(positive(Values.duration(v))));
            b.readiness(withTimeout[0]);
            return withTimeout[0];
        }

        private void dependencies(DaemonSpec.Builder b, String name) {
            List<String> deps = list("depends.on");
            for (String d : deps) {
                if (!Values.isDaemonName(d)) {
                    errors.add(new Problem("depends.on", props.get("depends.on"), "'" + d + "' is not a daemon name"));
                }
            }
            if (deps.contains(name)) {
                errors.add(new Problem("depends.on", props.get("depends.on"), "a daemon cannot depend on itself"));
            } else {
                b.dependsOn(deps);
            }
        }

        /**
         * {@code start.pre}: a command line (split like {@code args}, or a list) run to completion before each
         * start, in the daemon's environment (user, groups, directory, variables, cgroup, hardening, kill signal
         * and grace), within {@code start.pre.timeout}.
         */
        private void preStart(DaemonSpec.Builder b, CommandSpec command) {
            Object raw = props.get("start.pre");
            Duration[] timeout = new Duration[1];
            opt("start.pre.timeout", v -> timeout[0] = positive(Values.duration(v)));
            if (raw == null || (!isMulti(raw) && raw.toString().isBlank())) {
                if (timeout[0] != null) {
                    warnings.add(new Problem("start.pre.timeout", scalar("start.pre.timeout"),
                            "has no effect without start.pre"));
                }
                return;
            }
            check("start.pre", raw, () -> {
                List<String> argv = new ArrayList<>();
                if (isMulti(raw)) {
                    for (Object a : elements(raw)) {
                        argv.add(String.valueOf(a));
                    }
                } else {
                    argv.addAll(ArgsSplitter.split(raw.toString()));
                }
                if (argv.isEmpty() || argv.get(0).isBlank()) {
                    throw new IllegalArgumentException("no program: set start.pre = <program> [args]");
                }
                if (argv.get(0).startsWith("-") || argv.get(0).startsWith("+") || argv.get(0).startsWith("!")
                        || argv.get(0).startsWith("@")) {
                    throw new IllegalArgumentException("systemd's prefixes (-, +, !, @) are not supported: give the"
                            + " program itself (to ignore its failure: start.pre = /bin/sh -c 'prog || true')");
                }
                if (!Values.isProgram(argv.get(0))) { // as command: Karaf's working directory is nobody's
                    throw new IllegalArgumentException("the program '" + argv.get(0) + "' " + Values.PROGRAM_RULE);
                }
                if (command == null) {
                    return; // the command is wrong: reported there
                }
                CommandSpec.Builder hook = command.toBuilder().command(argv).arg0(null).collectOutput(false)
                        .consumer(null);
                if (timeout[0] != null) {
                    hook.timeout(timeout[0]);
                }
                b.beforeStart(PreStart.command(hook.build()));
            });
        }

        /** A list of exit codes and signal names (blanks or commas between them, or a list value). */
        private void exitStatuses(String key, java.util.function.Consumer<ExitStatusSet> apply) {
            Object raw = props.get(key);
            if (raw == null) {
                return;
            }
            String text = isMulti(raw) ? String.join(" ", list(key)) : raw.toString();
            check(key, raw, () -> apply.accept(ExitStatusSet.parse(text)));
        }

        private <B> void apply(Map<String, Apply<B>> keys, B builder) {
            keys.forEach((key, apply) -> opt(key, v -> apply.to(builder, v)));
        }

        /** Runs {@code apply} with the key's single value when the key is set; records its refusal. */
        private void opt(String key, java.util.function.Consumer<String> apply) {
            Object raw = props.get(key);
            if (raw == null) {
                return;
            }
            if (isMulti(raw) && elements(raw).size() != 1) {
                errors.add(new Problem(key, raw, "takes one value, not a list"));
                return;
            }
            String v = scalar(key);
            if (v.isBlank() && !BLANK_IS_A_VALUE.contains(key)) {
                return; // an empty value means the default (metatype UIs leave optional fields empty)
            }
            check(key, raw, () -> apply.accept(v));
        }

        /** Runs {@code step}; a refusal becomes a problem of {@code key} with {@code value}. */
        private boolean check(String key, Object value, Runnable step) {
            try {
                step.run();
                return true;
            } catch (IllegalArgumentException | InvalidCommandException e) {
                errors.add(new Problem(key, value, e.getMessage()));
                return false;
            }
        }

        /** A duration key's value when it is set and valid (its refusal is reported where it is applied). */
        private Duration parsed(String key) {
            String v = scalar(key);
            try {
                return v == null || v.isBlank() ? null : Values.duration(v);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        /** The key's single value, trimmed, or "" when it is not set. */
        private String trimmed(String key) {
            String v = scalar(key);
            return v == null ? "" : v.trim();
        }

        /** A size key's value when it is set and valid (its refusal is reported where it is applied). */
        private Long parsedSize(String key) {
            String v = scalar(key);
            try {
                return v == null || v.isBlank() ? null : Values.size(v);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        /** A whole-number key's value when it is set and valid. */
        private Long parsedInteger(String key) {
            String v = scalar(key);
            try {
                return v == null || v.isBlank() ? null : Values.integer(v, 0, Long.MAX_VALUE);
            } catch (IllegalArgumentException e) {
                return null;
            }
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

    // ------------------------------------------------------------------ value rules of single keys

    private static Path absolutePath(String v) {
        Path p = Paths.get(v.trim());
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException("must be an absolute path");
        }
        return p;
    }

    /** {@link StdoutMode#parse}, with what each word means here. */
    private static StdoutMode stdoutMode(String v) {
        try {
            return StdoutMode.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected capture (read, logged at log.stdout) or discard"
                    + " (/dev/null)");
        }
    }

    /** {@link StderrMode#parse}, with what each word means here. */
    private static StderrMode stderrMode(String v) {
        try {
            return StderrMode.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected capture (read, logged at log.stderr), stdout (merged"
                    + " into stdout) or discard (/dev/null)");
        }
    }

    /** {@code rlimit.<key>} for each resource, in the kernel's order: {@link ResourceLimit#parse}. */
    private static Map<String, Apply<CommandSpec.Builder>> rlimitKeys() {
        Map<String, Apply<CommandSpec.Builder>> keys = new LinkedHashMap<>();
        for (Rlimit r : Rlimit.values()) {
            keys.put("rlimit." + r.key(), (b, v) -> b.rlimit(r, ResourceLimit.parse(r, v)));
        }
        return keys;
    }

    private static long sizeBetween(String v, long min, long max, String range) {
        long n = Values.size(v);
        if (n < min || n > max) {
            throw new IllegalArgumentException("must be between " + range);
        }
        return n;
    }

    private static double backoff(String v) {
        try {
            Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number (expected a factor such as 2 or 1.5; 1 = constant delay)");
        }
        return Values.number(v, 1, 100);
    }

    private static Duration positive(Duration d) {
        if (d.isZero()) {
            throw new IllegalArgumentException("must be longer than 0");
        }
        return d;
    }

    // ------------------------------------------------------------------ helpers

    /** Builds a key table in the order the keys are checked. */
    private static final class Table<B> {
        private final Map<String, Apply<B>> keys = new LinkedHashMap<>();

        Table<B> key(String key, Apply<B> apply) {
            if (keys.put(key, apply) != null) {
                throw new IllegalStateException("key " + key + " twice in the table");
            }
            return this;
        }

        Table<B> keys(Map<String, Apply<B>> more) {
            more.forEach(this::key);
            return this;
        }

        Map<String, Apply<B>> done() {
            return Collections.unmodifiableMap(keys);
        }
    }

    private static Set<String> keys() {
        Set<String> all = new TreeSet<>(PROGRAM_KEYS.keySet());
        all.addAll(DAEMON_KEYS.keySet());
        all.addAll(OTHER_KEYS);
        if (all.size() != PROGRAM_KEYS.size() + DAEMON_KEYS.size() + OTHER_KEYS.size()) {
            throw new IllegalStateException("a key is in more than one table");
        }
        return Collections.unmodifiableSet(all);
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

    /**
     * The known key nearest to {@code key} (edit distance at most 2, or same ignoring case), or the key
     * with its family's prefix corrected ({@code Env.TOKEN}, {@code evn.TOKEN} → {@code env.TOKEN}), or null.
     */
    static String closest(String key) {
        String best = null;
        int bestDistance = 3;
        for (String k : KEYS) {
            int d = k.equalsIgnoreCase(key) ? 0 : Values.editDistance(k, key.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        int dot = key.indexOf('.');
        if (best == null && dot > 0) {
            String first = key.substring(0, dot + 1).toLowerCase(Locale.ROOT);
            for (String family : FAMILIES) {
                if (Values.editDistance(family, first) <= 1) {
                    return family + key.substring(dot + 1);
                }
            }
        }
        return best;
    }
}
