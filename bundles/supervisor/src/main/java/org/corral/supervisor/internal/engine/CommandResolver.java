package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.ProgramNotFoundException;
import org.corral.api.Stdin;

/**
 * Checks a {@link CommandSpec} against the system before anything runs and resolves it: the program
 * against {@code PATH} of the effective environment, user and groups from {@code /etc/passwd} and
 * {@code /etc/group}, the environment (inherited or cleared, then set/unset).
 */
public final class CommandResolver {

    /** Used when the effective environment has no PATH (what a shell would use). */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final Map<String, String> baseEnv;
    private final UserDb users;
    private final int selfUid;
    private final java.util.concurrent.ConcurrentHashMap<PathKey, Path> pathCache = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param baseEnv the environment programs inherit (the JVM's)
     * @param users where user and group names are looked up
     * @param selfUid the JVM's uid (switching user needs root)
     */
    public CommandResolver(Map<String, String> baseEnv, UserDb users, int selfUid) {
        this.baseEnv = Collections.unmodifiableMap(new LinkedHashMap<>(baseEnv));
        this.users = users;
        this.selfUid = selfUid;
    }

    /**
     * The JVM's sd_notify variables: they name the systemd unit Karaf runs in. No program inherits them (a daemon
     * with {@code ready.notify} or a watchdog gets its own from its helper); a spec may still set them.
     */
    public static final List<String> NOTIFY_VARIABLES = List.of("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID");

    /** A resolver for this JVM: its environment (without {@link #NOTIFY_VARIABLES}), /etc/passwd and /etc/group, its uid. */
    public static CommandResolver system() {
        return new CommandResolver(inherited(System.getenv()), UserDb.system(), selfUid());
    }

    /** What programs inherit of the JVM's environment {@code jvm}: all of it but {@link #NOTIFY_VARIABLES}. */
    static Map<String, String> inherited(Map<String, String> jvm) {
        Map<String, String> env = new LinkedHashMap<>(jvm);
        env.keySet().removeAll(NOTIFY_VARIABLES);
        return env;
    }

    /** The JVM's uid (from /proc/self), or -1 when it cannot be read. */
    public static int selfUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Resolves {@code spec}.
     *
     * @throws ProgramNotFoundException the program does not exist, is not a regular file or not executable
     * @throws InvalidCommandException another option is refused
     */
    public ResolvedCommand resolve(CommandSpec spec) {
        Map<String, String> env = environment(spec);
        Path directory = directory(spec);
        Ids ids = ids(spec);
        hardening(spec);
        Path exe = program(spec, env, directory, ids);
        List<String> argv = new ArrayList<>(spec.argv());
        spec.arg0().ifPresent(a -> argv.set(0, a));
        Path stdinFile = null;
        if (spec.stdin().kind() == Stdin.Kind.FILE) {
            Path f = spec.stdin().file().orElseThrow();
            stdinFile = absolute(f, directory);
            if (!Files.isRegularFile(stdinFile) && !Files.exists(stdinFile)) {
                throw new InvalidCommandException("stdin file " + stdinFile + " does not exist");
            }
            if (Files.isDirectory(stdinFile)) {
                throw new InvalidCommandException("stdin file " + stdinFile + " is a directory");
            }
            if (!Files.isReadable(stdinFile)) {
                throw new InvalidCommandException("stdin file " + stdinFile + " is not readable");
            }
            // the helper opens it before switching user: check that the target user could read it
            if (ids.uid > 0 && !permits(stdinFile, ids, 0444)) {
                throw new InvalidCommandException("stdin file " + stdinFile + " is not readable by uid " + ids.uid);
            }
        }
        long grace = spec.grace().toMillis();
        return new ResolvedCommand(spec, exe, List.copyOf(argv), env == baseEnv ? env : Collections.unmodifiableMap(env), directory,
                ids.uid, ids.gid, ids.groups, stdinFile, (int) Math.min(grace, Integer.MAX_VALUE));
    }

    /** The inherited environment (unmodifiable; {@link #environment} returns this very map when nothing changes). */
    public Map<String, String> baseEnvironment() {
        return baseEnv;
    }

    /** The environment the program gets. */
    public Map<String, String> environment(CommandSpec spec) {
        if (!spec.clearEnv() && spec.unsetEnv().isEmpty() && spec.env().isEmpty()) {
            return baseEnv; // unmodifiable: shared, and recognized by the encoder's cache
        }
        Map<String, String> env = new LinkedHashMap<>();
        if (!spec.clearEnv()) {
            env.putAll(baseEnv);
            for (String name : spec.unsetEnv()) {
                env.remove(name);
            }
        }
        env.putAll(spec.env());
        return env;
    }

    private static Path absolute(Path p, Path base) {
        if (p.isAbsolute()) {
            return p.normalize();
        }
        return (base != null ? base : Path.of("").toAbsolutePath()).resolve(p).normalize();
    }

    private static Path directory(CommandSpec spec) {
        Optional<Path> d = spec.directory();
        if (d.isEmpty()) {
            return null;
        }
        Path dir = absolute(d.get(), null);
        if (!Files.exists(dir)) {
            throw new InvalidCommandException("working directory " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new InvalidCommandException("working directory " + dir + " is not a directory");
        }
        return dir;
    }

    private Path program(CommandSpec spec, Map<String, String> env, Path directory, Ids ids) {
        String prog = spec.argv().get(0);
        if (prog.indexOf('/') >= 0) {
            Path p = absolute(Path.of(prog), directory);
            String why = unusable(p, ids);
            if (why != null) {
                throw new ProgramNotFoundException(prog, "program " + prog + (p.toString().equals(prog) ? "" : " (" + p + ")")
                        + " " + why);
            }
            return p;
        }
        String path = env.get("PATH");
        String searched = path != null ? path : DEFAULT_PATH;
        boolean relativeDirs = searched.isEmpty() || searched.startsWith(":") || searched.endsWith(":")
                || searched.contains("::") || searched.contains(":.") || searched.startsWith(".");
        PathKey key = relativeDirs ? null : new PathKey(searched, prog);
        if (key != null && ids.uid < 0) {
            Path hit = pathCache.get(key);
            // a hit is re-checked (two syscalls) and dropped when the file changed
            if (hit != null && Files.isExecutable(hit) && Files.isRegularFile(hit)) {
                return hit;
            }
        }
        String firstProblem = null;
        for (String dir : searched.split(":", -1)) {
            Path base = dir.isEmpty() ? (directory != null ? directory : Path.of("").toAbsolutePath()) : Path.of(dir);
            Path p = absolute(base.resolve(prog), directory);
            if (!Files.exists(p)) {
                continue;
            }
            String why = unusable(p, ids);
            if (why == null) {
                if (key != null) {
                    if (pathCache.size() > 256) {
                        pathCache.clear();
                    }
                    pathCache.put(key, p);
                }
                return p;
            }
            if (firstProblem == null) {
                firstProblem = p + " " + why;
            }
        }
        throw new ProgramNotFoundException(prog, "program '" + prog + "' not found in PATH=" + searched
                + (path == null ? " (the environment has no PATH; this default was searched)" : "")
                + (firstProblem != null ? "; found " + firstProblem : ""));
    }

    private record PathKey(String path, String name) {
    }

    /** Why {@code p} cannot be executed (by the target ids), or null when it can. */
    private static String unusable(Path p, Ids ids) {
        if (!Files.exists(p)) {
            return "does not exist";
        }
        if (!Files.isRegularFile(p)) {
            return Files.isDirectory(p) ? "is a directory, not a program" : "is not a regular file";
        }
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode");
            int uid = ids.uid >= 0 ? ids.uid : -1;
            if (uid < 0) {
                return Files.isExecutable(p) ? null : "is not executable (mode " + Integer.toOctalString(mode & 07777) + ")";
            }
            boolean ok;
            if (uid == 0) {
                ok = (mode & 0111) != 0;
            } else if ((Integer) Files.getAttribute(p, "unix:uid") == uid) {
                ok = (mode & 0100) != 0;
            } else if (ids.inGroup((Integer) Files.getAttribute(p, "unix:gid"))) {
                ok = (mode & 0010) != 0;
            } else {
                ok = (mode & 0001) != 0;
            }
            return ok ? null : "is not executable by uid " + uid + " (mode " + Integer.toOctalString(mode & 07777) + ")";
        } catch (IOException | RuntimeException e) {
            return Files.isExecutable(p) ? null : "is not executable";
        }
    }

    /** Whether the mode bits in {@code mask} (0444 read, 0111 execute) grant access to the target ids. */
    private static boolean permits(Path p, Ids ids, int mask) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode");
            if ((Integer) Files.getAttribute(p, "unix:uid") == ids.uid) {
                return (mode & mask & 0700) != 0;
            }
            if (ids.inGroup((Integer) Files.getAttribute(p, "unix:gid"))) {
                return (mode & mask & 0070) != 0;
            }
            return (mode & mask & 0007) != 0;
        } catch (IOException | RuntimeException e) {
            return true; // cannot tell: the helper's open reports it
        }
    }

    private static final class Ids {
        int uid = -1;
        int gid = -1;
        int[] groups;

        boolean inGroup(int g) {
            if (g == gid) {
                return true;
            }
            if (groups != null) {
                for (int x : groups) {
                    if (x == g) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    private Ids ids(CommandSpec spec) {
        Ids ids = new Ids();
        if (spec.user().isEmpty() && spec.group().isEmpty() && spec.supplementaryGroups().isEmpty()) {
            return ids;
        }
        try {
            String userName = null;
            if (spec.user().isPresent()) {
                String u = spec.user().get();
                UserDb.User user;
                if (UserDb.isNumeric(u)) {
                    ids.uid = parseId("user", u);
                    user = users.userById(ids.uid).orElse(null);
                    if (user == null && spec.group().isEmpty()) {
                        throw new InvalidCommandException("user " + u + " has no entry in " + users.passwdFile()
                                + ": give a group as well");
                    }
                } else {
                    user = users.userByName(u).orElseThrow(() -> new InvalidCommandException(
                            "unknown user '" + u + "' (not in " + users.passwdFile() + ")"));
                    ids.uid = user.uid();
                }
                if (user != null) {
                    userName = user.name();
                    ids.gid = user.gid();
                }
                if (ids.uid == 0 && !spec.allowRoot()) {
                    throw new InvalidCommandException("user '" + u + "' is uid 0 (root): refused unless allowRoot is set");
                }
            }
            if (spec.group().isPresent()) {
                ids.gid = group(spec.group().get());
            }
            if (spec.supplementaryGroups().isPresent()) {
                List<String> given = spec.supplementaryGroups().get();
                int[] g = new int[given.size()];
                for (int i = 0; i < g.length; i++) {
                    g[i] = group(given.get(i));
                }
                ids.groups = g;
            } else if (ids.uid >= 0) {
                ids.groups = users.groupsOf(userName, ids.gid);
            }
        } catch (IOException e) {
            throw new InvalidCommandException("cannot read the user database: " + e.getMessage(), e);
        }
        if (!spec.allowRoot()) {
            refusePrivilegedGroups(ids);
        }
        boolean switching = (ids.uid >= 0 && ids.uid != selfUid) || ids.gid >= 0 || ids.groups != null;
        if (switching && selfUid != 0) {
            throw new InvalidCommandException("user/group switching needs root, but the JVM runs as uid " + selfUid);
        }
        return ids;
    }

    // ------------------------------------------------------------------ hardening

    /**
     * What the JVM can tell before the helper tries: capabilities need a root JVM (only root can limit the
     * bounding set or hand capabilities to another user). The rest (raising a hard limit, a lower nice or
     * oom_score_adj than the JVM's) the helper refuses with the key named.
     */
    private void hardening(CommandSpec spec) {
        if (spec.capabilities().isPresent() && selfUid != 0) {
            throw new InvalidCommandException("capabilities need the JVM to run as root (it runs as uid " + selfUid
                    + "): only root can give capabilities to a program or limit its bounding set");
        }
    }

    /** The configuration keys of the hardening options {@code spec} sets, for messages: {@code nice, rlimit.nofile}. */
    public static String hardeningKeys(CommandSpec spec) {
        List<String> keys = new ArrayList<>();
        if (spec.noNewPrivileges()) {
            keys.add("no.new.privileges");
        }
        if (spec.capabilities().isPresent()) {
            keys.add("capabilities");
        }
        spec.rlimits().keySet().forEach(r -> keys.add("rlimit." + r.key()));
        if (spec.nice().isPresent()) {
            keys.add("nice");
        }
        if (spec.oomScoreAdj().isPresent()) {
            keys.add("oom.score.adj");
        }
        if (spec.umask().isPresent()) {
            keys.add("umask");
        }
        return String.join(", ", keys);
    }

    /**
     * Groups whose membership is as good as root, so that running in one is refused unless allowRoot is set: gid 0,
     * and the groups of these names in the group file. {@code disk}: raw access to block devices (read or rewrite
     * any file system); {@code kmem}: kernel memory ({@code /dev/mem}, {@code /dev/kmem}); {@code shadow}: the
     * password hashes; {@code docker} and {@code lxd}: their daemons run containers as root on request.
     */
    public static final List<String> ROOT_EQUIVALENT_GROUPS = List.of("root", "disk", "kmem", "shadow", "docker", "lxd");

    /** Refuses a group or supplementary group that is root-equivalent ({@link #ROOT_EQUIVALENT_GROUPS}). */
    private void refusePrivilegedGroups(Ids ids) {
        java.util.List<Integer> given = new ArrayList<>();
        if (ids.gid >= 0) {
            given.add(ids.gid);
        }
        if (ids.groups != null) {
            for (int g : ids.groups) {
                given.add(g);
            }
        }
        for (int gid : given) {
            String name = null;
            try {
                name = users.groupById(gid).map(UserDb.Group::name).orElse(null);
            } catch (IOException e) {
                // the name is only for the message and the list; gid 0 is refused by number
            }
            if (gid == 0 || (name != null && ROOT_EQUIVALENT_GROUPS.contains(name))) {
                throw new InvalidCommandException("group " + (name != null ? "'" + name + "' (gid " + gid + ")"
                        : "gid " + gid) + " is root-equivalent (" + (name == null || name.equals("root") ? "root's group"
                        : why(name)) + "): refused unless allowRoot is set (allow.root = true in a daemon"
                        + " configuration), or leave it out (group, groups); root-equivalent groups: gid 0, "
                        + String.join(", ", ROOT_EQUIVALENT_GROUPS));
            }
        }
    }

    private static String why(String group) {
        switch (group) {
            case "disk": return "raw access to the disks";
            case "kmem": return "access to kernel memory";
            case "shadow": return "reads the password hashes";
            default: return "its daemon runs containers as root";
        }
    }

    private int group(String g) throws IOException {
        if (UserDb.isNumeric(g)) {
            return parseId("group", g);
        }
        return users.groupByName(g).orElseThrow(() -> new InvalidCommandException(
                "unknown group '" + g + "' (not in " + users.groupFile() + ")")).gid();
    }

    private static int parseId(String what, String s) {
        try {
            long v = Long.parseLong(s);
            if (v < 0 || v >= 0xffffffffL) {
                throw new NumberFormatException();
            }
            return (int) v;
        } catch (NumberFormatException e) {
            throw new InvalidCommandException(what + " id " + s + " is out of range");
        }
    }
}
