package org.corral.supervisor.internal.config;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.corral.api.CgroupLimits;
import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonConfigValidator.Problem;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.Signal;
import org.corral.supervisor.internal.daemon.Configured;

/**
 * The {@link Daemon} service of a configuration that cannot run: it has keys with bad values, names a program that
 * does not exist, claims a daemon name another daemon holds, and so on. It is {@link DaemonState#INVALID} for as
 * long as it is registered, supervises nothing, and says why ({@link #problems()}), so that the console, JMX and
 * the web console show every configuration, the way {@code systemctl list-units} shows a unit with a bad setting.
 * Its {@link DaemonComponent owner} replaces it by a real daemon once the configuration is fixed (or
 * the name becomes free).
 *
 * <p>Immutable: a new edit makes a new one.
 */
final class InvalidDaemon implements Daemon, Configured {

    private final String name;
    private final DaemonSpec draft;
    private final List<Problem> problems;
    private final String pid;
    private final String file;
    private final List<String> keys;

    /**
     * @param name the name it is listed under (the configuration's name key, else the name of its file)
     * @param draft what could be read of the configuration ({@link DaemonConfigParser.Result#draft()})
     * @param problems why it cannot run, each naming its key
     * @param keys its keys as {@code key = value}, secrets masked
     */
    InvalidDaemon(String name, DaemonSpec draft, List<Problem> problems, String pid, String file, List<String> keys) {
        this.name = name;
        this.draft = draft;
        this.problems = List.copyOf(problems);
        this.pid = pid;
        this.file = file;
        this.keys = List.copyOf(keys);
    }

    /** What is said when it is asked to run: the first problem, and where to fix it. */
    private IllegalStateException refused() {
        return new IllegalStateException("daemon '" + name + "' is INVALID: " + (problems.isEmpty() ? "its configuration"
                + " cannot run" : problems.get(0).text()) + " (fix " + (file != null ? file : pid) + ")");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DaemonSpec spec() {
        return draft;
    }

    @Override
    public DaemonState state() {
        return DaemonState.INVALID;
    }

    @Override
    public List<Problem> problems() {
        return problems;
    }

    @Override
    public String configurationPid() {
        return pid;
    }

    @Override
    public String configurationFile() {
        return file;
    }

    @Override
    public List<String> configurationKeys() {
        return keys;
    }

    @Override
    public OptionalLong helperPid() {
        return OptionalLong.empty();
    }

    @Override
    public OptionalLong pid() {
        return OptionalLong.empty();
    }

    @Override
    public Optional<Instant> startedAt() {
        return Optional.empty();
    }

    @Override
    public int restarts() {
        return 0;
    }

    @Override
    public Optional<DaemonExit> lastExit() {
        return Optional.empty();
    }

    @Override
    public long stdoutBytes() {
        return 0;
    }

    @Override
    public long stderrBytes() {
        return 0;
    }

    @Override
    public Optional<String> cgroupPath() {
        return Optional.empty();
    }

    @Override
    public Optional<CgroupStats> stats() {
        return Optional.empty();
    }

    @Override
    public Optional<CgroupLimits> limits() {
        return draft == null ? Optional.empty() : draft.command().limits();
    }

    @Override
    public String cgget(String file) {
        throw refused();
    }

    @Override
    public void cgset(String file, String value) {
        throw refused();
    }

    @Override
    public List<String> recentLines(int n) {
        return List.of();
    }

    @Override
    public Subscription followLines(int backlog, Consumer<String> listener) {
        return () -> { }; // it has no output, and never will: a fixed configuration is a new daemon
    }

    @Override
    public void signal(Signal signal) {
        throw refused();
    }

    @Override
    public void start() {
        throw refused();
    }

    @Override
    public void restart() {
        throw refused();
    }

    /** Nothing runs: a stop is done at once. */
    @Override
    public void stop() {
    }

    @Override
    public DaemonState await(Set<DaemonState> states, Duration timeout) throws TimeoutException {
        if (states.contains(DaemonState.INVALID)) {
            return DaemonState.INVALID;
        }
        throw new TimeoutException("daemon '" + name + "' is INVALID and stays so until its configuration changes");
    }

    /** A draft for a configuration of which nothing could be read. */
    static DaemonSpec emptyDraft(String name) {
        String n = org.corral.api.values.Values.isDaemonName(name) ? name : "invalid";
        return DaemonSpec.builder(n, CommandSpec.of("?")).build();
    }

    @Override
    public String toString() {
        return "Daemon[" + name + ", invalid]";
    }
}
