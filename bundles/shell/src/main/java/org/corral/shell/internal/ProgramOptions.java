package org.corral.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;

/**
 * The options of the program that {@code corral:create} (a daemon) and {@code corral:run} (one run) share,
 * each marked with the daemon configuration key it sets ({@link CreateCommand.Key}). The values are read as a
 * {@code .cfg} file reads them: by the supervisor's parser for create, by the same value parsers of the API
 * for run. A program option that both commands offer is declared here once.
 */
abstract class ProgramOptions implements Action {

    @CreateCommand.Key("directory")
    @Option(name = "-d", aliases = "--directory", description = "Working directory; absolute for a daemon (directory)")
    String directory;

    @Option(name = "-e", aliases = "--env", description = "Environment variable NAME=value (repeatable; env.NAME)",
            multiValued = true)
    List<String> env;

    @CreateCommand.Key("env.file")
    @Option(name = "--env-file", description = "Absolute path of a file of NAME=value lines read at every start;"
            + " it must be mode 0600 (or 0400) and owned by root or Karaf's user (env.file)")
    String envFile;

    @CreateCommand.Key("env.clear")
    @Option(name = "--clear-env", description = "Start from an empty environment instead of Karaf's (env.clear)")
    Boolean clearEnv;

    @CreateCommand.Key("user")
    @Option(name = "-u", aliases = "--user", description = "User (name or uid) to run as (user)")
    String user;

    @CreateCommand.Key("group")
    @Option(name = "-g", aliases = "--group", description = "Group (name or gid) to run as (group)")
    String group;

    @CreateCommand.Key("cgroup.memory.max")
    @Option(name = "--memory-max", description = "cgroup memory.max, e.g. 64M, or max (cgroup.memory.max)")
    String memoryMax;

    @CreateCommand.Key("cgroup.cpu.max")
    @Option(name = "--cpu-max", description = "cgroup cpu.max as a share of one cpu, e.g. 50%, or 'quota period'"
            + " in microseconds, or max (cgroup.cpu.max)")
    String cpuMax;

    @CreateCommand.Key("cgroup.pids.max")
    @Option(name = "--pids-max", description = "cgroup pids.max, e.g. 64, or max (cgroup.pids.max)")
    String pidsMax;

    @CreateCommand.Key("cgroup.base")
    @Option(name = "--cgroup-base", description = "Base cgroup (relative to the cgroup2 mount) to run under"
            + " (cgroup.base)")
    String cgroupBase;

    @CreateCommand.Key("kill.signal")
    @Option(name = "--kill-signal", description = "Signal that asks the program to stop (on a stop, a timeout or"
            + " Ctrl-C), e.g. TERM (default); SIGKILL follows after the kill grace (kill.signal)")
    String killSignal;

    @CreateCommand.Key("kill.grace")
    @Option(name = "--kill-grace", description = "Time between the kill signal and SIGKILL, e.g. 5s or 1m30s"
            + " (default 500ms) (kill.grace)")
    String killGrace;

    @CreateCommand.Key("stdout")
    @Option(name = "--stdout", description = "capture (default: read, shown or logged) or discard (/dev/null: never"
            + " read, MuonTrap's capture_stderr_only) (stdout)")
    String stdout;

    @CreateCommand.Key("stderr")
    @Option(name = "--stderr", description = "capture (default), stdout (merged into stdout) or discard (/dev/null)"
            + " (stderr)")
    String stderr;

    // hardening, applied by the helper just before exec

    @CreateCommand.Key("no.new.privileges")
    @Option(name = "--no-new-privileges", description = "Run with no_new_privs: set-user-ID programs and file"
            + " capabilities give the program and its descendants nothing (no.new.privileges)")
    Boolean noNewPrivileges;

    @CreateCommand.Key("capabilities")
    @Option(name = "--capabilities", description = "Capabilities, comma-separated, e.g. CAP_NET_BIND_SERVICE, or"
            + " none: with -u the program holds them (nobody binds port 80); a root program keeps only these"
            + " (capabilities)")
    String capabilities;

    @Option(name = "--rlimit", description = "Resource limit NAME=VALUE, VALUE one value or soft:hard, e.g."
            + " nofile=1024:4096, core=0, memlock=64M, as=2G:unlimited (repeatable; rlimit.NAME)", multiValued = true)
    List<String> rlimits;

    @CreateCommand.Key("nice")
    @Option(name = "--nice", description = "Nice value, -20 (highest priority) to 19 (nice)")
    Integer nice;

    @CreateCommand.Key("oom.score.adj")
    @Option(name = "--oom-score-adj", description = "oom_score_adj, -1000 (never chosen by the OOM killer) to 1000"
            + " (oom.score.adj)")
    Integer oomScoreAdj;

    @CreateCommand.Key("umask")
    @Option(name = "--umask", description = "umask in octal, e.g. 0027 (umask)")
    String umask;
}
