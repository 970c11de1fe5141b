package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.InvalidCommandException;
import org.corral.api.OutputConsumer;
import org.corral.api.ProcessException;
import org.corral.api.StderrMode;
import org.corral.api.StdoutMode;
import org.corral.api.Stdin;
import org.corral.supervisor.internal.protocol.Protocol;
import org.corral.supervisor.internal.protocol.SpawnFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine that runs programs through the native helper: a 0700 runtime directory with the control socket
 * {@code ctl.sock}, one broker process that forks a helper per program, one IO thread, and the delivery pool
 * and control thread of {@link Delivery}.
 */
public final class HelperEngine implements Engine {

    private static final Logger LOG = LoggerFactory.getLogger(HelperEngine.class);

    /**
     * Connections accepted on ctl.sock that have not said HELLO, beyond the spawns waiting for their
     * helper's HELLO, above which the oldest of them is closed to make room for a new one (the HELLO deadline
     * clears idle ones). New connections are never refused: a helper's HELLO follows its connect at once, so
     * a flood of idle connections cannot keep a helper out.
     */
    static final int UNAUTHENTICATED_MAX = 64;
    /** How long close() waits for the programs beyond the longest grace. */
    private static final java.time.Duration CLOSE_MARGIN = java.time.Duration.ofSeconds(5);
    /**
     * How long a helper's teardown may take beyond the grace: it gives a cgroup that does not empty 10 s
     * after SIGKILL (docs/protocol.md, "Exit and teardown").
     */
    static final java.time.Duration TEARDOWN_GIVE_UP = java.time.Duration.ofSeconds(10);
    /** How long a lost helper's run waits for the broker's report of how the helper ended. */
    static final java.time.Duration FATE_WAIT = java.time.Duration.ofSeconds(2);

    private final EngineConfig cfg;
    private final Path helper;
    private final Path runtimeDir;
    private final Path socket;
    private final IoLoop loop;
    private final Delivery delivery;
    private final ServerSocketChannel server;
    private final Conn.Pool pool = new Conn.Pool();
    private final Map<TokenKey, HelperProgram> pending = new ConcurrentHashMap<>();
    /** Who may connect: the JVM's own user. */
    private final PeerCredentials peers;
    /** Accepted connections without HELLO yet, oldest first (IO thread). */
    private final java.util.LinkedHashSet<Conn> awaitingHello = new java.util.LinkedHashSet<>();
    private final Set<HelperProgram> live = ConcurrentHashMap.newKeySet();
    /** Every program by its spawn token until its completion is done (the broker reports helpers by token). */
    private final Map<TokenKey, HelperProgram> byToken = new ConcurrentHashMap<>();
    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private final Object brokerLock = new Object();
    private final Thread shutdownHook;
    private final HelperHandOver handOver;
    private volatile Broker broker;
    private volatile CompletableFuture<Broker> brokerReady;
    private volatile boolean closed;
    /** Whether start() returned (later broker failures are logged here, not thrown). */
    private volatile boolean up;

    private HelperEngine(EngineConfig cfg) throws IOException {
        this.cfg = cfg;
        this.runtimeDir = RuntimeDir.create(cfg.runtimeParent());
        this.socket = runtimeDir.resolve("ctl.sock");
        if (cfg.helper() != null) {
            this.helper = cfg.helper();
        } else {
            try {
                this.helper = HelperLocator.install(cfg.helperResource(), runtimeDir);
            } catch (RuntimeException e) {
                RuntimeDir.delete(runtimeDir);
                throw e;
            }
        }
        int len = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (len > RuntimeDir.MAX_SOCKET_PATH) {
            RuntimeDir.delete(runtimeDir);
            throw new ProcessException("control socket path " + socket + " is " + len + " bytes, more than the "
                    + RuntimeDir.MAX_SOCKET_PATH + " a Unix socket allows: choose a shorter runtime directory");
        }
        this.peers = new PeerCredentials(runtimeDir);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket), 512);
        server.configureBlocking(false);
        this.loop = new IoLoop("corral-io");
        server.register(loop.selector(), SelectionKey.OP_ACCEPT, (IoLoop.Handler) k -> accept());
        this.delivery = new Delivery(cfg.deliveryThreads());
        this.shutdownHook = new Thread(this::jvmExit, "corral-shutdown");
        this.handOver = new HelperHandOver(this);
    }

    /**
     * Starts an engine: runtime directory, socket, threads, and the broker (waiting for its HELLO).
     *
     * @throws ProcessException the helper could not be started (names why)
     */
    public static HelperEngine start(EngineConfig cfg) {
        if (cfg.helper() == null && cfg.helperResource() == null) {
            throw new IllegalArgumentException("no helper given");
        }
        HelperEngine e;
        try {
            e = new HelperEngine(cfg);
        } catch (IOException ex) {
            throw new ProcessException("cannot set up the runtime directory/socket under " + cfg.runtimeParent() + ": "
                    + ex.getMessage(), ex);
        }
        e.loop.start();
        try {
            Runtime.getRuntime().addShutdownHook(e.shutdownHook);
        } catch (IllegalStateException ignored) {
            // JVM shutting down
        }
        try {
            e.startBroker().get(cfg.brokerStartTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            e.close();
            throw new ProcessException("interrupted while starting the helper broker", ex);
        } catch (ExecutionException | TimeoutException ex) {
            String log = e.brokerLog();
            e.close();
            Throwable c = ex instanceof ExecutionException ? ex.getCause() : ex;
            throw new ProcessException("the helper broker " + e.helper + " did not start: "
                    + (c instanceof TimeoutException ? "no HELLO within " + cfg.brokerStartTimeout() : c.getMessage())
                    + (log.isEmpty() ? "" : "; its output: " + log), c);
        }
        e.up = true;
        LOG.debug("corral engine up: helper {}, runtime directory {}", e.helper, e.runtimeDir);
        return e;
    }

    // ---------------------------------------------------------------- accessors for the package

    IoLoop loop() {
        return loop;
    }

    Delivery delivery() {
        return delivery;
    }

    Conn.Pool pool() {
        return pool;
    }

    CgroupPlacement cgroups() {
        return cfg.cgroups();
    }

    CommandResolver resolver() {
        return cfg.resolver();
    }

    /** Checks the user at the other end of a Unix connection. */
    PeerCredentials peers() {
        return peers;
    }

    /** The control socket (for tests). */
    public Path controlSocket() {
        return socket;
    }

    /** The runtime directory (socket, broker log). */
    public Path runtimeDir() {
        return runtimeDir;
    }

    /** The broker's pid, if one runs. */
    public Optional<Long> brokerPid() {
        Broker b = broker;
        return b == null || b.isDead() ? Optional.empty() : Optional.of(b.pid());
    }

    /** Number of programs not yet ended (for tests and the console). */
    public int liveCount() {
        return live.size();
    }

    /** Each program not yet ended has its helper. */
    @Override
    public int helpersRunning() {
        return live.size();
    }

    /** Bytes currently held in read buffers over every connection (for tests). */
    public long bufferedBytes() {
        long n = 0;
        for (Conn c : conns) {
            n += c.buffered();
        }
        return n;
    }

    /** The largest number of bytes a program's connection held at once (for tests). */
    public static int maxBuffered(RunningProgram p) {
        return p instanceof HelperProgram ? ((HelperProgram) p).maxBuffered() : -1;
    }

    void warnOnce(String full, String key) {
        if (warned.add(key)) {
            LOG.warn("{}", full);
        } else {
            LOG.debug("{}", full);
        }
    }

    // ---------------------------------------------------------------- Engine

    @Override
    public void validate(CommandSpec spec) {
        cfg.resolver().resolve(spec);
        if (spec.usesCgroup() && cfg.cgroups() == CgroupPlacement.NONE) {
            CgroupPlacement.NONE.prepare(spec);
        }
    }

    @Override
    public RunningProgram launch(CommandSpec spec, OutputConsumer consumer) {
        return launch(spec, consumer, null);
    }

    /** Root's shared parent of notify sockets: programs of other users must reach them (0711, names unguessable). */
    static final Path ROOT_NOTIFY_DIR = Path.of("/run/corral-notify");
    private static final int SELF_UID = CommandResolver.selfUid();

    /**
     * Where helpers put notify sockets: a root JVM's programs may run as other users, who cannot enter the 0700
     * runtime directory, so root uses {@link #ROOT_NOTIFY_DIR}; another user's programs run as that user.
     */
    private Path notifyDir() {
        Path d = SELF_UID == 0 ? ROOT_NOTIFY_DIR : runtimeDir;
        if (d.toString().getBytes(StandardCharsets.UTF_8).length > Protocol.NOTIFY_DIR_MAX) {
            throw new InvalidCommandException("ready.notify: the notify socket directory " + d + " is longer than "
                    + Protocol.NOTIFY_DIR_MAX + " bytes (a Unix socket path holds 107)");
        }
        return d;
    }

    @Override
    public boolean supportsNotify() {
        return true;
    }

    @Override
    public RunningProgram launch(CommandSpec spec, OutputConsumer consumer, NotifySocket notify) {
        if (closed) {
            throw new ProcessException("the Corral engine is closed");
        }
        ResolvedCommand rc = cfg.resolver().resolve(spec);
        int window = effectiveWindow(spec, consumer);
        Path stdinFile = null;
        if (spec.stdin().kind() == Stdin.Kind.BYTES && spec.stdin().length() > STDIN_INLINE_MAX) {
            stdinFile = stdinFile(spec.stdin());
        }
        CgroupPlacement.Placement placement;
        try {
            placement = cfg.cgroups().prepare(spec).orElse(null);
        } catch (RuntimeException e) {
            deleteQuietly(stdinFile);
            throw e;
        }
        TokenKey token = TokenKey.random();
        ByteBuffer frame;
        try {
            frame = spawnFrame(rc, token, placement, window, stdinFile, notify);
        } catch (IllegalStateException | IllegalArgumentException | InvalidCommandException e) {
            if (placement != null) {
                cfg.cgroups().discard(placement);
            }
            deleteQuietly(stdinFile);
            throw new InvalidCommandException(e.getMessage(), e);
        }
        Broker b = currentBroker();
        HelperProgram p = new HelperProgram(this, rc, token, consumer, placement, window, stdinFile == null, b);
        if (notify != null) {
            p.notifyListener(notify.listener());
        }
        if (stdinFile != null) {
            Path f = stdinFile;
            p.started().whenComplete((pid, x) -> deleteQuietly(f));
        }
        register(p);
        if (closed) {
            p.fail(new ProcessException("the Corral engine is closed"));
            return p;
        }
        p.armTimeout();
        loop.schedule(cfg.brokerStartTimeout(), () -> {
            if (pending.remove(token, p)) {
                killHelper(p);
                p.fail(new ProcessException("the helper of " + p.cmd.executable() + " did not connect within "
                        + cfg.brokerStartTimeout().toMillis() + " ms"));
            }
        });
        if (b == null || !b.send(frame)) {
            p.fail(new ProcessException("the helper broker is not running; see earlier errors"));
        }
        return p;
    }

    /** The live broker, starting a new one (asynchronously) when the last one died. */
    private Broker currentBroker() {
        Broker b = broker;
        if (b != null && !b.isDead()) {
            return b;
        }
        synchronized (brokerLock) {
            b = broker;
            if (b != null && !b.isDead()) {
                return b;
            }
            if (closed) {
                return null;
            }
            LOG.warn("corral: restarting the helper broker");
            startBroker();
            return broker;
        }
    }

    private CompletableFuture<Broker> startBroker() {
        synchronized (brokerLock) {
            TokenKey token = TokenKey.random();
            List<String> cmd = new ArrayList<>(cfg.helperPrefix());
            cmd.add(helper.toString());
            cmd.add("broker");
            cmd.add(socket.toString());
            cmd.add("-"); // the token comes on stdin: a command line is readable by every user
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(runtimeDir.resolve("broker.log").toFile()))
                    .redirectErrorStream(true);
            CompletableFuture<Broker> ready = new CompletableFuture<>();
            Broker b = new Broker(token);
            broker = b;
            brokerReady = ready;
            Process proc;
            try {
                proc = pb.start();
            } catch (IOException e) {
                b.markDead();
                ready.completeExceptionally(new ProcessException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e));
                return ready;
            }
            try (java.io.OutputStream in = proc.getOutputStream()) {
                in.write((token.hex() + "\n").getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // the broker died at once: its exit is reported below
            }
            b.process(proc);
            proc.onExit().thenRun(() -> loop.execute(() -> brokerGone(b, null)));
            return ready;
        }
    }

    String brokerLog() {
        try {
            String s = Files.readString(runtimeDir.resolve("broker.log"), StandardCharsets.UTF_8).trim();
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "";
        }
    }

    /** Stdin up to this size goes through the socket; larger stdin through a private file (see protocol.md). */
    static final int STDIN_INLINE_MAX = 64 * 1024;
    /** The window for bulk readers (collection or discard on the IO thread): near pipe speed. */
    static final int BULK_WINDOW = 1024 * 1024;

    /**
     * The flow-control window: the spec's, except that a program whose output is only collected or counted
     * (consumed on the IO thread at once) gets {@link #BULK_WINDOW} when the spec kept the default.
     */
    static int effectiveWindow(CommandSpec spec, OutputConsumer consumer) {
        if (consumer == null && spec.window() == CommandSpec.DEFAULT_WINDOW) {
            return BULK_WINDOW;
        }
        return spec.window();
    }

    private Path stdinFile(Stdin in) {
        try {
            Path f = Files.createTempFile(runtimeDir, "stdin-", "", java.nio.file.attribute.PosixFilePermissions
                    .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.write(f, in.bytes().orElseThrow());
            return f;
        } catch (IOException e) {
            throw new ProcessException("cannot stage " + in.length() + " bytes of stdin in " + runtimeDir + ": "
                    + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path f) {
        if (f != null) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // the runtime directory goes at close
            }
        }
    }

    private volatile byte[] baseEnvFields;

    /** The ENV fields of the inherited environment, encoded once. */
    private byte[] baseEnvFields() {
        byte[] b = baseEnvFields;
        if (b == null) {
            SpawnFrame f = new SpawnFrame();
            for (Map.Entry<String, String> e : cfg.resolver().baseEnvironment().entrySet()) {
                f.field(Protocol.F_ENV, e.getKey() + "=" + e.getValue());
            }
            b = f.fieldBytes();
            baseEnvFields = b;
        }
        return b;
    }

    private ByteBuffer spawnFrame(ResolvedCommand rc, TokenKey token, CgroupPlacement.Placement placement, int window,
            Path stdinFile, NotifySocket notify) {
        CommandSpec s = rc.spec();
        SpawnFrame f = new SpawnFrame();
        f.field(Protocol.F_TOKEN, token.bytes());
        f.field(Protocol.F_PATH, rc.executable().toString());
        for (String a : rc.argv()) {
            f.field(Protocol.F_ARG, a);
        }
        if (rc.env() == cfg.resolver().baseEnvironment()) {
            f.raw(baseEnvFields());
        } else {
            for (Map.Entry<String, String> e : rc.env().entrySet()) {
                f.field(Protocol.F_ENV, e.getKey() + "=" + e.getValue());
            }
        }
        if (rc.directory() != null) {
            f.field(Protocol.F_CWD, rc.directory().toString());
        }
        Stdin in = s.stdin();
        if (stdinFile != null) {
            f.stdin(Protocol.STDIN_FILE, stdinFile.toString());
        } else if (in.kind() == Stdin.Kind.BYTES && in.length() > 0) {
            f.stdin(Protocol.STDIN_PIPE, null);
        } else if (in.kind() == Stdin.Kind.FILE) {
            f.stdin(Protocol.STDIN_FILE, rc.stdinFile().toString());
        }
        if (rc.uid() >= 0) {
            f.u32(Protocol.F_UID, rc.uid());
        }
        if (rc.gid() >= 0) {
            f.u32(Protocol.F_GID, rc.gid());
        }
        if (rc.groups() != null) {
            f.u32s(Protocol.F_GROUPS, rc.groups());
        }
        if (placement != null) {
            f.field(Protocol.F_CGROUP, placement.directory().toString());
            for (Path d : placement.removeOnTeardown()) {
                f.field(Protocol.F_CGROUP_REMOVE, d.toString());
            }
            if (placement.helperStats() != null) {
                f.field(Protocol.F_CGROUP_STATS, placement.helperStats().toString());
            }
        }
        if (s.killSignal().number() != 15) {
            f.u32(Protocol.F_KILL_SIGNAL, s.killSignal().number());
        }
        if (rc.graceMs() != 500) {
            f.u32(Protocol.F_GRACE_MS, rc.graceMs());
        }
        if (window != CommandSpec.DEFAULT_WINDOW) {
            f.u32(Protocol.F_WINDOW, window);
        }
        if (s.stderrMode() == StderrMode.MERGE) {
            f.u8(Protocol.F_STDERR_MODE, Protocol.OUT_MERGE);
        } else if (s.stderrMode() == StderrMode.DISCARD) {
            f.u8(Protocol.F_STDERR_MODE, Protocol.OUT_NULL);
        }
        if (s.stdoutMode() == StdoutMode.DISCARD) {
            f.u8(Protocol.F_STDOUT_MODE, Protocol.OUT_NULL);
        }
        if (!s.killDescendantsOnExit()) {
            f.u32(Protocol.F_FLAGS, Protocol.FLAG_KEEP_DESCENDANTS);
        }
        f.hardening(s);
        if (notify != null) {
            long usec = notify.watchdog().toNanos() / 1000;
            f.notify(notifyDir().toString(), notify.watchdog().isZero() ? 0 : Math.max(1, usec));
        }
        return f.build();
    }

    /** Stdin bytes to send after HELLO, or null. */
    byte[] stdinBytes(HelperProgram p) {
        Stdin in = p.spec().stdin();
        return p.stdinInline() && in.kind() == Stdin.Kind.BYTES && in.length() > 0 ? in.bytes().orElseThrow() : null;
    }

    @Override
    public Timers timers() {
        return loop;
    }

    @Override
    public Executor deliverExecutor() {
        return delivery.unordered();
    }

    @Override
    public Executor newLane(String name) {
        return delivery.lane(name);
    }

    @Override
    public Executor controlExecutor() {
        return delivery.control();
    }

    @Override
    public boolean onDeliverThread() {
        return delivery.onDeliveryThread();
    }

    @Override
    public Containment containment() {
        List<String> lim = new ArrayList<>();
        Containment.Mode mode = cfg.cgroups().mount().isPresent() ? Containment.Mode.HELPER_CGROUP : Containment.Mode.HELPER;
        if (mode == Containment.Mode.HELPER) {
            lim.add("No cgroup v2 support is in use: descendants are found through the process group and the helper's "
                    + "subreaper role; when a helper dies, the broker kills the orphans it left, so one that left the "
                    + "process group survives only when the broker is gone too.");
            lim.add("No resource limits or cgroup statistics.");
        }
        String arch = HelperLocator.elfArchitecture(helper).orElse(cfg.architecture());
        lim.addAll(cfg.cgroups().defaultBaseNotes());
        if (!cfg.helperPrefix().isEmpty()) {
            lim.add("The helper runs through " + String.join(" ", cfg.helperPrefix()) + " (emulation).");
        }
        return new Containment(mode, Optional.of(helper.toString()), arch, cfg.cgroups().mount(), lim,
                cfg.cgroups().defaultBase());
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------- hand-over (protocol version 2)

    @Override
    public boolean supportsHandOver() {
        return true;
    }

    @Override
    public CompletableFuture<HandOff> detach(RunningProgram program, java.time.Duration lease) {
        if (!(program instanceof HelperProgram) || ((HelperProgram) program).engine() != this) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(program + " is not a program of " + this));
        }
        return handOver.detach((HelperProgram) program, lease);
    }

    /**
     * Removes a hand-over socket directory once the successor re-attached (what is left there are sockets
     * of helpers that were not taken over). Refuses anything but a hand-over directory of this user.
     */
    public static void deleteHandOverDir(Path dir) {
        HelperHandOver.deleteDir(dir);
    }

    @Override
    public RunningProgram attach(HandOff h, CommandSpec spec, OutputConsumer consumer) {
        return attach(h, spec, consumer, null);
    }

    @Override
    public RunningProgram attach(HandOff h, CommandSpec spec, OutputConsumer consumer, NotifySocket.Listener listener) {
        if (closed) {
            throw new ProcessException("the Corral engine is closed");
        }
        return handOver.attach(h, spec, consumer, listener);
    }

    /** Tracks a program until it ends; it waits for its helper's HELLO. */
    void register(HelperProgram p) {
        live.add(p);
        byToken.put(p.token, p);
        p.completion().whenComplete((r, x) -> byToken.remove(p.token, p));
        pending.put(p.token, p);
    }

    /** How long a helper asked to stop may take to acknowledge it. */
    java.time.Duration answerTimeout() {
        return cfg.answerTimeout();
    }

    /**
     * Kills the helper of {@code p} (it stopped answering): through the broker that forked it (KILL_HELPER:
     * the broker's child, so no other process can be hit), else as the process that said HELLO (a
     * {@link ProcessHandle} checks its start time).
     */
    void killHelper(HelperProgram p) {
        Broker b = p.liveBroker();
        if (b != null && b.send(org.corral.supervisor.internal.protocol.FrameEncoder.killHelper(p.token.bytes()))) {
            return;
        }
        ProcessHandle h = p.helperProcess();
        if (h != null) {
            h.destroyForcibly();
        }
    }

    /** The broker {@code b} reaped the helper forked for {@code token} (IO thread). */
    void helperExited(Broker b, TokenKey token, long helperPid, int kind, int value) {
        HelperProgram p = byToken.get(token);
        if (p == null || !p.spawnedBy(b)) {
            return; // ended and reported already
        }
        p.helperEnded(kind, value);
        if (pending.containsKey(token)) {
            // its connection and HELLO may wait in the backlog or the socket, written before it exited: read them
            accept();
            for (Conn c : new ArrayList<>(conns)) {
                c.readIfUnidentified();
            }
        }
        if (pending.remove(token, p)) {
            String how = kind == Protocol.EXIT_SIGNALED ? "was killed by signal " + value : "exited with status " + value;
            p.fail(new ProcessException("the helper (pid " + helperPid + ") of " + p.cmd.executable() + " " + how
                    + " before it connected"));
        }
    }

    /** The program's helper will not say HELLO (any thread). */
    void unpend(HelperProgram p) {
        pending.remove(p.token, p);
    }

    /** Serves a connection re-attached to the helper of {@code p} (its ATTACH was sent; any thread). */
    void adoptConnection(SocketChannel ch, HelperProgram p) {
        loop.execute(() -> {
            try {
                Conn c = new Conn(this, ch, p);
                conns.add(c);
                c.register(ch.register(loop.selector(), SelectionKey.OP_READ, c));
                c.onReadable();
            } catch (IOException e) {
                unpend(p);
                p.fail(new ProcessException("cannot re-attach to the helper of " + p.cmd.executable() + ": " + e.getMessage(), e));
            }
        });
    }

    // ---------------------------------------------------------------- connections (IO thread)

    private void accept() {
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.error("corral: accept on {} failed", socket, e);
                }
                return;
            }
            if (ch == null) {
                return;
            }
            try {
                Optional<String> foreign = peers.foreignUser(ch);
                if (foreign.isPresent()) {
                    warnOnce("corral: refused a connection to " + socket + " from user " + foreign.get()
                            + ": helpers and the broker run as " + peers.self(), "foreign-peer");
                    ch.close();
                    continue;
                }
                int cap = UNAUTHENTICATED_MAX + pending.size();
                while (awaitingHello.size() >= cap) {
                    warnOnce("corral: " + awaitingHello.size() + " connections to " + socket + " are waiting for"
                            + " their HELLO already (at most " + cap + "): closing the oldest ones", "hello-cap");
                    awaitingHello.iterator().next().close(); // helloDone removes it
                }
                ch.configureBlocking(false);
                Conn c = new Conn(this, ch, null);
                awaitingHello.add(c);
                c.awaitHello(loop.schedule(cfg.helloTimeout(), c::helloOverdue));
                conns.add(c);
                c.register(ch.register(loop.selector(), SelectionKey.OP_READ, c));
                c.onReadable(); // HELLO is usually there already
            } catch (IOException e) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing
                }
            }
        }
    }

    /** How many accepted connections wait for their HELLO now (any thread but the IO thread; for tests). */
    int awaitingHelloCount() {
        CompletableFuture<Integer> n = new CompletableFuture<>();
        loop.execute(() -> n.complete(awaitingHello.size()));
        return n.join();
    }

    /** A connection accepted on ctl.sock said HELLO or was closed before (IO thread). */
    void helloDone(Conn c) {
        awaitingHello.remove(c);
    }

    void connClosed(Conn c) {
        conns.remove(c);
    }

    /** A broker said HELLO with {@code token}: the current broker, or null. */
    Broker brokerHello(TokenKey token, Conn c) {
        Broker b = broker;
        if (b == null || !b.token.equals(token) || b.isDead()) {
            return null;
        }
        b.connected(c);
        CompletableFuture<Broker> r = brokerReady;
        if (r != null) {
            r.complete(b);
        }
        return b;
    }

    HelperProgram helperHello(TokenKey token) {
        return pending.remove(token);
    }

    void brokerSpawnFailed(TokenKey token, int errno, int stage, String text) {
        HelperProgram p = pending.remove(token);
        if (p != null) {
            p.fail(new ProcessException("cannot start " + p.cmd.executable() + ": the broker could not fork a helper: "
                    + text + (errno != 0 ? " (errno " + errno + ")" : "")));
        }
    }

    /** The broker's connection ended or its process exited (IO thread). */
    void brokerGone(Broker b, Exception cause) {
        if (b == null || !b.markDead()) {
            return;
        }
        Conn c = b.conn();
        if (c != null) {
            c.close();
        }
        Process proc = b.process();
        if (proc != null) {
            proc.destroy();
        }
        CompletableFuture<Broker> r = brokerReady;
        if (r != null && !r.isDone()) {
            r.completeExceptionally(new ProcessException("the broker (pid " + b.pid() + ") exited"
                    + (proc == null || proc.isAlive() ? "" : " with status " + proc.exitValue())));
        }
        for (HelperProgram p : pending.values()) {
            if (p.spawnedBy(b) && pending.remove(p.token, p)) {
                p.fail(new ProcessException("the helper broker exited before the helper of " + p.cmd.executable()
                        + " connected"));
            }
        }
        for (HelperProgram p : byToken.values()) {
            if (p.spawnedBy(b)) {
                p.helperFateUnknown("its broker (pid " + b.pid() + ") is gone");
            }
        }
        if (closed) {
            return;
        }
        if (c == null) {
            if (up) { // one that never said HELLO at start-up is reported by start()
                LOG.error("corral: a new helper broker (pid {}) ended before it connected{}; the next program "
                        + "start tries again", b.pid(), brokerLog().isEmpty() ? "" : "; its output: " + brokerLog());
            }
            return;
        }
        Broker next;
        synchronized (brokerLock) {
            next = closed ? null : broker == b ? null : broker;
            if (!closed && next == null) {
                startBroker();
                next = broker;
            }
        }
        LOG.error("corral: the helper broker (pid {}) is gone{}; a new broker{} was started. Programs not yet "
                + "started failed; running ones are not affected (each helper has a connection of its own), but "
                + "without a cgroup the descendants of their helpers are no longer caught by a broker should a "
                + "helper die too", b.pid(), cause != null ? " (" + cause.getMessage() + ")" : "",
                next == null || next.isDead() ? " could not be" : " (pid " + next.pid() + ")");
    }

    /** A re-attach connection ended before HELLO: the helper is gone, its lease ended, or it refused us. */
    void attachRefused(HelperProgram p, Exception cause) {
        if (pending.remove(p.token, p)) {
            p.fail(new ProcessException("the helper (pid " + p.helperPid().orElse(-1) + ") of " + p.describe()
                    + " closed the re-attach connection without a word: it is gone, its lease ended, or it refused"
                    + " this JVM (another user, or a wrong secret)" + (cause != null ? " (" + cause.getMessage() + ")" : "")));
        }
    }

    void programDone(HelperProgram p) {
        live.remove(p);
        pending.remove(p.token, p);
    }

    // ---------------------------------------------------------------- closing

    @Override
    public void close() {
        synchronized (brokerLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        StopAll.stopAndAwait(live, RunningProgram::stop, p -> p.spec().grace(), CLOSE_MARGIN);
        CompletableFuture<Void> closedAll = new CompletableFuture<>();
        loop.execute(() -> {
            // a helper that did not end its program by now is not to be trusted with it: kill both
            for (HelperProgram p : new ArrayList<>(live)) {
                if (p.helperPid().isPresent()) {
                    killHelper(p);
                    p.lose("the engine was closed and the helper had not ended the program within its grace plus "
                            + CLOSE_MARGIN.toSeconds() + " s", false);
                }
            }
            Broker b = broker;
            if (b != null) {
                b.markDead();
            }
            for (Conn c : new ArrayList<>(conns)) {
                c.close();
            }
            try {
                server.close();
            } catch (IOException ignored) {
                // closing
            }
            for (HelperProgram p : new ArrayList<>(live)) {
                p.fail(new ProcessException("the Corral engine was closed"));
            }
            closedAll.complete(null);
        });
        try {
            closedAll.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("corral: IO thread did not close the connections in time");
        }
        loop.stop();
        Broker b = broker;
        Process proc = b == null ? null : b.process();
        if (proc != null) {
            try {
                if (!proc.waitFor(2, TimeUnit.SECONDS)) {
                    proc.destroyForcibly();
                    proc.waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                proc.destroyForcibly();
            }
        }
        try {
            loop.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delivery.shutdown(5000);
        RuntimeDir.delete(runtimeDir);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // JVM shutting down
        }
    }

    /** JVM exit without close(): hang up every connection (helpers tear down at once) and remove the directory. */
    private void jvmExit() {
        closed = true;
        loop.stop();
        try {
            loop.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RuntimeDir.delete(runtimeDir);
    }

    @Override
    public String toString() {
        return "HelperEngine[" + runtimeDir + "]";
    }
}
