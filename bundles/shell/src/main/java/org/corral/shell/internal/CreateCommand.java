package org.corral.shell.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.CommandException;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonConfigValidator.Problem;
import org.corral.api.DaemonConfigValidator.Validation;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * {@code corral:create [options] <name> [options] -- <command> [args]}: writes
 * {@code etc/org.corral.daemon-<name>.cfg} and the matching factory configuration.
 *
 * <p>The options only name configuration keys ({@link Key}); the values are checked by the supervisor's
 * {@link DaemonConfigValidator}, the same code that reads {@code .cfg} files, before anything is written, and
 * its refusals are printed in its words, prefixed with the option that gave the key. Options that are whole
 * numbers are typed (Karaf converts them); durations and sizes stay text because Karaf knows no such types.
 */
@Command(scope = "corral", name = "create", description = "Creates a daemon: writes etc/org.corral.daemon-<name>.cfg"
        + " (a factory configuration of org.corral.daemon, persisted like Karaf's config: commands do) and so starts"
        + " it. Options may come before or after the name; the program and its arguments follow '--'. The values"
        + " are checked as the supervisor checks the file, before anything is written.",
        detailedDescription = "Example: corral:create --memory-max 64M --restart transient ticker -- sh -c"
        + " 'while true; do date; sleep 1; done'. Any other key: -p key=value (an unknown key is refused). Edit the"
        + " file afterwards to change the daemon; corral:delete removes it.")
@Service
public class CreateCommand extends ProgramOptions {

    /** The configuration key an option sets: its value, as given, is the key's value. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface Key {
        String value();
    }

    @Argument(index = 0, name = "name", description = "The daemon's name: 1-64 letters, digits, '.', '_' or '-'",
            required = true)
    String name;

    @Argument(index = 1, name = "command", description = "[options] -- <program> [args]: the program (path or name"
            + " in PATH) and its arguments, after '--'", multiValued = true)
    List<String> words;

    @Option(name = "--", description = "Ends the options: the program and its arguments follow")
    boolean endOfOptions;

    @Key("restart")
    @Option(name = "--restart", description = "Restart policy: permanent (default), transient (only after a failure)"
            + " or temporary (never)")
    String restart;

    @Key("success.exit.status")
    @Option(name = "--success-exit-status", description = "Exit codes and signal names that count as a clean end"
            + " besides 0, e.g. '143 SIGTERM' (success.exit.status)")
    String successExitStatus;

    @Key("restart.prevent.exit.status")
    @Option(name = "--restart-prevent-exit-status", description = "Exit codes and signal names after which the"
            + " program is never restarted, e.g. 78 (restart.prevent.exit.status)")
    String restartPreventExitStatus;

    @Key("restart.delay")
    @Option(name = "--restart-delay", description = "Delay before the first restart, e.g. 500ms (restart.delay)")
    String restartDelay;

    @Key("restart.delay.max")
    @Option(name = "--restart-delay-max", description = "Cap of the exponential back-off, e.g. 30s (restart.delay.max)")
    String restartDelayMax;

    @Key("restart.backoff")
    @Option(name = "--backoff", description = "Back-off factor between consecutive restarts, 1 to 100, e.g. 2 or 1.5"
            + " (restart.backoff)")
    Double backoff;

    @Key("intensity")
    @Option(name = "--intensity", description = "FAILED after more than this many restarts within --intensity-period"
            + " (intensity)")
    Integer intensity;

    @Key("intensity.period")
    @Option(name = "--intensity-period", description = "The window of --intensity, e.g. 60s (intensity.period)")
    String intensityPeriod;

    @Key("ready.log")
    @Option(name = "--ready-log", description = "READY when an output line matches this regular expression"
            + " (ready.log)")
    String readyLog;

    @Key("ready.port")
    @Option(name = "--ready-port", description = "READY when this TCP port on 127.0.0.1 accepts (ready.port)")
    Integer readyPort;

    @Key("ready.file")
    @Option(name = "--ready-file", description = "READY when this file exists (ready.file)")
    String readyFile;

    @Key("ready.notify")
    @Option(name = "--ready-notify", description = "READY when the program sends READY=1 over sd_notify: it gets a"
            + " NOTIFY_SOCKET (ready.notify)")
    Boolean readyNotify;

    @Key("watchdog")
    @Option(name = "--watchdog", description = "sd_notify watchdog, e.g. 30s: once READY the program must send"
            + " WATCHDOG=1 this often, else SIGABRT and a restart (watchdog)")
    String watchdog;

    @Key("ready.timeout")
    @Option(name = "--ready-timeout", description = "How long the readiness check may take, e.g. 30s"
            + " (ready.timeout)")
    String readyTimeout;

    @Key("start.pre")
    @Option(name = "--start-pre", description = "A command run to completion before each start; exit 0 starts the"
            + " program, like systemd's ExecStartPre= (start.pre)")
    String startPre;

    @Key("start.pre.timeout")
    @Option(name = "--start-pre-timeout", description = "How long --start-pre may run, e.g. 2m (start.pre.timeout)")
    String startPreTimeout;

    @Key("depends.on")
    @Option(name = "--depends-on", description = "Daemons that must be READY first, comma-separated (depends.on)")
    String dependsOn;

    @Key("log.stdout")
    @Option(name = "--stdout-level", description = "Log level of stdout lines: trace, debug, info (default), warn,"
            + " error or off (log.stdout)")
    String stdoutLevel;

    @Key("log.stderr")
    @Option(name = "--stderr-level", description = "Log level of stderr lines (default warn) (log.stderr)")
    String stderrLevel;

    @Key("reload.signal")
    @Option(name = "--reload-signal", description = "Signal corral:reload sends, e.g. USR1 (default HUP)"
            + " (reload.signal)")
    String reloadSignal;

    @Option(name = "-p", aliases = "--property", description = "Any other configuration key: key=value (repeatable)",
            multiValued = true)
    List<String> properties;

    @Reference
    BundleContext context;

    @Reference(optional = true)
    ConfigurationAdmin configAdmin;

    @Reference(optional = true)
    DaemonConfigValidator validator;

    @Override
    public Object execute() throws Exception {
        DaemonCommand.configAdmin(configAdmin);
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
        Map<String, String> props = properties(argv);
        check(props);
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
                System.out.println("corral: note: Karaf substitutes ${...} in .cfg files: " + p.getKey()
                        + (p.getKey().startsWith("env.") ? "" : " = " + p.getValue()));
            }
        }
        DaemonConfigs.create(configAdmin, etc, name, props);
        System.out.println("corral: created daemon '" + name + "' in " + file + " (corral:status " + name
                + " shows it)");
        return null;
    }

    /**
     * The configuration properties these options and argv stand for, as they will be written (not checked
     * yet: {@link #check}). Only the forms that belong to the console are checked here: {@code NAME=value}
     * of {@code -e} and {@code -p}.
     */
    Map<String, String> properties(List<String> argv) throws CommandException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("command", argv.get(0));
        if (argv.size() > 1) {
            p.put("args", Format.argv(argv.subList(1, argv.size())));
        }
        for (Field f : keyFields()) {
            Object value = get(f);
            if (value != null) {
                p.put(f.getAnnotation(Key.class).value(), text(value));
            }
        }
        for (String e : env == null ? List.<String>of() : env) {
            String[] kv = keyValue("--env", e, "an environment variable");
            p.put("env." + kv[0], kv[1]);
        }
        for (String r : rlimits == null ? List.<String>of() : rlimits) {
            String[] kv = keyValue("--rlimit", r, "a resource limit");
            p.put("rlimit." + kv[0].trim().toLowerCase(java.util.Locale.ROOT), kv[1]);
        }
        for (String kv : properties == null ? List.<String>of() : properties) {
            String[] pair = keyValue("--property", kv, "a property");
            p.put(pair[0].trim(), pair[1]);
        }
        return p;
    }

    /**
     * Checks {@code props} (with this daemon's name) with the supervisor's validator.
     *
     * @throws CommandException every error, and every unknown key, in the validator's words, each prefixed
     *     with the option that set its key
     */
    void check(Map<String, String> props) throws CommandException {
        if (validator == null) {
            throw Commands.error("corral: the supervisor is not running (no DaemonConfigValidator service), so the"
                    + " configuration cannot be checked: see corral:doctor, or write " + DaemonConfigs.FACTORY_PID
                    + "-" + name + ".cfg in etc/ yourself");
        }
        Map<String, String> named = new LinkedHashMap<>(props);
        named.put("name", name);
        Validation v = validator.validate(named);
        List<String> refused = new ArrayList<>();
        for (Problem p : v.errors()) {
            refused.add(optionOf(p.key()) + p.text());
        }
        for (Problem p : v.warnings()) {
            refused.add(optionOf(p.key()) + p.text() + " (refused here)");
        }
        if (!refused.isEmpty()) {
            throw Commands.error("corral: " + String.join("; ", refused));
        }
    }

    /** {@code "--kill-grace: "} for {@code kill.grace}, {@code "-p: "} for a key given with -p, else "". */
    private String optionOf(String key) {
        for (Field f : keyFields()) {
            if (f.getAnnotation(Key.class).value().equals(key) && get(f) != null) {
                Option o = f.getAnnotation(Option.class);
                return (o.aliases().length > 0 ? o.aliases()[0] : o.name()) + ": ";
            }
        }
        if (key.startsWith("env.") && env != null && env.stream().anyMatch(e -> e.startsWith(key.substring(4) + "="))) {
            return "--env: ";
        }
        if (key.startsWith("rlimit.") && rlimits != null && rlimits.stream()
                .anyMatch(r -> ("rlimit." + r.split("=", 2)[0].trim()).equalsIgnoreCase(key))) {
            return "--rlimit: ";
        }
        if (properties != null && properties.stream().anyMatch(kv -> kv.split("=", 2)[0].trim().equals(key))) {
            return "--property: ";
        }
        return "";
    }

    /** The option fields that set a configuration key. */
    static List<Field> keyFields() {
        List<Field> out = new ArrayList<>();
        for (Class<?> c = CreateCommand.class; c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.isAnnotationPresent(Key.class)) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    private Object get(Field f) {
        try {
            return f.get(this);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A typed option's value as the file writes it: {@code 2} not {@code 2.0}; text as given. */
    private static String text(Object value) {
        if (value instanceof Double && Double.isFinite((Double) value)) {
            return BigDecimal.valueOf((Double) value).stripTrailingZeros().toPlainString();
        }
        return value.toString().trim();
    }

    private static String[] keyValue(String option, String word, String what) throws CommandException {
        try {
            return Commands.keyValue(word, what);
        } catch (IllegalArgumentException e) {
            throw Commands.error("corral: " + option + ": " + e.getMessage());
        }
    }
}
