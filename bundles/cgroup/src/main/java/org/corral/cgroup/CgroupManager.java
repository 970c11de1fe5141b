package org.corral.cgroup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.corral.api.CgroupException;
import org.corral.api.CgroupLimits;
import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cgroup v2 management for Corral: one instance per cgroup2 mount, thread-safe.
 *
 * <h2>Life of a program's cgroup</h2>
 * <ol>
 * <li>{@link #prepare(CgroupRequest)} (in the JVM, before the program is spawned): validates the path,
 * creates a uniquely named cgroup under the base (or uses the fixed path), enables the controllers the
 * limits need in {@code cgroup.subtree_control} from the base down to the new cgroup, checks them in its
 * {@code cgroup.controllers} and writes the limits. A missing controller fails with a
 * {@link CgroupException} naming the controller and the command that enables it.</li>
 * <li>the helper writes the program's pid to {@code <dir>/cgroup.procs} before exec (protocol field
 * CGROUP) and, at teardown, kills everything in it and removes {@link PreparedCgroup#createdDirs()}
 * (CGROUP_REMOVE);</li>
 * <li>the JVM reads the final {@link #stats(Path)} just before removal (or lets {@link #close} do the
 * whole teardown: kill, statistics, removal).</li>
 * </ol>
 * On start-up, {@link #sweep(Collection, Duration)} removes the cgroups that a JVM which is gone left under its
 * bases: their names ({@code corral-<pid>-<starttime>-<n>[-label]}) record the creating JVM, so the cgroups
 * of a live JVM, this one included, are never swept; entries not owned by this uid, or writable by others, are
 * left alone. {@link #removeBasesIfEmpty} removes the bases Corral created (and the automatic default base) at
 * close, when they are empty.
 *
 * <h2>Default base and delegation</h2>
 * {@link #chooseDefaultBase} picks where programs that ask for no cgroup go ({@link DefaultBase}); {@link #delegate}
 * declares the cgroup delegated to this JVM. Corral then enables controllers from that cgroup down, and the first
 * time a limit needs a controller enabled in it while it holds processes, moves them into its leaf
 * {@value DefaultBase#SUPERVISOR_LEAF} (cgroup v2's "no internal processes" rule; the root cgroup is exempt).
 *
 * <h2>Paths</h2>
 * Every path given as a string is relative to the cgroup2 mount ({@code corral},
 * {@code system.slice/karaf.service/programs}); absolute paths, {@code .} and {@code ..} segments, and
 * paths whose real path leaves the mount (symbolic links) are refused. Directory arguments of type
 * {@link Path} are absolute cgroup directories (as in {@link PreparedCgroup#dir()}) and must lie under the
 * mount.
 *
 * <h2>Controllers</h2>
 * Corral writes {@code cgroup.subtree_control} only in the base (or, when the base does not exist yet, in
 * its deepest existing ancestor, which then acts as the base) and below it, never above: what the base
 * offers ({@code cgroup.controllers}) is the delegation that the system gave. When Corral creates the base
 * directories itself, it passes the controllers of the typed limits (cpu, cpuset, io, memory, pids) that are
 * offered there down to them, so that the base offers them to later requests, whichever came first.
 */
public final class CgroupManager implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CgroupManager.class);

    /** Prefix of every cgroup Corral creates. */
    public static final String NAME_PREFIX = "corral-";
    /** {@code corral-<jvm pid>-<jvm start time in clock ticks>-<sequence>[-<label>]}. */
    static final Pattern OWNED_NAME = Pattern.compile("corral-(\\d+)-(\\d+)-(\\d+)(?:-[A-Za-z0-9_.]*)?");
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)+");
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    /** The controllers of the typed limits of {@link CgroupLimits}, passed down to base directories Corral creates. */
    public static final List<String> LIMIT_CONTROLLERS = List.of("cpu", "cpuset", "io", "memory", "pids");
    /** The leaf the program runs in with {@link CgroupRequest#statsAfterExit()}. */
    public static final String PROGRAM_LEAF = "program";

    private final Path mount;
    private final Path realMount;
    private final long ownPid;
    private final long ownStart;
    private final AtomicLong sequence = new AtomicLong();
    private final PopulatedWatcher watcher = new PopulatedWatcher(dir -> !isPopulated(dir));
    /** Base directories that {@link #prepare} created, top-down (for {@link #removeBasesIfEmpty}). */
    private final Set<Path> createdBases = new LinkedHashSet<>();
    /** The cgroup delegated to this JVM ({@link #delegate}), or null. */
    private volatile Path delegated;
    private final Object evacuationLock = new Object();
    private volatile boolean forceFreezeKill;
    private volatile boolean loggedFallback;

    private CgroupManager(Path mount) {
        this.mount = mount.toAbsolutePath().normalize();
        try {
            this.realMount = this.mount.toRealPath();
        } catch (IOException e) {
            throw new CgroupException("cgroup2 mount " + mount + " cannot be resolved: " + e.getMessage(), e);
        }
        if (!Files.isRegularFile(realMount.resolve("cgroup.controllers"))) {
            throw new CgroupException(mount + " is not a cgroup2 hierarchy (it has no cgroup.controllers)");
        }
        this.ownPid = ProcessHandle.current().pid();
        this.ownStart = startTime(ownPid).orElse(0L);
    }

    /** The manager of the cgroup2 hierarchy of this process, found in {@code /proc/self/mountinfo}. */
    public static CgroupManager open() {
        return new CgroupManager(CgroupMount.findCgroup2().mountPoint());
    }

    /** A manager of the cgroup2 hierarchy mounted at {@code mountPoint}. */
    public static CgroupManager at(Path mountPoint) {
        return new CgroupManager(mountPoint);
    }

    /** The cgroup2 mount point. */
    public Path mount() {
        return mount;
    }

    /** Stops the watcher thread; pending {@link #awaitEmpty} calls return. */
    @Override
    public void close() {
        watcher.close();
    }

    // ------------------------------------------------------------------ paths

    /**
     * The directory of the cgroup at {@code relative} (which need not exist yet).
     *
     * @throws CgroupException when the path is absolute, has {@code .}/{@code ..} or empty segments, or its
     *         real path leaves the mount
     */
    public Path resolve(String relative) {
        if (relative == null) {
            throw new CgroupException("cgroup path is missing");
        }
        if (relative.startsWith("/")) {
            throw new CgroupException("cgroup path '" + relative + "' is absolute: give it relative to the cgroup2 mount "
                    + mount + ", e.g. '" + relative.replaceAll("^/+", "") + "'");
        }
        String r = relative.endsWith("/") ? relative.substring(0, relative.length() - 1) : relative;
        if (r.isEmpty()) {
            return mount;
        }
        for (String seg : r.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new CgroupException("cgroup path '" + relative + "' has a '" + seg + "' segment: only plain names are"
                        + " allowed, it must stay below the cgroup2 mount " + mount);
            }
            if (seg.indexOf('\0') >= 0 || seg.indexOf('\n') >= 0) {
                throw new CgroupException("cgroup path '" + relative.replace("\n", "\\n").replace("\0", "\\0")
                        + "' contains a control character");
            }
        }
        Path p = mount.resolve(r).normalize();
        requireWithin(p, mount, realMount, "the cgroup2 mount");
        return p;
    }

    /** {@code dir} relative to the mount ({@code ""} for the root). */
    public String relativize(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        if (!d.startsWith(mount)) {
            throw new CgroupException(dir + " is not under the cgroup2 mount " + mount);
        }
        return mount.relativize(d).toString();
    }

    /** The cgroup of this JVM relative to the mount, from {@code /proc/self/cgroup}. */
    public Optional<String> ownCgroup() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/cgroup"))) {
                if (line.startsWith("0::")) {
                    return Optional.of(line.substring(3).replaceAll("^/+", ""));
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot read /proc/self/cgroup", e);
        }
        return Optional.empty();
    }

    private Path requireDir(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        requireWithin(d, mount, realMount, "the cgroup2 mount");
        return d;
    }

    /** Checks lexically and with the real path of the deepest existing part that {@code p} stays under {@code top}. */
    private static void requireWithin(Path p, Path top, Path realTop, String what) {
        if (!p.startsWith(top)) {
            throw new CgroupException("cgroup path " + p + " is outside " + what + " " + top);
        }
        // a directory may go between the existence check and toRealPath (another JVM removing an empty base):
        // then look again from the top
        for (int attempt = 0; attempt < 10; attempt++) {
            Path existing = p;
            while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                return;
            }
            try {
                Path real = existing.toRealPath();
                if (!real.startsWith(realTop)) {
                    throw new CgroupException("cgroup path " + p + " leaves " + what + " " + top + " (" + existing
                            + " is really " + real + "): symbolic links are not followed out of it");
                }
                return;
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException e) {
                throw new CgroupException("cannot resolve cgroup path " + existing + ": " + e.getMessage(), e);
            }
        }
        throw new CgroupException("cannot resolve cgroup path " + p + ": its directories keep disappearing");
    }

    // ------------------------------------------------------------------ default base and delegation

    /**
     * Chooses the default base ({@link DefaultBase#choose}) from {@code setting} (the value of
     * {@value DefaultBase#PROPERTY}), this JVM's cgroup and uid. Does not change this manager: pass the result to
     * {@link #delegate}.
     */
    public DefaultBase chooseDefaultBase(String setting) {
        return DefaultBase.choose(setting, ownCgroup(), euid(), new RealProbe(), mount.toString());
    }

    /**
     * Declares the cgroup delegated to this JVM ({@link DefaultBase#delegated()}; {@code ""} is the root, empty:
     * none). Corral may then write its {@code cgroup.subtree_control} for a base below it, and, when it holds
     * processes and a limit needs a controller enabled in it, move every process in it into its leaf
     * {@value DefaultBase#SUPERVISOR_LEAF} first (cgroup v2 passes controllers down only from a cgroup with no
     * processes of its own; the root is exempt).
     */
    public void delegate(Optional<String> relative) {
        this.delegated = relative.map(this::resolve).orElse(null);
    }

    /** The cgroup delegated to this JVM ({@link #delegate}). */
    public Optional<Path> delegated() {
        return Optional.ofNullable(delegated);
    }

    /** The effective uid of this process (from {@code /proc/self}), or -1 when it cannot be read. */
    public static int euid() {
        try {
            return (Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Whether {@code dir} carries systemd's delegation mark, the extended attribute {@code user.delegate = 1}
     * (systemd 251 and later on kernels 5.7 and later; {@code trusted.delegate} cannot be read from Java).
     */
    static boolean delegateMark(Path dir) {
        try {
            UserDefinedFileAttributeView v = Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (v == null) {
                return false;
            }
            ByteBuffer b = ByteBuffer.allocate(8);
            int n = v.read(DefaultBase.DELEGATE_XATTR, b);
            return n >= 1 && b.get(0) == '1';
        } catch (IOException | RuntimeException e) {
            return false; // ENODATA (no mark), ENOTSUP (old kernel): not marked
        }
    }

    /** The facts {@link DefaultBase#choose} needs, read from this hierarchy. */
    private final class RealProbe implements DefaultBase.Probe {
        @Override
        public boolean exists(String relative) {
            try {
                return Files.isDirectory(resolve(relative), LinkOption.NOFOLLOW_LINKS);
            } catch (CgroupException e) {
                return false;
            }
        }

        @Override
        public boolean delegateMark(String relative) {
            return CgroupManager.delegateMark(resolve(relative));
        }

        @Override
        public int ownerUid(String relative) {
            try {
                return (Integer) Files.getAttribute(resolve(relative), "unix:uid", LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        @Override
        public boolean writable(String relative) {
            Path dir = resolve(relative);
            return Files.isWritable(dir) && Files.isWritable(dir.resolve("cgroup.procs"))
                    && Files.isWritable(dir.resolve("cgroup.subtree_control"));
        }
    }

    /**
     * Where Corral may write {@code cgroup.subtree_control} for a base: from the deepest existing ancestor of the
     * base (the system's delegation), or from the delegated cgroup when the base lies below it.
     */
    private Path writeBoundary(Path base, Path deepestExisting) {
        Path d = delegated;
        if (d != null && base.startsWith(d) && deepestExisting.startsWith(d)) {
            return d;
        }
        return deepestExisting;
    }

    /** Whether {@link #evacuate} may empty {@code p}: the delegated cgroup, or this JVM's own cgroup below it. */
    private boolean mayEvacuate(Path p) {
        Path d = delegated;
        if (d == null || p.equals(mount) || !p.startsWith(d)) {
            return false;
        }
        return p.equals(d) || ownCgroup().map(o -> resolve(o).equals(p)).orElse(false);
    }

    /**
     * Moves every process of {@code p} into its leaf {@value DefaultBase#SUPERVISOR_LEAF} (created when missing),
     * so that {@code p} can pass controllers down. Processes forked meanwhile are moved in further rounds.
     *
     * @throws CgroupException when processes are still in {@code p} after the rounds
     */
    private void evacuate(Path p) {
        synchronized (evacuationLock) {
            List<String> procs = readList(p.resolve("cgroup.procs"));
            if (procs.isEmpty()) {
                return;
            }
            Path leaf = p.resolve(DefaultBase.SUPERVISOR_LEAF);
            makeDir(leaf);
            Set<String> moved = new LinkedHashSet<>();
            for (int round = 0; round < 20 && !procs.isEmpty(); round++) {
                for (String pid : procs) {
                    try {
                        Files.writeString(leaf.resolve("cgroup.procs"), pid, StandardOpenOption.WRITE);
                        moved.add(pid);
                    } catch (IOException e) {
                        if (ProcessHandle.of(Long.parseLong(pid)).isPresent()) {
                            throw new CgroupException("cannot move process " + pid + " from " + p + " into " + leaf
                                    + " (so that " + p + " can pass controllers down to the programs' cgroups): "
                                    + reason(e), e);
                        }
                    }
                }
                procs = readList(p.resolve("cgroup.procs"));
            }
            if (!procs.isEmpty()) {
                throw new CgroupException("processes " + procs + " keep appearing in " + p + " while Corral moves them"
                        + " into " + leaf + " (so that " + p + " can pass controllers down)");
            }
            LOG.info("corral: moved {} process(es) {} (this JVM is pid {}) from {} into {}: cgroup v2 passes"
                    + " controllers down to the programs' cgroups only from a cgroup with no processes of its own",
                    moved.size(), moved, ownPid, p, leaf);
        }
    }

    /**
     * Removes, deepest first, the base directories that {@link #prepare} created and the cgroups in
     * {@code alsoTry} (e.g. the automatic default base), each only when it holds no cgroup and no process. A
     * base another JVM still uses stays; one that is gone is skipped. Never throws.
     *
     * @return the directories removed
     */
    public List<Path> removeBasesIfEmpty(Collection<String> alsoTry) {
        List<Path> dirs = new ArrayList<>();
        synchronized (createdBases) {
            dirs.addAll(createdBases);
            createdBases.clear();
        }
        for (String rel : alsoTry) {
            try {
                Path p = resolve(rel);
                if (!p.equals(mount) && !dirs.contains(p)) {
                    dirs.add(p);
                }
            } catch (CgroupException e) {
                LOG.debug("not removing base {}: {}", rel, e.getMessage());
            }
        }
        // deepest first
        dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        List<Path> removed = new ArrayList<>();
        for (Path d : dirs) {
            try {
                if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS) && childCgroups(d).isEmpty()) {
                    Files.delete(d);
                    removed.add(d);
                    LOG.debug("removed the empty base {}", d);
                }
            } catch (IOException | CgroupException e) {
                // holds cgroups or processes of another JVM now, or is gone: fine
                LOG.debug("kept base {}: {}", d, e.toString());
            }
        }
        return removed;
    }

    /** A parent directory vanished while a cgroup was created in it (a concurrent {@link #removeBasesIfEmpty}). */
    private static final class BaseVanished extends CgroupException {
        private static final long serialVersionUID = 1L;

        BaseVanished(String message, Throwable cause) {
            super(message, cause);
        }
    }

    // ------------------------------------------------------------------ inspection

    /** What the cgroup at {@code relative} offers: controllers, delegation, processes. */
    public CgroupInfo inspect(String relative) {
        Path dir = resolve(relative);
        if (!Files.isDirectory(dir)) {
            throw new CgroupException("cgroup " + dir + " does not exist");
        }
        List<String> procs = readList(dir.resolve("cgroup.procs"));
        boolean writable = Files.isWritable(dir) && Files.isWritable(dir.resolve("cgroup.procs"))
                && Files.isWritable(dir.resolve("cgroup.subtree_control"));
        return new CgroupInfo(dir, relativize(dir), readList(dir.resolve("cgroup.controllers")),
                readList(dir.resolve("cgroup.subtree_control")), writable, isPopulated(dir), !procs.isEmpty());
    }

    /** Whether processes are in {@code dir} or below it ({@code cgroup.events populated}); false when it does not exist. */
    public boolean isPopulated(Path dir) {
        try {
            String events = Files.readString(dir.resolve("cgroup.events"));
            CgroupValue.FlatKeyed v = CgroupFiles.parseFlatKeyed("cgroup.events", events);
            return v.get("populated").orElse(0) != 0;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new CgroupException("cannot read " + dir.resolve("cgroup.events") + ": " + e.getMessage(), e);
        }
    }

    /** The pids in {@code dir} and every cgroup below it. */
    public List<Long> pids(Path dir) {
        List<Long> pids = new ArrayList<>();
        collectPids(requireDir(dir), pids);
        return pids;
    }

    private void collectPids(Path dir, List<Long> into) {
        for (String p : readList(dir.resolve("cgroup.procs"))) {
            try {
                into.add(Long.parseLong(p));
            } catch (NumberFormatException e) {
                LOG.warn("{}/cgroup.procs holds '{}', not a pid", dir, p);
            }
        }
        for (Path child : childCgroups(dir)) {
            collectPids(child, into);
        }
    }

    private static List<Path> childCgroups(Path dir) {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    children.add(p);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new CgroupException("cannot list cgroup " + dir + ": " + e.getMessage(), e);
        }
        Collections.sort(children);
        return children;
    }

    // ------------------------------------------------------------------ prepare

    /**
     * Creates (or checks) the cgroup of {@code request}, enables the controllers its limits need and writes
     * the limits. On any failure, what this call created is removed again and a {@link CgroupException}
     * says what failed.
     */
    public PreparedCgroup prepare(CgroupRequest request) {
        CgroupLimits limits = request.limits();
        List<String> needed = controllersFor(limits);
        Path dir;
        Path boundary;
        List<Path> created = new ArrayList<>();
        List<Path> createdBase = new ArrayList<>();
        if (request.path().isPresent()) {
            dir = resolve(request.path().get());
            if (dir.equals(mount)) {
                throw new CgroupException("the root cgroup cannot be used as a fixed cgroup path: give a cgroup below it");
            }
            boundary = deepestExisting(dir.getParent());
            if (Files.isDirectory(dir)) {
                if (!request.allowPopulated() && isPopulated(dir)) {
                    throw new CgroupException("cgroup " + dir + " already holds processes " + pids(dir)
                            + ": refusing to run in it (allow a populated cgroup explicitly, or use a cgroup base"
                            + " so that Corral creates a fresh one)");
                }
            } else {
                createdBase = makeDirs(dir.getParent());
                passDownAll(boundary, createdBase, needed);
                if (makeDir(dir)) {
                    created.add(dir);
                }
            }
        } else {
            Path base = resolve(request.base().get());
            for (int attempt = 0; ; attempt++) {
                boundary = writeBoundary(base, deepestExisting(base));
                try {
                    createdBase = makeDirs(base);
                    passDownAll(boundary, createdBase, needed);
                    dir = makeUnique(base, request.label().orElse(null));
                    break;
                } catch (BaseVanished e) {
                    // another JVM removed the (empty) base at its close between our mkdir -p and our mkdir
                    if (attempt >= 4) {
                        throw new CgroupException("cannot create a cgroup under " + base + ": the base was removed "
                                + (attempt + 1) + " times meanwhile", e);
                    }
                }
            }
            created.add(dir);
            synchronized (createdBases) {
                createdBases.addAll(createdBase);
            }
        }
        try {
            enableControllers(boundary, dir, needed, limits);
            for (Map.Entry<String, String> e : limits.files().entrySet()) {
                write(dir, e.getKey(), e.getValue());
            }
        } catch (RuntimeException e) {
            for (Path p : created) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e2) {
                    e.addSuppressed(e2);
                }
            }
            // base directories this call created go too, unless another request uses them meanwhile
            for (int i = createdBase.size() - 1; i >= 0; i--) {
                try {
                    Files.deleteIfExists(createdBase.get(i));
                } catch (IOException e2) {
                    LOG.debug("kept base {}: {}", createdBase.get(i), e2.toString());
                    break;
                }
            }
            throw e;
        }
        if (request.statsAfterExit()) {
            Path leaf = dir.resolve(PROGRAM_LEAF);
            try {
                makeDir(leaf);
            } catch (CgroupException e) {
                remove(created);
                throw e;
            }
            LOG.debug("prepared cgroup {} in {} (controllers {}, limits {})", leaf, dir, needed, limits.files());
            return new PreparedCgroup(leaf, List.of(leaf), relativize(leaf), limits, needed, dir, created);
        }
        LOG.debug("prepared cgroup {} (controllers {}, limits {})", dir, needed, limits.files());
        return new PreparedCgroup(dir, created, relativize(dir), limits, needed, dir, List.of());
    }

    /** The controllers that the interface files of {@code limits} belong to, in order ({@code memory.max} → memory). */
    public static List<String> controllersFor(CgroupLimits limits) {
        Set<String> c = new LinkedHashSet<>();
        for (String file : limits.files().keySet()) {
            String controller = file.substring(0, file.indexOf('.'));
            if (!controller.equals("cgroup")) {
                c.add(controller);
            }
        }
        return List.copyOf(c);
    }

    private Path deepestExisting(Path p) {
        Path d = p;
        while (!d.equals(mount) && !Files.isDirectory(d)) {
            d = d.getParent();
        }
        return d;
    }

    /** mkdir -p; returns the directories it created, top-down. */
    private List<Path> makeDirs(Path dir) {
        if (dir.equals(mount) || Files.isDirectory(dir)) {
            return new ArrayList<>();
        }
        List<Path> created = makeDirs(dir.getParent());
        if (makeDir(dir)) {
            created.add(dir);
        }
        return created;
    }

    /**
     * When Corral creates base directories, it passes the controllers of its typed limits ({@link #LIMIT_CONTROLLERS})
     * that the boundary offers, plus those this request needs, down to them, so that the base offers later
     * requests the same controllers, whatever the first request needed (best
     * effort: a controller the kernel refuses here is left out, and a request that needs it fails with the
     * clear error of {@link #enableControllers}).
     */
    private void passDownAll(Path boundary, List<Path> createdBase, List<String> needed) {
        if (createdBase.isEmpty()) {
            return;
        }
        Set<String> wanted = new LinkedHashSet<>(LIMIT_CONTROLLERS);
        wanted.addAll(needed);
        List<String> offered = readList(boundary.resolve("cgroup.controllers")).stream().filter(wanted::contains)
                .collect(Collectors.toList());
        List<Path> parents = new ArrayList<>();
        parents.add(boundary);
        parents.addAll(createdBase.subList(0, createdBase.size() - 1));
        for (Path p : parents) {
            if (!p.equals(mount) && !readList(p.resolve("cgroup.procs")).isEmpty()) {
                return; // cannot pass anything down from a cgroup with processes; enableControllers explains
            }
            List<String> enabled = readList(p.resolve("cgroup.subtree_control"));
            for (String c : offered) {
                if (!enabled.contains(c)) {
                    try {
                        Files.writeString(p.resolve("cgroup.subtree_control"), "+" + c, StandardOpenOption.WRITE);
                    } catch (IOException e) {
                        LOG.debug("cannot pass controller {} down from {}: {}", c, p, reason(e));
                    }
                }
            }
        }
    }

    /** mkdir; false when it already existed. */
    private boolean makeDir(Path dir) {
        try {
            Files.createDirectory(dir);
            requireWithin(dir, mount, realMount, "the cgroup2 mount");
            return true;
        } catch (NoSuchFileException e) {
            throw new BaseVanished("cannot create cgroup " + dir + ": its parent was removed meanwhile", e);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new CgroupException("cannot create cgroup " + dir + ": a file of that name exists");
            }
            return false;
        } catch (IOException e) {
            throw new CgroupException("cannot create cgroup " + dir + ": " + reason(e)
                    + (Files.isWritable(dir.getParent()) ? "" : " (" + dir.getParent() + " is not writable by this user:"
                            + " delegate it, see docs/cgroups.md)"), e);
        }
    }

    private Path makeUnique(Path base, String label) {
        String suffix = label == null ? "" : "-" + label.replaceAll("[^A-Za-z0-9_.]", "_");
        if (suffix.length() > 41) {
            suffix = suffix.substring(0, 41);
        }
        for (int attempt = 0; attempt < 1000; attempt++) {
            Path dir = base.resolve(NAME_PREFIX + ownPid + "-" + ownStart + "-" + sequence.incrementAndGet() + suffix);
            if (makeDir(dir)) {
                return dir;
            }
        }
        throw new CgroupException("cannot find a free cgroup name under " + base);
    }

    private void enableControllers(Path boundary, Path leaf, List<String> needed, CgroupLimits limits) {
        if (needed.isEmpty()) {
            return;
        }
        List<String> offered = readList(boundary.resolve("cgroup.controllers"));
        for (String c : needed) {
            if (!offered.contains(c)) {
                throw missingController(c, boundary, offered, limits);
            }
        }
        List<Path> chain = new ArrayList<>();
        for (Path p = leaf.getParent(); p.startsWith(boundary); p = p.getParent()) {
            chain.add(0, p);
            if (p.equals(boundary)) {
                break;
            }
        }
        for (Path p : chain) {
            List<String> enabled = readList(p.resolve("cgroup.subtree_control"));
            List<String> missing = needed.stream().filter(c -> !enabled.contains(c)).collect(Collectors.toList());
            if (missing.isEmpty()) {
                continue;
            }
            String plus = missing.stream().map(c -> "+" + c).collect(Collectors.joining(" "));
            if (!p.equals(mount) && !readList(p.resolve("cgroup.procs")).isEmpty() && mayEvacuate(p)) {
                evacuate(p);
            }
            if (!p.equals(mount) && !readList(p.resolve("cgroup.procs")).isEmpty()) {
                throw new CgroupException("cannot enable " + plus + " in " + p.resolve("cgroup.subtree_control")
                        + ": processes " + readList(p.resolve("cgroup.procs")) + " live directly in " + p + ", and cgroup v2"
                        + " passes controllers down only from cgroups without processes of their own. Give Corral a"
                        + " base that holds no processes (e.g. a sub-cgroup of the service's cgroup; with systemd"
                        + " Delegate=yes plus DelegateSubgroup=, or move the JVM into a leaf cgroup). See docs/cgroups.md");
            }
            try {
                Files.writeString(p.resolve("cgroup.subtree_control"), plus, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new CgroupException("cannot enable " + plus + " for the cgroups below " + p + ": writing '" + plus
                        + "' to " + p.resolve("cgroup.subtree_control") + " failed: " + reason(e), e);
            }
        }
        List<String> got = readList(leaf.resolve("cgroup.controllers"));
        for (String c : needed) {
            if (!got.contains(c)) {
                throw new CgroupException("controller '" + c + "' was enabled down to " + leaf.getParent()
                        + " but is not in " + leaf.resolve("cgroup.controllers") + " (" + String.join(" ", got) + ")");
            }
        }
    }

    private CgroupException missingController(String c, Path boundary, List<String> offered, CgroupLimits limits) {
        String neededBy = limits.files().keySet().stream().filter(f -> f.startsWith(c + "."))
                .collect(Collectors.joining(", "));
        String systemd = " On a systemd host, let systemd delegate it: Delegate=yes in the unit of the service that runs"
                + " the JVM (Karaf).";
        String pi = " On Raspberry Pi OS the memory controller is off by default: add 'cgroup_enable=memory cgroup_memory=1'"
                + " to the single line of /boot/firmware/cmdline.txt (/boot/cmdline.txt before Bookworm; Buster images"
                + " also need systemd.unified_cgroup_hierarchy=1) and reboot.";
        // the cgroups from the mount down to the boundary; the commands enable c from the highest one that offers it
        List<Path> ancestors = new ArrayList<>();
        for (Path p = boundary; p.startsWith(mount); p = p.getParent()) {
            ancestors.add(0, p);
            if (p.equals(mount)) {
                break;
            }
        }
        int from = -1;
        for (int i = ancestors.size() - 1; i >= 0; i--) {
            if (readList(ancestors.get(i).resolve("cgroup.controllers")).contains(c)) {
                from = i;
                break;
            }
        }
        String head = "cgroup controller '" + c + "' (needed by " + neededBy + ") is not available in " + boundary
                + " (its cgroup.controllers: " + (offered.isEmpty() ? "none" : String.join(" ", offered)) + ").";
        if (from < 0) {
            List<CgroupMount> v1 = CgroupMount.v1MountsOf(c);
            String bound = v1.isEmpty() ? " The kernel does not offer it to cgroup v2 at all (root cgroup.controllers: "
                    + String.join(" ", readList(mount.resolve("cgroup.controllers"))) + "): it is disabled at boot or not built in."
                    : " The kernel offers it to the cgroup v1 hierarchy mounted at " + v1.get(0).mountPoint()
                            + " instead of cgroup v2 (" + mount + "): boot with cgroup v2 only (systemd.unified_cgroup_hierarchy=1,"
                            + " or cgroup_no_v1=" + c + " on the kernel command line).";
            return new CgroupException(head + bound + " Once the kernel offers it, enable it with: echo +" + c + " > "
                    + mount.resolve("cgroup.subtree_control") + "." + (c.equals("memory") ? pi : "") + systemd
                    + " See docs/cgroups.md.");
        }
        List<String> commands = new ArrayList<>();
        for (int i = from; i < ancestors.size() - 1; i++) {
            commands.add("echo +" + c + " > " + ancestors.get(i).resolve("cgroup.subtree_control"));
        }
        return new CgroupException(head + " Enable it with: " + String.join(" && ", commands) + "." + systemd
                + (c.equals("memory") ? pi : "") + " See docs/cgroups.md.");
    }

    // ------------------------------------------------------------------ reading and writing

    /**
     * Every readable interface file of {@code dir}, parsed by shape ({@link CgroupFiles#parse}). Write-only files
     * ({@code cgroup.kill}, {@code memory.reclaim}) and files the kernel refuses to read are left out.
     */
    public CgroupStats stats(Path dir) {
        return readStats(requireDir(dir));
    }

    /** {@link #stats} of a directory already checked (one of this manager's own). */
    private CgroupStats readStats(Path d) {
        Map<String, CgroupValue> files = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path f : ds) {
                if (!readableRegularFile(f)) {
                    continue;
                }
                String name = f.getFileName().toString();
                try {
                    files.put(name, CgroupFiles.parse(name, Files.readString(f, StandardCharsets.UTF_8)));
                } catch (IOException | RuntimeException e) {
                    LOG.debug("cannot read {}: {}", f, e.toString());
                }
            }
        } catch (NoSuchFileException e) {
            throw new CgroupException("cgroup " + d + " does not exist", e);
        } catch (IOException e) {
            throw new CgroupException("cannot list cgroup " + d + ": " + e.getMessage(), e);
        }
        return new CgroupStats(relativize(d), files);
    }

    /** One lstat: a regular file that some read bit allows (write-only files such as cgroup.kill are skipped). */
    private static boolean readableRegularFile(Path f) {
        try {
            PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Set<PosixFilePermission> perms = a.permissions();
            return a.isRegularFile() && (perms.contains(PosixFilePermission.OWNER_READ)
                    || perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * The current values of the files of {@code given} in {@code dir}, in the same order: the configuration as
     * the kernel holds it ({@code memory.max = 256M} reads back as {@code 268435456}).
     */
    public Map<String, String> configuration(Path dir, CgroupLimits given) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String file : given.files().keySet()) {
            m.put(file, get(dir, file));
        }
        return m;
    }

    /** Raw read of interface file {@code file} of {@code dir} (cgget), trailing newline removed. */
    public String get(Path dir, String file) {
        Path f = requireDir(dir).resolve(requireFileName(file));
        try {
            return CgroupFiles.stripNewline(Files.readString(f, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new CgroupException("cgroup " + dir + " has no interface file " + file + noFileHint(file), e);
        } catch (IOException e) {
            throw new CgroupException("cannot read " + f + ": " + reason(e), e);
        }
    }

    /** Raw write of {@code value} to interface file {@code file} of {@code dir} (cgset). */
    public void set(Path dir, String file, String value) {
        write(requireDir(dir), requireFileName(file), value);
    }

    private void write(Path dir, String file, String value) {
        Path f = dir.resolve(file);
        try {
            Files.writeString(f, value, StandardCharsets.UTF_8, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new CgroupException("cannot set " + file + " = '" + value + "': cgroup " + dir + " has no such interface file"
                    + noFileHint(file), e);
        } catch (IOException e) {
            throw new CgroupException("the kernel refused " + file + " = '" + value + "' in " + dir + ": " + reason(e), e);
        }
    }

    private static String noFileHint(String file) {
        String c = file.substring(0, file.indexOf('.'));
        return c.equals("cgroup") ? "" : " (is the " + c + " controller enabled for it, and does this kernel have the file?)";
    }

    private static String requireFileName(String file) {
        if (file == null || !FILE_NAME.matcher(file).matches()) {
            throw new CgroupException("not a cgroup interface file name: '" + file + "' (expected e.g. memory.max)");
        }
        return file;
    }

    private static List<String> readList(Path file) {
        try {
            String t = Files.readString(file, StandardCharsets.UTF_8).trim();
            return t.isEmpty() ? List.of() : List.of(t.split("\\s+"));
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + reason(e), e);
        }
    }

    // ------------------------------------------------------------------ teardown

    /**
     * Waits until {@code dir} holds no process ({@code cgroup.events: populated 0}) or {@code timeout} passed,
     * without polling (inotify through {@link java.nio.file.WatchService}).
     *
     * @return whether it is empty (or gone)
     */
    public boolean awaitEmpty(Path dir, Duration timeout) throws InterruptedException {
        Path d = requireDir(dir);
        if (!isPopulated(d)) {
            return true;
        }
        if (timeout.isZero() || timeout.isNegative()) {
            return false;
        }
        CompletableFuture<Void> f;
        try {
            f = watcher.whenEmpty(d);
        } catch (IOException e) {
            return awaitEmptyByRereading(d, timeout, e);
        }
        try {
            f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return !isPopulated(d);
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            return !isPopulated(d);
        } finally {
            f.cancel(false);
        }
    }

    /** The documented fallback when the directory cannot be watched: re-read with a bounded back-off. */
    private boolean awaitEmptyByRereading(Path d, Duration timeout, IOException why) throws InterruptedException {
        if (!loggedFallback) {
            loggedFallback = true;
            LOG.warn("cannot watch {} for cgroup.events changes ({}); waiting for cgroups to empty by re-reading"
                    + " cgroup.events with a back-off of up to 50 ms", d, why.toString());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long sleepMs = 1;
        while (isPopulated(d)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            Thread.sleep(Math.min(sleepMs, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            sleepMs = Math.min(sleepMs * 2, 50);
        }
        return true;
    }

    /**
     * Kills every process in {@code dir} and below it: SIGTERM to each, up to {@code grace} for them to leave,
     * then {@code cgroup.kill} (kernels before 5.14: {@code cgroup.freeze} and SIGKILL to each pid until none is
     * left), and waits until the cgroup is empty. An interrupt shortens the grace but not the kill; the
     * interrupt flag is kept.
     *
     * @throws CgroupException when this JVM is in the cgroup, or processes survive SIGKILL for 10 s
     */
    public KillReport kill(Path dir, Duration grace) {
        Path d = requireDir(dir);
        if (!Files.isDirectory(d)) {
            return new KillReport(List.of(), false, "none");
        }
        List<Long> pids = pids(d);
        if (pids.contains(ownPid)) {
            throw new CgroupException("refusing to kill the processes of cgroup " + d + ": this JVM (pid " + ownPid + ") is in it");
        }
        List<Long> signalled = new ArrayList<>();
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(h -> {
                if (h.destroy()) {
                    signalled.add(pid);
                }
            });
        }
        boolean interrupted = false;
        boolean empty;
        try {
            empty = awaitEmpty(d, grace);
        } catch (InterruptedException e) {
            interrupted = true;
            empty = !isPopulated(d);
        }
        String method = "none";
        if (!empty) {
            if (!forceFreezeKill && Files.exists(d.resolve("cgroup.kill"))) {
                method = "cgroup.kill";
                write(d, "cgroup.kill", "1");
                interrupted |= awaitEmptyUninterruptibly(d, KILL_TIMEOUT);
            } else {
                method = "freeze+SIGKILL";
                interrupted |= freezeAndKill(d);
            }
            if (isPopulated(d)) {
                throw new CgroupException("processes " + pids(d) + " in cgroup " + d + " survived SIGKILL for " + KILL_TIMEOUT.toSeconds() + " s");
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return new KillReport(signalled, !empty, method);
    }

    /** For kernels without cgroup.kill: freeze the cgroup (no new forks), SIGKILL each pid, until empty. */
    private boolean freezeAndKill(Path d) {
        boolean interrupted = false;
        boolean froze = false;
        if (Files.exists(d.resolve("cgroup.freeze"))) {
            write(d, "cgroup.freeze", "1");
            froze = true;
        }
        long deadline = System.nanoTime() + KILL_TIMEOUT.toNanos();
        while (isPopulated(d) && System.nanoTime() < deadline) {
            for (long pid : pids(d)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            interrupted |= awaitEmptyUninterruptibly(d, Duration.ofMillis(200));
        }
        if (froze && Files.isDirectory(d)) {
            try {
                write(d, "cgroup.freeze", "0");
            } catch (CgroupException e) {
                LOG.debug("unfreezing {}", d, e);
            }
        }
        return interrupted;
    }

    private boolean awaitEmptyUninterruptibly(Path d, Duration timeout) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                awaitEmpty(d, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }

    /**
     * Removes the cgroup directories {@code dirs} in the order given (deepest first), each with any cgroups
     * that were created below it. Directories that are already gone are skipped. A directory that still
     * holds processes is waited for (up to 10 s) before giving up.
     *
     * @throws CgroupException naming the directory that could not be removed and why
     */
    public void remove(List<Path> dirs) {
        for (Path dir : dirs) {
            Path d = requireDir(dir);
            if (d.equals(mount)) {
                throw new CgroupException("refusing to remove the root cgroup " + d);
            }
            removeTree(d);
        }
    }

    /** Removes what {@code prepared} created: {@link PreparedCgroup#createdDirs()}, then {@link PreparedCgroup#removeAfterStats()}. */
    public void remove(PreparedCgroup prepared) {
        remove(prepared.createdDirs());
        remove(prepared.removeAfterStats());
    }

    /**
     * rmdir first (the common case: a cgroup with no cgroup below it); only when the kernel refuses (EBUSY or
     * ENOTEMPTY: cgroups below it, or processes in it) are the cgroups below removed, or the processes waited for
     * (up to 10 s), before one more try.
     */
    private void removeTree(Path d) {
        for (int attempt = 0; ; attempt++) {
            try {
                Files.deleteIfExists(d);
                return;
            } catch (FileSystemException e) { // DirectoryNotEmptyException included
                List<Path> children = childCgroups(d);
                if (attempt > 1 || (children.isEmpty() && (attempt > 0 || !isPopulated(d)))) {
                    throw new CgroupException("cannot remove cgroup " + d + ": " + (children.isEmpty() ? reason(e)
                            : "cgroups were created below it meanwhile")
                            + (isPopulated(d) ? " (processes " + pids(d) + " are still in it)" : ""), e);
                }
                for (Path child : children) {
                    removeTree(child);
                }
                if (children.isEmpty()) {
                    awaitEmptyUninterruptibly(d, KILL_TIMEOUT);
                }
            } catch (IOException e) {
                throw new CgroupException("cannot remove cgroup " + d + ": " + reason(e), e);
            }
        }
    }

    /**
     * The whole teardown from the Java side: {@link #kill} with {@code grace}, the final {@link #stats}, then
     * {@link #remove(PreparedCgroup) removal}.
     *
     * @return the statistics read after the last process left and before the removal
     */
    public CgroupStats close(PreparedCgroup prepared, Duration grace) {
        kill(prepared.statsDir(), grace);
        CgroupStats last = stats(prepared.statsDir());
        remove(prepared);
        return last;
    }

    /**
     * After the helper's teardown (it killed the program's cgroup and removed {@link PreparedCgroup#createdDirs()}):
     * waits until {@link PreparedCgroup#statsDir()} is empty (up to 10 s; the helper reported EXIT, so it
     * normally is), reads its final statistics and removes {@link PreparedCgroup#removeAfterStats()}.
     *
     * @throws CgroupException when it still holds processes after 10 s (then nothing is removed)
     */
    public CgroupStats finish(PreparedCgroup prepared) {
        Path d = ownDir(prepared.statsDir());
        boolean interrupted = awaitEmptyUninterruptibly(d, KILL_TIMEOUT);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (isPopulated(d)) {
            throw new CgroupException("cgroup " + d + " still holds processes " + pids(d) + " after the program's teardown");
        }
        CgroupStats last = readStats(d);
        for (Path p : prepared.removeAfterStats()) {
            Path o = ownDir(p);
            if (o.equals(mount)) {
                throw new CgroupException("refusing to remove the root cgroup " + o);
            }
            removeTree(o);
        }
        return last;
    }

    /**
     * A directory of a {@link PreparedCgroup} this manager made (or took over): checked lexically to lie below
     * the mount. Its real path was checked when it was made, and cgroupfs has neither symbolic links nor renames.
     */
    private Path ownDir(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        if (!d.startsWith(mount)) {
            throw new CgroupException("cgroup " + dir + " is not under the cgroup2 mount " + mount);
        }
        return d;
    }

    // ------------------------------------------------------------------ sweep

    /**
     * The start-up sweep of one base: {@link #sweep(Collection, Duration)}, with its summary logged at INFO.
     *
     * @return what was found and removed
     */
    public List<SweptCgroup> sweep(String base, Duration grace) {
        SweepReport r = sweep(List.of(base), grace);
        LOG.info("corral: {}", r.summary());
        return r.swept();
    }

    /**
     * Removes the cgroups under {@code bases} that a Corral JVM which is gone left behind (a crash that took the
     * helper with it). A child of a base is swept when all of these hold:
     * <ul>
     * <li>its name is {@code corral-<pid>-<start>-<n>[-<label>]} and no process {@code <pid>} with that start time
     * exists (a reused pid does not count as alive; this JVM's cgroups are never swept);</li>
     * <li>{@code lstat} says it is a directory (no symbolic link is followed), owned by this process's effective
     * uid and not writable by its group or others. Otherwise it is left alone with a WARN line.</li>
     * </ul>
     * Its processes get SIGTERM, then after {@code grace} (one grace for all of them) {@code cgroup.kill}; once
     * empty it is removed with everything below it, deepest first, through a descriptor of its parent
     * ({@link SecureDirectoryStream}). Does not log the summary: the caller logs {@link SweepReport#summary()}.
     */
    public SweepReport sweep(Collection<String> bases, Duration grace) {
        List<String> checked = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Map<Path, List<Stale>> byBase = new LinkedHashMap<>();
        UserPrincipal me = null;
        int uid = euid();
        try {
            if (uid >= 0) {
                me = realMount.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(Integer.toString(uid));
            }
        } catch (IOException e) {
            LOG.debug("cannot look up uid {}", uid, e);
        }
        for (String base : new LinkedHashSet<>(bases)) {
            Path baseDir;
            try {
                baseDir = resolve(base);
            } catch (CgroupException e) {
                skipped.add(base + ": " + e.getMessage());
                continue;
            }
            checked.add(baseDir.toString());
            try {
                BasicFileAttributes ba = Files.readAttributes(baseDir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!ba.isDirectory()) {
                    skipped.add(baseDir + ": not a directory");
                    continue;
                }
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException e) {
                skipped.add(baseDir + ": " + reason(e));
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(baseDir)) {
                for (Path entry : ds) {
                    Path name = entry.getFileName();
                    Matcher m = OWNED_NAME.matcher(name.toString());
                    if (!m.matches()) {
                        continue;
                    }
                    long pid;
                    long start;
                    try {
                        pid = Long.parseLong(m.group(1));
                        start = Long.parseLong(m.group(2));
                    } catch (NumberFormatException e) {
                        continue; // digits beyond a long: not a name Corral wrote
                    }
                    if ((pid == ownPid && start == ownStart) || ownerAlive(pid, start)) {
                        continue;
                    }
                    PosixFileAttributes a = ds instanceof SecureDirectoryStream
                            ? ((SecureDirectoryStream<Path>) ds).getFileAttributeView(name, PosixFileAttributeView.class,
                                    LinkOption.NOFOLLOW_LINKS).readAttributes()
                            : Files.readAttributes(entry, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    String refused = refusal(a, me, uid);
                    if (refused != null) {
                        LOG.warn("corral: not sweeping {}: {}", entry, refused);
                        skipped.add(entry + ": " + refused);
                        continue;
                    }
                    byBase.computeIfAbsent(baseDir, k -> new ArrayList<>()).add(new Stale(entry, pid));
                }
            } catch (NoSuchFileException e) {
                // the base went meanwhile
            } catch (IOException | RuntimeException e) {
                LOG.warn("corral: cannot sweep {}: {}", baseDir, e.toString());
                skipped.add(baseDir + ": " + e);
            }
        }
        List<Stale> all = new ArrayList<>();
        byBase.values().forEach(all::addAll);
        // SIGTERM to every process, one grace for all, then cgroup.kill for what is left
        for (Stale st : all) {
            try {
                st.pids = pids(st.dir);
            } catch (CgroupException e) {
                st.pids = List.of();
            }
            for (long pid : st.pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
        }
        boolean interrupted = false;
        long deadline = System.nanoTime() + grace.toNanos();
        for (Stale st : all) {
            try {
                awaitEmpty(st.dir, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (CgroupException e) {
                LOG.debug("waiting for {}: {}", st.dir, e.getMessage());
            }
        }
        List<SweptCgroup> swept = new ArrayList<>();
        for (Map.Entry<Path, List<Stale>> e : byBase.entrySet()) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(e.getKey())) {
                for (Stale st : e.getValue()) {
                    boolean removed = false;
                    try {
                        if (isPopulated(st.dir)) {
                            kill(st.dir, Duration.ZERO);
                        }
                        if (ds instanceof SecureDirectoryStream) {
                            removeBelow((SecureDirectoryStream<Path>) ds, st.dir.getFileName(), st.dir, 0);
                        } else {
                            removeTree(st.dir);
                        }
                        removed = true;
                    } catch (CgroupException | IOException x) {
                        LOG.warn("corral: stale cgroup {} (left by JVM pid {}, gone) could not be removed: {}", st.dir,
                                st.owner, x.getMessage());
                    }
                    LOG.debug("swept stale cgroup {} left by JVM pid {}: processes {} killed, {}", st.dir, st.owner,
                            st.pids, removed ? "removed" : "NOT removed");
                    swept.add(new SweptCgroup(relativize(st.dir), st.owner, st.pids, removed));
                }
            } catch (IOException x) {
                LOG.warn("corral: cannot open {} to remove stale cgroups: {}", e.getKey(), x.toString());
                for (Stale st : e.getValue()) {
                    swept.add(new SweptCgroup(relativize(st.dir), st.owner, st.pids, false));
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return new SweepReport(checked, swept, skipped);
    }

    /** A cgroup the sweep found stale. */
    private static final class Stale {
        final Path dir;
        final long owner;
        List<Long> pids = List.of();

        Stale(Path dir, long owner) {
            this.dir = dir;
            this.owner = owner;
        }
    }

    /** Why the sweep must leave an entry alone (null: it may sweep it). */
    private static String refusal(PosixFileAttributes a, UserPrincipal me, int uid) {
        if (a.isSymbolicLink() || !a.isDirectory()) {
            return "not a directory";
        }
        if (me == null || !a.owner().equals(me)) {
            return "owned by " + a.owner().getName() + ", not by this JVM's uid " + uid;
        }
        Set<PosixFilePermission> p = a.permissions();
        if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
            return "writable by its group or others (mode " + PosixFilePermissions.toString(p) + ")";
        }
        return null;
    }

    /**
     * Removes the cgroup {@code name} of the directory {@code parent} and every cgroup below it, deepest first,
     * relative to directory descriptors (no path is resolved again, no symbolic link followed). A cgroup that still
     * holds processes (EBUSY) is waited for, up to 10 s, once.
     */
    private void removeBelow(SecureDirectoryStream<Path> parent, Path name, Path dir, int depth) throws IOException {
        if (depth > 64) {
            throw new CgroupException("cgroup " + dir + " is nested deeper than 64 levels");
        }
        try (SecureDirectoryStream<Path> child = parent.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
            List<Path> subs = new ArrayList<>();
            for (Path e : child) {
                BasicFileAttributes a = child.getFileAttributeView(e.getFileName(), BasicFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS).readAttributes();
                if (a.isDirectory() && !a.isSymbolicLink()) {
                    subs.add(e.getFileName());
                }
            }
            for (Path sub : subs) {
                removeBelow(child, sub, dir.resolve(sub), depth + 1);
            }
        } catch (NoSuchFileException e) {
            return;
        }
        for (int attempt = 0; ; attempt++) {
            try {
                parent.deleteDirectory(name);
                return;
            } catch (NoSuchFileException e) {
                return;
            } catch (FileSystemException e) {
                if (attempt > 0 || !isPopulated(dir)) {
                    throw new CgroupException("cannot remove cgroup " + dir + ": " + reason(e)
                            + (isPopulated(dir) ? " (processes " + pids(dir) + " are still in it)" : ""), e);
                }
                awaitEmptyUninterruptibly(dir, KILL_TIMEOUT);
            }
        }
    }

    /** Whether the process {@code pid} exists and started at {@code start} clock ticks after boot. */
    static boolean ownerAlive(long pid, long start) {
        Optional<Long> s = startTime(pid);
        return s.isPresent() && s.get() == start;
    }

    /** Field 22 (starttime) of {@code /proc/<pid>/stat}. */
    static Optional<Long> startTime(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"));
            return Optional.of(parseStartTime(stat));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** starttime from a {@code /proc/<pid>/stat} line; the command name in parentheses may hold any character. */
    static long parseStartTime(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + stat);
        }
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (state); starttime is field 22
        return Long.parseLong(f[19]);
    }

    /** Only for tests: take the pre-5.14 path (freeze + SIGKILL) even where cgroup.kill exists. */
    void forceFreezeKill(boolean force) {
        this.forceFreezeKill = force;
    }

    private static String reason(IOException e) {
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        return String.valueOf(e.getMessage());
    }
}
