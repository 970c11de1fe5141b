package org.corral.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import org.corral.api.values.Printable;

/**
 * An immutable description of one program run: argv (no shell), environment, directory, stdio, limits,
 * user, cgroup and kill behaviour. Build one with {@link #builder(String...)}; validation that needs the
 * system (does the program exist, is the user known) happens when it is run, before anything starts.
 */
public final class CommandSpec {

    /** Default grace between the kill signal and SIGKILL: 500 ms, like MuonTrap. */
    public static final Duration DEFAULT_GRACE = Duration.ofMillis(500);
    /** Default flow-control window per stream: 256 KiB. */
    public static final int DEFAULT_WINDOW = 256 * 1024;

    private final List<String> argv;
    private final String arg0;
    private final boolean clearEnv;
    private final Map<String, String> env;
    private final Set<String> unsetEnv;
    private final Path envFile;
    private final Path directory;
    private final Stdin stdin;
    private final StderrMode stderrMode;
    private final StdoutMode stdoutMode;
    private final boolean collectOutput;
    private final OutputConsumer consumer;
    private final long maxOutputBytes;
    private final Duration timeout;
    private final Signal killSignal;
    private final Duration grace;
    private final String user;
    private final String group;
    private final List<String> supplementaryGroups;
    private final boolean allowRoot;
    private final String cgroupBase;
    private final String cgroupPath;
    private final boolean allowPopulatedCgroup;
    private final CgroupLimits limits;
    private final boolean defaultCgroup;
    private final int window;
    private final boolean killDescendantsOnExit;
    // hardening, applied by the helper just before exec
    private final boolean noNewPrivileges;
    private final Set<Capability> capabilities;
    private final Map<Rlimit, ResourceLimit> rlimits;
    private final Integer nice;
    private final Integer oomScoreAdj;
    private final Integer umask;

    private CommandSpec(Builder b) {
        this.argv = List.copyOf(b.argv);
        this.arg0 = b.arg0;
        this.clearEnv = b.clearEnv;
        this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        this.unsetEnv = Collections.unmodifiableSet(new LinkedHashSet<>(b.unsetEnv));
        this.envFile = b.envFile;
        this.directory = b.directory;
        this.stdin = b.stdin;
        this.stderrMode = b.stderrMode;
        this.stdoutMode = b.stdoutMode;
        this.collectOutput = b.collectOutput;
        this.consumer = b.consumer;
        this.maxOutputBytes = b.maxOutputBytes;
        this.timeout = b.timeout;
        this.killSignal = b.killSignal;
        this.grace = b.grace;
        this.user = b.user;
        this.group = b.group;
        this.supplementaryGroups = b.supplementaryGroups == null ? null : List.copyOf(b.supplementaryGroups);
        this.allowRoot = b.allowRoot;
        this.cgroupBase = b.cgroupBase;
        this.cgroupPath = b.cgroupPath;
        this.allowPopulatedCgroup = b.allowPopulatedCgroup;
        this.limits = b.limits;
        this.defaultCgroup = b.defaultCgroup;
        this.window = b.window;
        this.killDescendantsOnExit = b.killDescendantsOnExit;
        this.noNewPrivileges = b.noNewPrivileges;
        this.capabilities = b.capabilities == null ? null : Collections.unmodifiableSet(EnumSet.copyOf(b.capabilities));
        this.rlimits = Collections.unmodifiableMap(new EnumMap<>(b.rlimits));
        this.nice = b.nice;
        this.oomScoreAdj = b.oomScoreAdj;
        this.umask = b.umask;
    }

    /** A spec with only argv set: {@code argv[0]} is a path or a name looked up in {@code PATH}. */
    public static CommandSpec of(String... argv) {
        return builder(argv).build();
    }

    /** A builder starting from argv ({@code argv[0]} is a path or a name looked up in {@code PATH}). */
    public static Builder builder(String... argv) {
        return new Builder().command(argv);
    }

    /** A builder starting from argv. */
    public static Builder builder(List<String> argv) {
        return new Builder().command(argv);
    }

    /** A builder holding this spec's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The program and its arguments; {@code argv().get(0)} is the program (path or name). */
    public List<String> argv() { return argv; }
    /** The {@code argv[0]} the program sees, when it differs from the program path. */
    public Optional<String> arg0() { return Optional.ofNullable(arg0); }
    /** Start from an empty environment instead of the JVM's. */
    public boolean clearEnv() { return clearEnv; }
    /** Variables set (over the inherited or empty environment). */
    public Map<String, String> env() { return env; }
    /** Variables removed from the inherited environment. */
    public Set<String> unsetEnv() { return unsetEnv; }
    /**
     * A file of {@code NAME=value} lines read at every start (each run, each start of a daemon), whose variables
     * are set over {@link #env()}; its values are never logged or shown. See {@link Builder#envFile}.
     *
     * @since 1.2
     */
    public Optional<Path> envFile() { return Optional.ofNullable(envFile); }
    /** Working directory; the JVM's when empty. */
    public Optional<Path> directory() { return Optional.ofNullable(directory); }
    public Stdin stdin() { return stdin; }
    public StderrMode stderrMode() { return stderrMode; }
    /** Where stdout goes: read (default) or discarded. @since 1.2 */
    public StdoutMode stdoutMode() { return stdoutMode; }
    /** Whether stdout/stderr are collected into the result (default true). */
    public boolean collectOutput() { return collectOutput; }
    /** Receives output as it arrives, besides (or instead of) collection. */
    public Optional<OutputConsumer> consumer() { return Optional.ofNullable(consumer); }
    /** Cap on collected bytes per stream; beyond it output is still drained but dropped (result says truncated). */
    public long maxOutputBytes() { return maxOutputBytes; }
    public Optional<Duration> timeout() { return Optional.ofNullable(timeout); }
    public Signal killSignal() { return killSignal; }
    public Duration grace() { return grace; }
    /** User name or numeric uid to run as. */
    public Optional<String> user() { return Optional.ofNullable(user); }
    /** Group name or numeric gid to run as (default: the user's primary group). */
    public Optional<String> group() { return Optional.ofNullable(group); }
    /** Supplementary groups (names or numbers); empty optional = the user's groups from /etc/group. */
    public Optional<List<String>> supplementaryGroups() { return Optional.ofNullable(supplementaryGroups); }
    /** Whether running as uid 0 is allowed when a user is given (refused by default). */
    public boolean allowRoot() { return allowRoot; }
    /** Base cgroup (relative to the cgroup2 mount) under which a unique sub-cgroup is created. */
    public Optional<String> cgroupBase() { return Optional.ofNullable(cgroupBase); }
    /** Fixed cgroup path (relative to the cgroup2 mount) to run in. */
    public Optional<String> cgroupPath() { return Optional.ofNullable(cgroupPath); }
    /** Whether a fixed {@link #cgroupPath()} may already hold processes. */
    public boolean allowPopulatedCgroup() { return allowPopulatedCgroup; }
    /** The cgroup limits; empty when none is set (an empty {@link CgroupLimits} counts as none). */
    public Optional<CgroupLimits> limits() { return Optional.ofNullable(limits); }
    /**
     * Whether the program, when it sets no cgroup option, runs in a cgroup of its own under the engine's default
     * base (default true; see {@code ProcessService.containment()}). False: it runs in its helper's cgroup.
     *
     * @since 1.2
     */
    public boolean defaultCgroup() { return defaultCgroup; }
    /** Flow-control window per stream in bytes: the most output that can be in flight or buffered. */
    public int window() { return window; }
    /** Whether descendants still running when the program exits are killed (default true). */
    public boolean killDescendantsOnExit() { return killDescendantsOnExit; }

    /**
     * Whether the program runs with {@code no_new_privs} (default false): neither it nor its descendants can
     * gain privileges through execve (set-user-ID bits and file capabilities give nothing).
     *
     * @since 1.2
     */
    public boolean noNewPrivileges() { return noNewPrivileges; }

    /**
     * The program's capabilities, when set (empty optional: whatever the JVM's give, unchanged). For a program
     * that runs as a user other than root these are the capabilities it holds (ambient, inheritable,
     * permitted, effective) and the most it can ever get (bounding set); for a root program they are the
     * bounding set, so root keeps only these. An empty set: no capability at all.
     *
     * @since 1.2
     */
    public Optional<Set<Capability>> capabilities() { return Optional.ofNullable(capabilities); }

    /**
     * The resource limits set for the program (the others are inherited from the JVM), in the kernel's order.
     *
     * @since 1.2
     */
    public Map<Rlimit, ResourceLimit> rlimits() { return rlimits; }

    /**
     * The program's nice value, -20 (highest priority) .. 19, when set (else the JVM's).
     *
     * @since 1.2
     */
    public OptionalInt nice() { return nice == null ? OptionalInt.empty() : OptionalInt.of(nice); }

    /**
     * The program's {@code oom_score_adj}, -1000 (never chosen by the OOM killer) .. 1000 (chosen first), when
     * set (else the JVM's).
     *
     * @since 1.2
     */
    public OptionalInt oomScoreAdj() { return oomScoreAdj == null ? OptionalInt.empty() : OptionalInt.of(oomScoreAdj); }

    /**
     * The program's umask, 0 .. 0777, when set (else the JVM's).
     *
     * @since 1.2
     */
    public OptionalInt umask() { return umask == null ? OptionalInt.empty() : OptionalInt.of(umask); }

    /**
     * Whether any hardening option is set: {@link #noNewPrivileges()}, {@link #capabilities()},
     * {@link #rlimits()}, {@link #nice()}, {@link #oomScoreAdj()}, {@link #umask()}.
     *
     * @since 1.2
     */
    public boolean usesHardening() {
        return noNewPrivileges || capabilities != null || !rlimits.isEmpty() || nice != null || oomScoreAdj != null
                || umask != null;
    }

    /**
     * Whether any cgroup option is set: a base, a path or at least one limit. An empty {@link CgroupLimits}
     * counts as no limits. (A program that sets none still runs in a cgroup of its own under the default base,
     * unless {@link #defaultCgroup()} is false.)
     */
    public boolean usesCgroup() {
        return cgroupBase != null || cgroupPath != null || (limits != null && !limits.isEmpty());
    }

    @Override
    public String toString() {
        return "CommandSpec" + argv;
    }

    /** Builds a {@link CommandSpec}; every setter checks its argument and names it when refused. */
    public static final class Builder {
        private List<String> argv = List.of();
        private String arg0;
        private boolean clearEnv;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Set<String> unsetEnv = new LinkedHashSet<>();
        private Path envFile;
        private Path directory;
        private Stdin stdin = Stdin.none();
        private StderrMode stderrMode = StderrMode.SEPARATE;
        private StdoutMode stdoutMode = StdoutMode.CAPTURE;
        private boolean collectOutput = true;
        private OutputConsumer consumer;
        private long maxOutputBytes = Long.MAX_VALUE;
        private Duration timeout;
        private Signal killSignal = Signal.TERM;
        private Duration grace = DEFAULT_GRACE;
        private String user;
        private String group;
        private List<String> supplementaryGroups;
        private boolean allowRoot;
        private String cgroupBase;
        private String cgroupPath;
        private boolean allowPopulatedCgroup;
        private CgroupLimits limits;
        private boolean defaultCgroup = true;
        private int window = DEFAULT_WINDOW;
        private boolean killDescendantsOnExit = true;
        private boolean noNewPrivileges;
        private Set<Capability> capabilities;
        private final Map<Rlimit, ResourceLimit> rlimits = new EnumMap<>(Rlimit.class);
        private Integer nice;
        private Integer oomScoreAdj;
        private Integer umask;

        private Builder() {
        }

        private Builder(CommandSpec s) {
            argv = s.argv;
            arg0 = s.arg0;
            clearEnv = s.clearEnv;
            env.putAll(s.env);
            unsetEnv.addAll(s.unsetEnv);
            envFile = s.envFile;
            directory = s.directory;
            stdin = s.stdin;
            stderrMode = s.stderrMode;
            stdoutMode = s.stdoutMode;
            collectOutput = s.collectOutput;
            consumer = s.consumer;
            maxOutputBytes = s.maxOutputBytes;
            timeout = s.timeout;
            killSignal = s.killSignal;
            grace = s.grace;
            user = s.user;
            group = s.group;
            supplementaryGroups = s.supplementaryGroups;
            allowRoot = s.allowRoot;
            cgroupBase = s.cgroupBase;
            cgroupPath = s.cgroupPath;
            allowPopulatedCgroup = s.allowPopulatedCgroup;
            limits = s.limits;
            defaultCgroup = s.defaultCgroup;
            window = s.window;
            killDescendantsOnExit = s.killDescendantsOnExit;
            noNewPrivileges = s.noNewPrivileges;
            capabilities = s.capabilities;
            rlimits.putAll(s.rlimits);
            nice = s.nice;
            oomScoreAdj = s.oomScoreAdj;
            umask = s.umask;
        }

        public Builder command(String... argv) {
            return command(List.of(argv));
        }

        public Builder command(List<String> argv) {
            List<String> copy = new ArrayList<>(argv.size());
            for (int i = 0; i < argv.size(); i++) {
                String a = Objects.requireNonNull(argv.get(i), "argv[" + i + "] is null");
                if (a.indexOf('\0') >= 0) {
                    throw new InvalidCommandException("argv[" + i + "] contains a NUL character");
                }
                copy.add(a);
            }
            if (copy.isEmpty() || copy.get(0).isEmpty()) {
                throw new InvalidCommandException("argv[0] (the program) is missing or empty");
            }
            this.argv = copy;
            return this;
        }

        public Builder arg0(String arg0) {
            this.arg0 = noNul("arg0", arg0);
            return this;
        }

        public Builder clearEnv(boolean clear) {
            this.clearEnv = clear;
            return this;
        }

        public Builder env(String name, String value) {
            checkEnvName(name);
            env.put(name, noNul("env " + name, Objects.requireNonNull(value, "value of env " + name)));
            unsetEnv.remove(name);
            return this;
        }

        public Builder env(Map<String, String> vars) {
            vars.forEach(this::env);
            return this;
        }

        /**
         * Environment variables from a file, read when the program starts (every run, every start and restart of a
         * daemon, so an edited file applies from the next start), like systemd's {@code EnvironmentFile=}: lines
         * {@code NAME=value}; empty lines and lines starting with {@code #} are ignored; blanks around the name and
         * the value are dropped; a value in matching single or double quotes is taken without them (in double
         * quotes, {@code \"} and {@code \\} stand for {@code "} and {@code \}). Its variables are set over those of
         * {@link #env}. The file must be a regular file owned by root or by the JVM's user, neither readable nor
         * writable by group or others (mode 0600 or 0400): otherwise, or when it cannot be read or a line is not
         * {@code NAME=value}, the start fails with an {@link InvalidCommandException} naming the file, the line
         * number and the reason, never a value.
         *
         * @param file an absolute path; null: none
         * @since 1.2
         */
        public Builder envFile(Path file) {
            if (file != null && !file.isAbsolute()) {
                throw new InvalidCommandException("the environment file must be an absolute path, got " + file);
            }
            this.envFile = file;
            return this;
        }

        public Builder unsetEnv(String name) {
            checkEnvName(name);
            env.remove(name);
            unsetEnv.add(name);
            return this;
        }

        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        public Builder stdin(Stdin stdin) {
            this.stdin = Objects.requireNonNull(stdin, "stdin");
            return this;
        }

        public Builder stderr(StderrMode mode) {
            this.stderrMode = Objects.requireNonNull(mode, "stderr mode");
            return this;
        }

        /**
         * Where stdout goes: {@link StdoutMode#DISCARD} sends it to {@code /dev/null} (the result and the consumer
         * then see no stdout; a daemon logs only stderr).
         *
         * @since 1.2
         */
        public Builder stdout(StdoutMode mode) {
            this.stdoutMode = Objects.requireNonNull(mode, "stdout mode");
            return this;
        }

        public Builder collectOutput(boolean collect) {
            this.collectOutput = collect;
            return this;
        }

        public Builder consumer(OutputConsumer consumer) {
            this.consumer = consumer;
            return this;
        }

        public Builder maxOutputBytes(long max) {
            if (max < 0) {
                throw new InvalidCommandException("maxOutputBytes must be >= 0, got " + max);
            }
            this.maxOutputBytes = max;
            return this;
        }

        public Builder timeout(Duration timeout) {
            if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
                throw new InvalidCommandException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        public Builder killSignal(Signal signal) {
            this.killSignal = Objects.requireNonNull(signal, "kill signal");
            return this;
        }

        public Builder grace(Duration grace) {
            if (grace == null || grace.isNegative()) {
                throw new InvalidCommandException("grace must be >= 0, got " + grace);
            }
            if (grace.toMillis() > Integer.MAX_VALUE) {
                throw new InvalidCommandException("grace too long: " + grace);
            }
            this.grace = grace;
            return this;
        }

        public Builder user(String user) {
            this.user = blankToNull(user);
            return this;
        }

        public Builder uid(int uid) {
            return user(Integer.toString(uid));
        }

        public Builder group(String group) {
            this.group = blankToNull(group);
            return this;
        }

        public Builder gid(int gid) {
            return group(Integer.toString(gid));
        }

        public Builder supplementaryGroups(List<String> groups) {
            this.supplementaryGroups = groups == null ? null : List.copyOf(groups);
            return this;
        }

        public Builder allowRoot(boolean allow) {
            this.allowRoot = allow;
            return this;
        }

        public Builder cgroupBase(String base) {
            this.cgroupBase = blankToNull(base);
            return this;
        }

        public Builder cgroupPath(String path) {
            this.cgroupPath = blankToNull(path);
            return this;
        }

        public Builder allowPopulatedCgroup(boolean allow) {
            this.allowPopulatedCgroup = allow;
            return this;
        }

        /** The cgroup limits; null or an empty {@link CgroupLimits} means none. */
        public Builder limits(CgroupLimits limits) {
            this.limits = limits == null || limits.isEmpty() ? null : limits;
            return this;
        }

        /**
         * Whether the program runs in a cgroup of its own under the engine's default base when it sets no cgroup
         * option (default true). {@code false} opts out: the program runs in its helper's cgroup (the JVM's);
         * refused together with a cgroup base, path or limit.
         *
         * @since 1.2
         */
        public Builder defaultCgroup(boolean use) {
            this.defaultCgroup = use;
            return this;
        }

        public Builder window(int bytes) {
            if (bytes < 4096 || bytes > 64 * 1024 * 1024) {
                throw new InvalidCommandException("window must be between 4096 and 67108864 bytes, got " + bytes);
            }
            this.window = bytes;
            return this;
        }

        public Builder killDescendantsOnExit(boolean kill) {
            this.killDescendantsOnExit = kill;
            return this;
        }

        /**
         * Runs the program with {@code no_new_privs}: neither it nor its descendants gain privileges through
         * execve.
         *
         * @since 1.2
         */
        public Builder noNewPrivileges(boolean on) {
            this.noNewPrivileges = on;
            return this;
        }

        /**
         * The program's capabilities (see {@link CommandSpec#capabilities()}); null: unchanged (the default), an
         * empty set: none. Needs the JVM to run as root.
         *
         * @since 1.2
         */
        public Builder capabilities(Set<Capability> capabilities) {
            if (capabilities == null) {
                this.capabilities = null;
                return this;
            }
            for (Capability c : capabilities) {
                if (c == null) {
                    throw new InvalidCommandException("capabilities: a capability is null");
                }
            }
            this.capabilities = capabilities.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(capabilities);
            return this;
        }

        /**
         * The program's capabilities, e.g. {@code capabilities(Capability.NET_BIND_SERVICE)}; none given: no
         * capability at all.
         *
         * @since 1.2
         */
        public Builder capabilities(Capability... capabilities) {
            return capabilities(Set.of(capabilities));
        }

        /**
         * Sets one resource limit ({@link Rlimit#UNLIMITED} for no limit); soft must not be above hard.
         * Raising a hard limit above the JVM's needs the JVM to run as root.
         *
         * @since 1.2
         */
        public Builder rlimit(Rlimit resource, long soft, long hard) {
            Objects.requireNonNull(resource, "rlimit resource");
            try {
                return rlimit(resource, new ResourceLimit(soft, hard));
            } catch (IllegalArgumentException e) {
                throw new InvalidCommandException("rlimit " + resource.key() + ": " + e.getMessage());
            }
        }

        /**
         * Sets one resource limit; null removes it (the JVM's is inherited).
         *
         * @since 1.2
         */
        public Builder rlimit(Rlimit resource, ResourceLimit limit) {
            Objects.requireNonNull(resource, "rlimit resource");
            if (limit == null) {
                rlimits.remove(resource);
            } else {
                rlimits.put(resource, limit);
            }
            return this;
        }

        /**
         * The program's nice value, -20..19 (absolute, not relative to the JVM's); null: the JVM's. A value
         * below the JVM's needs root (CAP_SYS_NICE).
         *
         * @since 1.2
         */
        public Builder nice(Integer nice) {
            if (nice != null && (nice < -20 || nice > 19)) {
                throw new InvalidCommandException("nice must be between -20 and 19, got " + nice);
            }
            this.nice = nice;
            return this;
        }

        /**
         * The program's {@code oom_score_adj}, -1000..1000; null: the JVM's. A value below the JVM's needs
         * root (CAP_SYS_RESOURCE).
         *
         * @since 1.2
         */
        public Builder oomScoreAdj(Integer adj) {
            if (adj != null && (adj < -1000 || adj > 1000)) {
                throw new InvalidCommandException("oomScoreAdj must be between -1000 and 1000, got " + adj);
            }
            this.oomScoreAdj = adj;
            return this;
        }

        /**
         * The program's umask, 0..0777 (write it in octal: {@code 0027}); null: the JVM's.
         *
         * @since 1.2
         */
        public Builder umask(Integer umask) {
            if (umask != null && (umask < 0 || umask > 0777)) {
                throw new InvalidCommandException("umask must be between 0000 and 0777 (octal), got "
                        + (umask < 0 ? umask.toString() : "0" + Integer.toOctalString(umask)));
            }
            this.umask = umask;
            return this;
        }

        /**
         * The program's umask written in octal, as the {@code umask} configuration key takes it:
         * {@code 027}, {@code 0027}; null or blank: the JVM's.
         *
         * @since 1.2
         */
        public Builder umask(String octal) {
            if (octal == null || octal.isBlank()) {
                return umask((Integer) null);
            }
            String t = octal.trim();
            if (!t.matches("[0-7]{1,4}")) {
                throw new InvalidCommandException("umask must be octal digits, 0000 to 0777 (e.g. 0027 or 077)");
            }
            return umask(Integer.parseInt(t, 8));
        }

        public CommandSpec build() {
            if (argv.isEmpty()) {
                throw new InvalidCommandException("argv[0] (the program) is missing");
            }
            if (cgroupBase != null && cgroupPath != null) {
                throw new InvalidCommandException("cgroupBase and cgroupPath are exclusive: give one");
            }
            if (stdoutMode == StdoutMode.DISCARD && stderrMode == StderrMode.MERGE) {
                throw new InvalidCommandException("stderr cannot be merged into a discarded stdout: discard stderr too"
                        + " (StderrMode.DISCARD) or keep it separate");
            }
            if (!defaultCgroup && (cgroupBase != null || cgroupPath != null || limits != null)) {
                throw new InvalidCommandException("defaultCgroup(false) opts out of cgroups, but "
                        + (cgroupBase != null ? "cgroupBase '" + cgroupBase + "'" : cgroupPath != null ? "cgroupPath '"
                                + cgroupPath + "'" : "limits " + limits.files()) + " is set: give one or the other");
            }
            return new CommandSpec(this);
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s.trim();
        }

        private static String noNul(String what, String s) {
            if (s != null && s.indexOf('\0') >= 0) {
                throw new InvalidCommandException(what + " contains a NUL character");
            }
            return s;
        }

        private static void checkEnvName(String name) {
            if (name == null || name.isEmpty() || name.indexOf('=') >= 0) {
                throw new InvalidCommandException("invalid environment variable name '" + Printable.escape(name) + "'");
            }
            // C0, DEL, C1, bidirectional overrides, line separators: whatever Printable would have to make visible
            if (!Printable.escape(name).equals(name)) {
                throw new InvalidCommandException("invalid environment variable name '" + Printable.escape(name)
                        + "': it contains a control character");
            }
        }
    }
}
