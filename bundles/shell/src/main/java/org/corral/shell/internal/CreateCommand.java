package org.corral.shell.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.CommandException;
import org.corral.api.LogLevel;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * {@code corral:create [options] <name> [options] -- <command> [args]}: writes
 * {@code etc/org.corral.daemon-<name>.cfg} and the matching factory configuration.
 */
@Command(scope = "corral", name = "create", description = "Creates a daemon: writes etc/org.corral.daemon-<name>.cfg"
        + " (a factory configuration of org.corral.daemon, persisted like Karaf's config: commands do) and so starts"
        + " it. Options may come before or after the name; the program and its arguments follow '--'.",
        detailedDescription = "Example: corral:create --memory-max 64M --restart transient ticker -- sh -c"
        + " 'while true; do date; sleep 1; done'. Any other key: -p key=value. Edit the file afterwards to change"
        + " the daemon; corral:delete removes it.")
@Service
public class CreateCommand implements Action {

    @Argument(index = 0, name = "name", description = "The daemon's name: 1-64 letters, digits, '.', '_' or '-'",
            required = true)
    String name;

    @Argument(index = 1, name = "command", description = "[options] -- <program> [args]: the program (path or name"
            + " in PATH) and its arguments, after '--'", multiValued = true)
    List<String> words;

    @Option(name = "--", description = "Ends the options: the program and its arguments follow")
    boolean endOfOptions;

    @Option(name = "--restart", description = "Restart policy: permanent (default), transient (only after a failure)"
            + " or temporary (never)")
    String restart;

    @Option(name = "--restart-delay", description = "Delay before the first restart, e.g. 500ms (restart.delay)")
    String restartDelay;

    @Option(name = "--restart-delay-max", description = "Cap of the exponential back-off, e.g. 30s (restart.delay.max)")
    String restartDelayMax;

    @Option(name = "--backoff", description = "Back-off factor between consecutive restarts, e.g. 2 (restart.backoff)")
    String backoff;

    @Option(name = "--intensity", description = "FAILED after more than this many restarts within --intensity-period")
    String intensity;

    @Option(name = "--intensity-period", description = "The window of --intensity, e.g. 60s (intensity.period)")
    String intensityPeriod;

    @Option(name = "--memory-max", description = "cgroup memory.max, e.g. 64M (cgroup.memory.max)")
    String memoryMax;

    @Option(name = "--cpu-max", description = "cgroup cpu.max as a share of one cpu, e.g. 50%, or 'quota period'"
            + " (cgroup.cpu.max)")
    String cpuMax;

    @Option(name = "--pids-max", description = "cgroup pids.max, e.g. 64 (cgroup.pids.max)")
    String pidsMax;

    @Option(name = "--cgroup-base", description = "Base cgroup (relative to the cgroup2 mount) to run under"
            + " (cgroup.base)")
    String cgroupBase;

    @Option(name = "-u", aliases = "--user", description = "User (name or uid) to run as")
    String user;

    @Option(name = "-g", aliases = "--group", description = "Group (name or gid) to run as")
    String group;

    @Option(name = "-d", aliases = "--directory", description = "Working directory (absolute)")
    String directory;

    @Option(name = "-e", aliases = "--env", description = "Environment variable NAME=value (repeatable; env.NAME)",
            multiValued = true)
    List<String> env;

    @Option(name = "--ready-log", description = "READY when an output line matches this regular expression"
            + " (ready.log)")
    String readyLog;

    @Option(name = "--ready-port", description = "READY when this TCP port on 127.0.0.1 accepts (ready.port)")
    String readyPort;

    @Option(name = "--ready-file", description = "READY when this file exists (ready.file)")
    String readyFile;

    @Option(name = "--ready-timeout", description = "How long the readiness check may take, e.g. 30s"
            + " (ready.timeout)")
    String readyTimeout;

    @Option(name = "--depends-on", description = "Daemons that must be READY first, comma-separated (depends.on)")
    String dependsOn;

    @Option(name = "--stdout-level", description = "Log level of stdout lines: trace, debug, info (default), warn,"
            + " error or off (log.stdout)")
    String stdoutLevel;

    @Option(name = "--stderr-level", description = "Log level of stderr lines (default warn) (log.stderr)")
    String stderrLevel;

    @Option(name = "--kill-signal", description = "Signal that asks the program to stop, e.g. TERM (kill.signal)")
    String killSignal;

    @Option(name = "--kill-grace", description = "Time between the kill signal and SIGKILL, e.g. 5s (kill.grace)")
    String killGrace;

    @Option(name = "-p", aliases = "--property", description = "Any other configuration key: key=value (repeatable)",
            multiValued = true)
    List<String> properties;

    @Reference
    BundleContext context;

    @Reference(optional = true)
    ConfigurationAdmin configAdmin;

    @Override
    public Object execute() throws Exception {
        if (configAdmin == null) {
            throw Commands.error("corral: Config Admin is not running: daemon configurations cannot be changed");
        }
        Commands.Split split = Commands.split(words);
        if (!split.separated() && !split.after().isEmpty() && split.after().get(0).startsWith("-")) {
            throw Commands.error("corral: put the program after '--': corral:create [options] " + name
                    + " [options] -- <command> [args]");
        }
        Commands.applyLateOptions(this, split.before());
        List<String> argv = split.after();
        if (argv.isEmpty() || argv.get(0).isBlank()) {
            throw Commands.error("corral: no program given: corral:create [options] " + name
                    + " -- <command> [args]");
        }
        if (!name.matches(DaemonConfigs.NAME_PATTERN)) {
            throw Commands.error("corral: '" + name + "' is not a valid daemon name (1-64 letters, digits, '.', '_'"
                    + " or '-', starting with a letter or digit)");
        }
        Map<String, String> props = properties(argv);
        String etcDir = System.getProperty("karaf.etc");
        if (etcDir == null) {
            throw Commands.error("corral: the system property karaf.etc is not set: corral:create writes into Karaf's"
                    + " etc/ directory");
        }
        Path etc = Paths.get(etcDir);
        Path file = DaemonConfigs.cfgFile(etc, name);
        if (Daemons.names(context).contains(name)) {
            throw Commands.error("corral: a daemon named '" + name + "' exists already (corral:status " + name + ")");
        }
        var existing = DaemonConfigs.find(configAdmin, name);
        if (existing.isPresent()) {
            throw Commands.error("corral: a configuration for daemon '" + name + "' exists already ("
                    + DaemonConfigs.fileOf(DaemonConfigs.toMap(existing.get().getProperties()))
                            .map(Path::toString).orElse(existing.get().getPid())
                    + "): edit it, or corral:delete " + name + " first");
        }
        if (Files.exists(file)) {
            throw Commands.error("corral: " + file + " exists already: edit it, or remove it first");
        }
        for (Map.Entry<String, String> p : props.entrySet()) {
            if (p.getValue().contains("${")) {
                System.out.println("corral: note: Karaf substitutes ${...} in .cfg files: " + p.getKey() + " = "
                        + p.getValue());
            }
        }
        DaemonConfigs.create(configAdmin, etc, name, props);
        System.out.println("corral: created daemon '" + name + "' in " + file + " (corral:status " + name
                + " shows it)");
        return null;
    }

    /** The configuration properties these options and argv stand for, validated. */
    Map<String, String> properties(List<String> argv) throws CommandException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("command", argv.get(0));
        if (argv.size() > 1) {
            p.put("args", Format.argv(argv.subList(1, argv.size())));
        }
        put(p, "directory", directory, v -> {
            if (!Paths.get(v).isAbsolute()) {
                throw new IllegalArgumentException("'" + v + "' is not an absolute path");
            }
        }, "--directory");
        put(p, "user", user, v -> { }, "--user");
        put(p, "group", group, v -> { }, "--group");
        if (env != null) {
            for (String e : env) {
                String[] kv = check("--env", () -> Values.keyValue(e, "an environment variable"));
                p.put("env." + kv[0], kv[1]);
            }
        }
        put(p, "restart", restart, RestartPolicy::parse, "--restart");
        put(p, "restart.delay", restartDelay, Values::duration, "--restart-delay");
        put(p, "restart.delay.max", restartDelayMax, Values::duration, "--restart-delay-max");
        put(p, "restart.backoff", backoff, v -> {
            double f = Double.parseDouble(v);
            if (!(f >= 1.0 && f <= 100)) {
                throw new IllegalArgumentException("'" + v + "' must be between 1 and 100");
            }
        }, "--backoff");
        put(p, "intensity", intensity, v -> {
            if (Integer.parseInt(v) < 0) {
                throw new IllegalArgumentException("'" + v + "' must be >= 0");
            }
        }, "--intensity");
        put(p, "intensity.period", intensityPeriod, Values::duration, "--intensity-period");
        put(p, "cgroup.base", cgroupBase, v -> { }, "--cgroup-base");
        put(p, "cgroup.memory.max", memoryMax, v -> {
            if (!v.equalsIgnoreCase("max")) {
                Values.size(v);
            }
        }, "--memory-max");
        put(p, "cgroup.cpu.max", cpuMax, v -> {
            if (!v.equalsIgnoreCase("max")) {
                Values.cpuMax(v);
            }
        }, "--cpu-max");
        put(p, "cgroup.pids.max", pidsMax, v -> {
            if (!v.equalsIgnoreCase("max") && Long.parseLong(v) < 0) {
                throw new IllegalArgumentException("'" + v + "' must be >= 0 or max");
            }
        }, "--pids-max");
        put(p, "ready.log", readyLog, v -> {
            try {
                Pattern.compile(v);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("'" + v + "' is not a regular expression: " + e.getDescription());
            }
        }, "--ready-log");
        put(p, "ready.port", readyPort, v -> {
            int port = Integer.parseInt(v);
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("'" + v + "' is not a TCP port (1..65535)");
            }
        }, "--ready-port");
        put(p, "ready.file", readyFile, v -> { }, "--ready-file");
        put(p, "ready.timeout", readyTimeout, Values::duration, "--ready-timeout");
        put(p, "depends.on", dependsOn, v -> {
            for (String d : v.split(",")) {
                if (!d.trim().matches(DaemonConfigs.NAME_PATTERN)) {
                    throw new IllegalArgumentException("'" + d.trim() + "' is not a daemon name");
                }
            }
        }, "--depends-on");
        put(p, "log.stdout", stdoutLevel, LogLevel::parse, "--stdout-level");
        put(p, "log.stderr", stderrLevel, LogLevel::parse, "--stderr-level");
        put(p, "kill.signal", killSignal, Signal::parse, "--kill-signal");
        put(p, "kill.grace", killGrace, Values::duration, "--kill-grace");
        if (properties != null) {
            for (String kv : properties) {
                String[] pair = check("--property", () -> Values.keyValue(kv, "a property"));
                p.put(pair[0].trim(), pair[1]);
            }
        }
        return p;
    }

    private static void put(Map<String, String> props, String key, String value, Consumer<String> validator,
            String option) throws CommandException {
        if (value == null) {
            return;
        }
        check(option, () -> {
            validator.accept(value.trim());
            return null;
        });
        props.put(key, value.trim());
    }

    private interface Check<T> {
        T get();
    }

    private static <T> T check(String option, Check<T> check) throws CommandException {
        try {
            return check.get();
        } catch (NumberFormatException e) {
            throw Commands.error("corral: " + option + ": not a number (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw Commands.error("corral: " + option + ": " + e.getMessage());
        }
    }
}
