package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.corral.api.CommandSpec;
import org.corral.api.OutputConsumer;
import org.corral.api.ProcessException;
import org.corral.supervisor.internal.protocol.FrameEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hand-over of running programs between two engines of the same JVM user (protocol version 2, DETACH
 * and ATTACH; docs/protocol.md "Detach and re-attach"): the detaching side asks each helper to listen on a
 * socket of its own in the hand-over directory, the successor connects there and re-attaches.
 */
final class HelperHandOver {

    private static final Logger LOG = LoggerFactory.getLogger(HelperHandOver.class);
    private static final SecureRandom SECRETS = new SecureRandom();

    private final HelperEngine engine;
    private final Object lock = new Object();
    private Path dir;

    HelperHandOver(HelperEngine engine) {
        this.engine = engine;
    }

    /**
     * The directory of this engine's detached helpers' sockets, created on first use:
     * {@code corral-<uid>-<random>-h} beside the runtime directory (mode 0700, with the same {@code owner} file,
     * so that the sweep of a later JVM removes it once this JVM is gone; {@link RuntimeDir#createHandOverDir}).
     * Not removed by the engine's close: the successor removes it after it re-attached ({@link #deleteDir}). The
     * one place that decides where the directory is and how it is made.
     */
    Path dir() throws IOException {
        synchronized (lock) {
            if (dir == null) {
                dir = RuntimeDir.createHandOverDir(engine.runtimeDir());
            }
            return dir;
        }
    }

    /** See {@link Engine#detach}. */
    CompletableFuture<HandOff> detach(HelperProgram p, Duration lease) {
        long leaseMs = Math.max(1, Math.min(Integer.MAX_VALUE, lease.toMillis()));
        CompletableFuture<HandOff> result = new CompletableFuture<>();
        if (p.isDone()) {
            result.complete(null);
            return result;
        }
        if (p.helperPid().isEmpty() || p.pid().isEmpty()) {
            result.completeExceptionally(new ProcessException("cannot hand " + p.describe() + " over: not started yet"));
            return result;
        }
        Path sock;
        try {
            sock = dir().resolve(p.helperPid().getAsLong() + ".sock");
        } catch (IOException e) {
            result.completeExceptionally(new ProcessException("cannot create the hand-over directory beside "
                    + engine.runtimeDir() + ": " + e.getMessage(), e));
            return result;
        }
        int len = sock.toString().getBytes(StandardCharsets.UTF_8).length;
        if (len > RuntimeDir.MAX_SOCKET_PATH) {
            result.completeExceptionally(new ProcessException("hand-over socket path " + sock + " is " + len
                    + " bytes, more than a Unix socket allows"));
            return result;
        }
        byte[] secret = new byte[16];
        SECRETS.nextBytes(secret);
        Map<String, String> cg = p.placement() == null ? Map.of() : engine.cgroups().persist(p.placement());
        HandOff request = new HandOff(p.helperPid().getAsLong(), p.pid().getAsLong(), p.token.hex(),
                HexFormat.of().formatHex(secret), sock, leaseMs, 0, 0, cg);
        engine.loop().execute(() -> p.detach(request, secret, result));
        return result;
    }

    /**
     * Removes a hand-over socket directory ({@link #dir()}) once the successor re-attached (what is left
     * there are sockets of helpers that were not taken over). Refuses anything else.
     */
    static void deleteDir(Path dir) {
        String n = dir.getFileName() == null ? "" : dir.getFileName().toString();
        if (!RuntimeDir.namePattern(CommandResolver.selfUid()).matcher(n).matches() || !n.endsWith("-h")) {
            LOG.warn("corral: not removing {}: not a hand-over directory of this user", dir);
            return;
        }
        RuntimeDir.delete(dir);
    }

    /** See {@link Engine#attach}. */
    RunningProgram attach(HandOff h, CommandSpec spec, OutputConsumer consumer, NotifySocket.Listener listener) {
        ResolvedCommand rc;
        try {
            rc = engine.resolver().resolve(spec);
        } catch (RuntimeException e) {
            // the program file may be gone meanwhile: the running program does not need it
            rc = new ResolvedCommand(spec, Path.of(spec.argv().get(0)), spec.argv(), Map.of(), null, -1, -1, null,
                    null, (int) Math.min(Integer.MAX_VALUE, spec.grace().toMillis()));
        }
        CgroupPlacement.Placement placement = null;
        if (!h.cgroup().isEmpty()) {
            try {
                placement = engine.cgroups().restore(h.cgroup());
            } catch (RuntimeException e) {
                LOG.warn("corral: the cgroup of the handed-over program {} (pid {}) is not taken over: {}",
                        rc.executable(), h.pid(), e.getMessage());
            }
        }
        byte[] secret = HexFormat.of().parseHex(h.secret());
        TokenKey key = TokenKey.of(HexFormat.of().parseHex(h.token()));
        HelperProgram p = new HelperProgram(engine, rc, key, consumer, placement,
                HelperEngine.effectiveWindow(spec, consumer), true, null);
        p.adopt(h);
        if (listener != null) {
            p.notifyListener(listener); // before the connection: datagrams that waited come right after ATTACHED
        }
        engine.register(p);
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(h.socket()));
            java.util.Optional<String> foreign = engine.peers().foreignUser(ch);
            if (foreign.isPresent()) {
                throw new IOException("the process listening there runs as user " + foreign.get() + ", not as "
                        + engine.peers().self() + " like every helper: refused before the attach secret was sent");
            }
            ByteBuffer frame = FrameEncoder.attach(secret, p.window());
            while (frame.hasRemaining()) {
                ch.write(frame);
            }
            ch.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // failed anyway
                }
            }
            engine.unpend(p);
            p.fail(new ProcessException("cannot re-attach to the helper (pid " + h.helperPid() + ") of "
                    + rc.executable() + " (pid " + h.pid() + ") at " + h.socket() + ": " + e.getMessage()
                    + " (its lease of " + h.leaseMs() + " ms may be over)", e));
            return p;
        }
        engine.adoptConnection(ch, p);
        return p;
    }
}
