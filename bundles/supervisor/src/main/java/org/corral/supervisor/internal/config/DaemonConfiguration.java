package org.corral.supervisor.internal.config;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * The keys of an {@code org.corral.daemon} factory configuration ({@code etc/org.corral.daemon-<name>.cfg}),
 * as metatype, so that Karaf's {@code config:} commands and the web console describe them. The values are
 * read and checked by {@link DaemonConfigParser} (which also takes {@code env.<NAME>} and
 * {@code cgroup.<interface file>} keys that metatype cannot list).
 *
 * <p>Durations are written {@code 500ms}, {@code 2s}, {@code 1m30s}; sizes {@code 64K}, {@code 256M},
 * {@code 1G} (binary multiples).
 */
@ObjectClassDefinition(id = DaemonConfigParser.FACTORY_PID, name = "Corral daemon",
        description = "A supervised OS program. Besides the keys below: env.<NAME> = value sets an environment"
                + " variable; cgroup.<interface file> = value sets a cgroup v2 limit (cgroup.memory.max = 256M,"
                + " cgroup.cpu.max = 50% or 'quota period', cgroup.pids.max = 100, cgroup.memory.oom.group = true,"
                + " any other interface file raw). The hardening keys (no.new.privileges, capabilities, rlimit.<name>,"
                + " nice, oom.score.adj, umask) are applied just before exec.")
public @interface DaemonConfiguration {

    @AttributeDefinition(name = "Name", required = false, description = "Unique daemon name (letters, digits, '.',"
            + " '_', '-'); it names the logger org.corral.daemon.<name> and the MBean. Default: the part of the"
            + " configuration name after 'org.corral.daemon-' (the .cfg file name).")
    String name();

    @AttributeDefinition(name = "Command", description = "The program: an absolute path, or a name looked up in PATH"
            + " (not a relative path). Only the program: its arguments go into 'args'.")
    String command();

    @AttributeDefinition(name = "Arguments", required = false, cardinality = Integer.MAX_VALUE,
            description = "The program's arguments: a list, or one string split like a shell splits words"
                    + " ('single quotes', \"double quotes\", backslash escapes) without any expansion ($VAR, ~ and *"
                    + " stay as written).")
    String[] args();

    @AttributeDefinition(name = "argv[0]", required = false, description = "The argv[0] the program sees, when it"
            + " should differ from the command.")
    String arg0();

    @AttributeDefinition(name = "Clear environment", required = false, description = "Start from an empty environment"
            + " instead of the JVM's (env.<NAME> keys still apply).")
    boolean env_clear() default false;

    @AttributeDefinition(name = "Environment file", required = false, description = "Absolute path of a file of"
            + " NAME=value lines read at every start (like systemd's EnvironmentFile=); its variables are set over the"
            + " env.<NAME> keys. It must be owned by root or Karaf's user and not readable or writable by group or"
            + " others (chmod 600); otherwise the start fails. Its values are never logged or shown.")
    String env_file();

    @AttributeDefinition(name = "Unset variables", required = false, description = "Comma-separated environment"
            + " variables removed from the inherited environment.")
    String env_unset();

    @AttributeDefinition(name = "Working directory", required = false, description = "Absolute path; default: the"
            + " JVM's working directory.")
    String directory();

    @AttributeDefinition(name = "User", required = false, description = "User name or uid to run as. uid 0 is"
            + " refused unless allow.root is true.")
    String user();

    @AttributeDefinition(name = "Group", required = false, description = "Group name or gid (default: the user's"
            + " primary group).")
    String group();

    @AttributeDefinition(name = "Supplementary groups", required = false, description = "Comma-separated group names"
            + " or gids (default: the user's groups).")
    String groups();

    @AttributeDefinition(name = "Allow root", required = false, description = "Allow what is as good as root: user"
            + " uid 0, and a group or groups (also the user's own) that is root-equivalent: gid 0, root, disk, kmem,"
            + " shadow, docker, lxd.")
    boolean allow_root() default false;

    @AttributeDefinition(name = "cgroup base", required = false, description = "cgroup v2 path (relative to the"
            + " cgroup2 mount) under which a unique cgroup is created for the program.")
    String cgroup_base();

    @AttributeDefinition(name = "cgroup path", required = false, description = "Fixed cgroup v2 path (relative to"
            + " the cgroup2 mount) to run the program in; exclusive with cgroup.base.")
    String cgroup_path();

    @AttributeDefinition(name = "Default cgroup", required = false, description = "Whether the program runs in a"
            + " cgroup of its own under the default base when no other cgroup key is set (see corral:doctor); false:"
            + " it runs in its helper's cgroup (Karaf's). false with cgroup.base, cgroup.path or a limit is refused.")
    boolean cgroup_default() default true;

    @AttributeDefinition(name = "Restart policy", required = false, description = "permanent: always restarted;"
            + " transient: restarted after an unclean end (an exit code other than 0 or a signal, unless"
            + " success.exit.status lists it); temporary: never restarted.",
            options = {@Option(value = "permanent", label = "permanent"), @Option(value = "transient", label = "transient"),
                @Option(value = "temporary", label = "temporary")})
    String restart() default "permanent";

    @AttributeDefinition(name = "Success exit status", required = false, description = "Exit codes (0-255) and"
            + " signal names, separated by blanks or commas, that count as a clean end besides exit code 0, as"
            + " systemd's SuccessExitStatus= (e.g. '143 SIGTERM'): transient does not restart them and no policy"
            + " logs them as a failure.")
    String success_exit_status();

    @AttributeDefinition(name = "Restart prevent exit status", required = false, description = "Exit codes and"
            + " signal names after which the program is never restarted, whatever the restart policy, as systemd's"
            + " RestartPreventExitStatus= (e.g. '78 SIGABRT'); the daemon is then STOPPED.")
    String restart_prevent_exit_status();

    @AttributeDefinition(name = "Restart delay", required = false, description = "Wait before the first restart.")
    String restart_delay() default "100ms";

    @AttributeDefinition(name = "Restart delay cap", required = false, description = "Longest wait of the exponential"
            + " back-off; a run that lasted at least this long resets the back-off.")
    String restart_delay_max() default "30s";

    @AttributeDefinition(name = "Back-off factor", required = false, description = "Each consecutive restart waits"
            + " this many times longer (1 = constant delay).")
    String restart_backoff() default "2";

    @AttributeDefinition(name = "Intensity", required = false, description = "More than this many restarts within"
            + " intensity.period make the daemon FAILED; it then stays down until started by hand or reconfigured.",
            type = AttributeType.INTEGER)
    int intensity() default 5;

    @AttributeDefinition(name = "Intensity period", required = false, description = "The window of the intensity.")
    String intensity_period() default "1m";

    @AttributeDefinition(name = "Kill signal", required = false, description = "Signal of a graceful stop (TERM, INT,"
            + " HUP, ... or a number); SIGKILL follows after kill.grace.")
    String kill_signal() default "TERM";

    @AttributeDefinition(name = "Reload signal", required = false, description = "Signal that asks the program to"
            + " reload its configuration, sent by corral:reload and the MBean's reload operation (HUP, USR1, ... or a"
            + " number).")
    String reload_signal() default "HUP";

    @AttributeDefinition(name = "Kill grace", required = false, description = "Wait between the kill signal and"
            + " SIGKILL.")
    String kill_grace() default "500ms";

    @AttributeDefinition(name = "stdout log level", required = false, description = "Level at which stdout lines are"
            + " logged to org.corral.daemon.<name>: trace, debug, info, warn, error or off.")
    String log_stdout() default "info";

    @AttributeDefinition(name = "stderr log level", required = false, description = "Level at which stderr lines are"
            + " logged: trace, debug, info, warn, error or off.")
    String log_stderr() default "warn";

    @AttributeDefinition(name = "Log prefix", required = false, description = "Prefix of each logged line (default:"
            + " '[<name>] ').")
    String log_prefix();

    @AttributeDefinition(name = "Maximum line length", required = false, description = "Longer output lines are"
            + " split (bytes, e.g. 4096 or 4K); at most a quarter of the output budget of a daemon"
            + " (org.corral.output.memory.daemon, 1M by default: 256K).")
    String log_maxline() default "4K";

    @AttributeDefinition(name = "Recent lines", required = false, description = "How many recent output lines are"
            + " kept for the console (corral:logs), within the output budget of a daemon (fewer when they are long;"
            + " at most 10922 with the default budget of 1M).", type = AttributeType.INTEGER)
    int log_lines() default 200;

    @AttributeDefinition(name = "Ready when a line matches", required = false, description = "Regular expression: the"
            + " daemon is READY when a stdout or stderr line matches it. Matched in linear time (RE2 syntax: no"
            + " backreferences, lookaround, atomic groups or possessive quantifiers).")
    String ready_log();

    @AttributeDefinition(name = "Ready when a TCP port accepts", required = false, description = "Port on 127.0.0.1:"
            + " the daemon is READY when it accepts a connection.")
    String ready_port();

    @AttributeDefinition(name = "Ready when a file exists", required = false, description = "Absolute path: the"
            + " daemon is READY when it exists.")
    String ready_file();

    @AttributeDefinition(name = "Ready when the program says so (sd_notify)", required = false, description = "true:"
            + " the program gets a NOTIFY_SOCKET (systemd's sd_notify protocol, Type=notify) and is READY when it sends"
            + " READY=1; STATUS= shows in corral:status. Only datagrams of the program's own processes are accepted.")
    boolean ready_notify() default false;

    @AttributeDefinition(name = "Readiness timeout", required = false, description = "A check that does not pass in"
            + " time is a failed start, handled by the restart policy.")
    String ready_timeout() default "30s";

    @AttributeDefinition(name = "Pre-start command", required = false, description = "A program with its arguments"
            + " (split like args) run to completion before each start, after depends.on are READY, in the daemon's"
            + " environment (user, directory, env, cgroup), like systemd's ExecStartPre=: exit code 0 starts the"
            + " program; any other end, or start.pre.timeout, is a failed start handled by the restart policy.")
    String start_pre();

    @AttributeDefinition(name = "Pre-start timeout", required = false, description = "How long start.pre may run;"
            + " then it is killed (kill.signal, kill.grace, SIGKILL) and the start failed.")
    String start_pre_timeout() default "30s";

    @AttributeDefinition(name = "Watchdog", required = false, description = "sd_notify watchdog, as systemd's"
            + " WatchdogSec= (e.g. 30s; 0: none): once READY, the program must send WATCHDOG=1 to $NOTIFY_SOCKET at"
            + " least this often (it reads WATCHDOG_USEC); else it gets SIGABRT, then kill.signal after kill.grace,"
            + " and the restart policy handles the end.")
    String watchdog() default "0";

    @AttributeDefinition(name = "Depends on", required = false, description = "Comma-separated names of daemons that"
            + " must be READY before this one starts (each start and restart waits for them; a running daemon is"
            + " not stopped when a dependency leaves READY).")
    String depends_on();

    @AttributeDefinition(name = "stdio window", required = false, description = "Flow-control window per output"
            + " stream (4K..64M): the most output in flight before the program blocks on write.")
    String stdio_window() default "256K";

    @AttributeDefinition(name = "stdout", required = false, description = "capture: read, logged at log.stdout and"
            + " kept in the recent lines; discard: to /dev/null, never read (a chatty program costs nothing).",
            options = {@Option(value = "capture", label = "capture"), @Option(value = "discard", label = "discard")})
    String stdout() default "capture";

    @AttributeDefinition(name = "stderr", required = false, description = "capture: read, logged at log.stderr and"
            + " kept in the recent lines; stdout: merged into stdout; discard: to /dev/null.",
            options = {@Option(value = "capture", label = "capture"), @Option(value = "stdout", label = "stdout"),
                @Option(value = "discard", label = "discard")})
    String stderr() default "capture";

    @AttributeDefinition(name = "No new privileges", required = false, description = "true: the program and its"
            + " descendants run with no_new_privs: set-user-ID programs and file capabilities give them nothing.")
    boolean no_new_privileges() default false;

    @AttributeDefinition(name = "Capabilities", required = false, cardinality = Integer.MAX_VALUE,
            description = "Linux capabilities, e.g. CAP_NET_BIND_SERVICE (comma-separated), or none. With a user"
                    + " other than root the program holds exactly these (ambient set): user = nobody with"
                    + " CAP_NET_BIND_SERVICE binds port 80. A root program keeps only these (bounding set). Needs"
                    + " Karaf to run as root. Default: unchanged.")
    String[] capabilities();

    @AttributeDefinition(name = "rlimit CPU time", required = false,
            description = "CPU time in seconds (a bare number) or a duration (1h); SIGXCPU at the soft limit,"
                    + " SIGKILL at the hard one. One value for soft and hard, or soft:hard; unlimited for"
                    + " none. Default: Karaf's.")
    String rlimit_cpu();

    @AttributeDefinition(name = "rlimit File size", required = false,
            description = "Largest file the program may write: a size (1G). One value for soft and hard, or"
                    + " soft:hard; unlimited for none. Default: Karaf's.")
    String rlimit_fsize();

    @AttributeDefinition(name = "rlimit Data segment", required = false,
            description = "Data segment (heap): a size (512M). One value for soft and hard, or soft:hard;"
                    + " unlimited for none. Default: Karaf's.")
    String rlimit_data();

    @AttributeDefinition(name = "rlimit Stack", required = false,
            description = "Stack of the main thread: a size (8M). One value for soft and hard, or soft:hard;"
                    + " unlimited for none. Default: Karaf's.")
    String rlimit_stack();

    @AttributeDefinition(name = "rlimit Core dumps", required = false,
            description = "Core dump size: a size; 0 = no core dumps. One value for soft and hard, or"
                    + " soft:hard; unlimited for none. Default: Karaf's.")
    String rlimit_core();

    @AttributeDefinition(name = "rlimit Resident set", required = false,
            description = "Resident set size: a size (not enforced by Linux). One value for soft and hard, or"
                    + " soft:hard; unlimited for none. Default: Karaf's.")
    String rlimit_rss();

    @AttributeDefinition(name = "rlimit Processes", required = false,
            description = "Processes of the program's user (checked when the program starts and forks). One"
                    + " value for soft and hard, or soft:hard; unlimited for none. Default: Karaf's.")
    String rlimit_nproc();

    @AttributeDefinition(name = "rlimit Open files", required = false,
            description = "Open file descriptors, e.g. 1024:4096. One value for soft and hard, or soft:hard;"
                    + " unlimited for none. Default: Karaf's.")
    String rlimit_nofile();

    @AttributeDefinition(name = "rlimit Locked memory", required = false,
            description = "Memory locked into RAM (mlock): a size (64K). One value for soft and hard, or"
                    + " soft:hard; unlimited for none. Default: Karaf's.")
    String rlimit_memlock();

    @AttributeDefinition(name = "rlimit Address space", required = false,
            description = "Virtual address space: a size (2G). One value for soft and hard, or soft:hard;"
                    + " unlimited for none. Default: Karaf's.")
    String rlimit_as();

    @AttributeDefinition(name = "rlimit File locks", required = false,
            description = "File locks (flock, leases). One value for soft and hard, or soft:hard; unlimited for"
                    + " none. Default: Karaf's.")
    String rlimit_locks();

    @AttributeDefinition(name = "rlimit Pending signals", required = false,
            description = "Queued signals of the program's user. One value for soft and hard, or soft:hard;"
                    + " unlimited for none. Default: Karaf's.")
    String rlimit_sigpending();

    @AttributeDefinition(name = "rlimit Message queues", required = false,
            description = "POSIX message queue bytes of the program's user: a size. One value for soft and"
                    + " hard, or soft:hard; unlimited for none. Default: Karaf's.")
    String rlimit_msgqueue();

    @AttributeDefinition(name = "rlimit Nice ceiling", required = false,
            description = "Ceiling of the nice value the program may raise itself to: 20 - limit (0..40). One"
                    + " value for soft and hard, or soft:hard; unlimited for none. Default: Karaf's.")
    String rlimit_nice();

    @AttributeDefinition(name = "rlimit Real-time priority", required = false,
            description = "Ceiling of the real-time priority (0..99). One value for soft and hard, or"
                    + " soft:hard; unlimited for none. Default: Karaf's.")
    String rlimit_rtprio();

    @AttributeDefinition(name = "rlimit Real-time CPU", required = false,
            description = "Real-time CPU time without a blocking call: microseconds (a bare number) or a"
                    + " duration (500ms). One value for soft and hard, or soft:hard; unlimited for none."
                    + " Default: Karaf's.")
    String rlimit_rttime();

    @AttributeDefinition(name = "Nice", required = false, description = "Nice value, -20 (highest priority) to 19;"
            + " default: Karaf's.")
    String nice();

    @AttributeDefinition(name = "OOM score adjustment", required = false, description = "oom_score_adj, -1000"
            + " (never chosen by the OOM killer) to 1000 (chosen first); default: Karaf's.")
    String oom_score_adj();

    @AttributeDefinition(name = "umask", required = false, description = "File mode creation mask in octal, e.g."
            + " 0027; default: Karaf's.")
    String umask();
}
