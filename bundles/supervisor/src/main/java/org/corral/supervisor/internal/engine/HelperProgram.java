package org.corral.supervisor.internal.engine;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

import org.corral.api.OutputConsumer;
import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.api.StreamKind;
import org.corral.supervisor.internal.protocol.FrameEncoder;
import org.corral.supervisor.internal.protocol.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A program run by a helper. Frame callbacks come from one thread at a time (the IO thread, or its delivery
 * lane while its connection's buffer is lent); control calls come from any thread and are moved to the IO
 * thread.
 */
final class HelperProgram extends ProgramBase {

    private static final Logger LOG = LoggerFactory.getLogger(HelperProgram.class);

    private final HelperEngine engine;
    final TokenKey token;
    private final CgroupPlacement.Placement placement;
    private final int window;
    private final boolean stdinInline;
    /** Where its output is delivered (serial, taking turns with other programs). */
    private final Delivery.Lane lane;

    /** The broker the SPAWN went to (for failing it when that broker dies before the helper connected), or null. */
    private final Broker broker;
    private volatile Conn conn;
    private volatile long pid = -1;
    private volatile long helperPid = -1;
    private volatile int maxBuffered;

    // IO thread only
    private volatile boolean stopRequested;
    private int stopSignal;
    private int stopGraceMs = -1;
    private volatile Timers.Timer timeoutTimer;
    private volatile Timers.Timer stopDeadline;

    /**
     * How long after a stop's grace the helper may take to report the end (it drains the program's last
     * output first) before the JVM hangs up on it, which makes it kill everything at once and exit. Only a
     * helper whose output is not consumed (its consumer blocks) or that hangs gets there.
     */
    static final Duration STOP_DRAIN = Duration.ofSeconds(10);

    /** A DETACH in flight: completed by DETACHED (hand-off), EXIT (null) or a refusal/hang-up (exceptionally). */
    private volatile CompletableFuture<HandOff> detaching;
    private volatile HandOff detachRequest;
    /** Taken over from a previous supervisor version (ATTACH): nothing is sent on HELLO. */
    private volatile boolean adopted;
    /** The files of the STATS frame (final cgroup statistics read by the helper), or null. */
    private volatile java.util.Map<String, String> helperStats;
    /** Receives the program's sd_notify datagrams (NOTIFY frames), or null. */
    private volatile NotifySocket.Listener notifyListener;

    HelperProgram(HelperEngine engine, ResolvedCommand cmd, TokenKey token, OutputConsumer consumer,
            CgroupPlacement.Placement placement, int window, boolean stdinInline, Broker broker) {
        super(cmd, consumer);
        this.engine = engine;
        this.broker = broker;
        this.token = token;
        this.placement = placement;
        this.window = window;
        this.stdinInline = stdinInline;
        this.lane = engine.delivery().lane(cmd.executable().toString());
    }

    /** The serial lane its output (and its end) is delivered on. */
    Delivery.Lane lane() {
        return lane;
    }

    /** Whether the SPAWN of this program went to {@code b}. */
    boolean spawnedBy(Broker b) {
        return broker == b;
    }

    HelperEngine engine() {
        return engine;
    }

    CgroupPlacement.Placement placement() {
        return placement;
    }

    boolean stdinInline() {
        return stdinInline;
    }

    int window() {
        return window;
    }

    int readBufferSize() {
        return Math.min(window, Protocol.DATA_MAX) + 4096;
    }

    /** The largest number of output bytes this program's connection held at once (for tests). */
    int maxBuffered() {
        return maxBuffered;
    }

    void noteBuffered(int n) {
        if (n > maxBuffered) {
            maxBuffered = n;
        }
    }

    void notifyListener(NotifySocket.Listener l) {
        notifyListener = l;
    }

    /** A NOTIFY frame: a datagram of the program's sd_notify socket. */
    void notifyFrame(long senderPid, byte[] message) {
        NotifySocket.Listener l = notifyListener;
        if (l == null) {
            LOG.debug("corral: sd_notify datagram from pid {} of {} dropped: nobody listens", senderPid, describe());
            return;
        }
        try {
            l.datagram(senderPid, message);
        } catch (RuntimeException e) {
            LOG.warn("corral: the sd_notify listener of {} failed", describe(), e);
        }
    }

    void armTimeout() {
        cmd.spec().timeout().ifPresent(t -> timeoutTimer = engine.loop().schedule(t, () -> {
            if (!isDone()) {
                markTimedOut();
                requestStop(cmd.spec().killSignal().number(), cmd.graceMs());
            }
        }));
    }

    // ---------------------------------------------------------------- RunningProgram

    @Override
    public void signal(Signal signal) {
        sendSignal(Protocol.SIGTARGET_PROGRAM, signal);
    }

    @Override
    public void signalGroup(Signal signal) {
        sendSignal(Protocol.SIGTARGET_GROUP, signal);
    }

    private void sendSignal(int target, Signal signal) {
        engine.loop().execute(() -> {
            Conn c = conn;
            if (!isDone() && c != null) {
                c.send(FrameEncoder.signal(ByteBuffer.allocate(FrameEncoder.SIGNAL_SIZE), target,
                        signal.number()).flip());
            }
        });
    }

    @Override
    public CompletableFuture<ProcessResult> stop(Signal signal, Duration grace) {
        int g = (int) Math.min(Math.max(0, grace.toMillis()), Integer.MAX_VALUE);
        engine.loop().execute(() -> requestStop(signal.number(), g));
        return completion();
    }

    /** IO thread. */
    void requestStop(int signo, int graceMs) {
        if (isDone()) {
            return;
        }
        boolean again = stopRequested;
        if (again && graceMs >= stopGraceMs && signo != Signal.KILL.number()) {
            return;
        }
        stopRequested = true;
        stopSignal = signo;
        stopGraceMs = graceMs;
        Conn c = conn;
        if (c != null) {
            c.send(FrameEncoder.stop(ByteBuffer.allocate(FrameEncoder.STOP_SIZE), signo, graceMs).flip());
        }
        Timers.Timer previous = stopDeadline;
        if (previous != null) {
            previous.cancel();
        }
        stopDeadline = engine.loop().schedule(Duration.ofMillis(graceMs).plus(STOP_DRAIN), this::stopOverdue);
    }

    /**
     * The stop's deadline passed without the end (IO thread; no delivery work can delay it): hang up, so that
     * the helper kills the program's whole tree at once and exits, and end the program here.
     */
    private void stopOverdue() {
        if (isDone()) {
            return;
        }
        String why = "no end reported within the grace plus " + STOP_DRAIN.toSeconds() + " s after the stop"
                + " (its output was not consumed, or the helper hangs); hung up on the helper, which kills"
                + " everything at once";
        LOG.warn("corral: {}: {}", describe(), why);
        fail(new ProcessException(describe() + ": " + why));
        Conn c = conn;
        if (c != null) {
            c.hangUpNow(new ProcessException(why));
        }
    }

    @Override
    public OptionalLong helperPid() {
        long p = helperPid;
        return p > 0 ? OptionalLong.of(p) : OptionalLong.empty();
    }

    @Override
    public OptionalLong pid() {
        long p = pid;
        return p > 0 ? OptionalLong.of(p) : OptionalLong.empty();
    }

    @Override
    public Optional<String> cgroupPath() {
        return placement == null ? Optional.empty() : Optional.of(placement.relativePath());
    }

    @Override
    public Optional<String> limitsCgroupPath() {
        return placement == null ? Optional.empty() : Optional.of(engine.cgroups().limitsPath(placement));
    }

    // ---------------------------------------------------------------- hand-over (protocol version 2)

    /** Marks this program as taken over from a previous supervisor version (before its connection exists). */
    void adopt(HandOff h) {
        adopted = true;
        helperPid = h.helperPid();
        pid = h.pid();
        setCounts(h.stdoutBytes(), h.stderrBytes());
    }

    boolean isAdopted() {
        return adopted;
    }

    /** Sends DETACH (IO thread); {@code result} completes as described at {@link #detaching}. */
    void detach(HandOff request, byte[] secret, CompletableFuture<HandOff> result) {
        Conn c = conn;
        if (isDone()) {
            result.complete(null);
            return;
        }
        if (c == null || pid <= 0 || detaching != null || stopRequested) {
            result.completeExceptionally(new ProcessException("cannot hand " + describe() + " over: "
                    + (c == null || pid <= 0 ? "not started yet" : stopRequested ? "it is being stopped"
                    : "a hand-over is already in progress")));
            return;
        }
        detachRequest = request;
        detaching = result;
        byte[] path = request.socket().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        c.send(FrameEncoder.detach((int) Math.min(Integer.MAX_VALUE, request.leaseMs()), secret, path));
    }

    /** DETACHED: the helper keeps the program running without us (processing thread). */
    void detachedFrame(long out, long err) {
        CompletableFuture<HandOff> d = detaching;
        HandOff req = detachRequest;
        if (d == null || !end()) {
            return;
        }
        finish();
        if (placement != null) {
            engine.cgroups().handedOver(placement);
        }
        HandOff h = new HandOff(helperPid, pid, req.token(), req.secret(), req.socket(), req.leaseMs(), out, err,
                req.cgroup());
        d.complete(h);
        completion().completeExceptionally(new ProcessException(describe()
                + " was handed over to the next supervisor version"));
    }

    /** MESSAGE(error) "DETACH refused: ...": the session goes on (processing thread). */
    void detachRefused(String text) {
        CompletableFuture<HandOff> d = detaching;
        detaching = null;
        detachRequest = null;
        if (d != null) {
            d.completeExceptionally(new ProcessException("the helper of " + describe() + " refused the hand-over: "
                    + text));
        }
    }

    /** ATTACHED after HELLO on a re-attach connection (processing thread). */
    void attachedFrame(long p, boolean exited, long out, long err) {
        this.pid = p;
        setCounts(out, err);
        started().complete(p);
    }

    // ---------------------------------------------------------------- from the connection

    /** HELLO matched (processing thread = IO thread). */
    void attached(Conn c, long helper) {
        this.helperPid = helper;
        this.conn = c;
        if (adopted) {
            if (stopRequested) {
                c.send(FrameEncoder.stop(ByteBuffer.allocate(FrameEncoder.STOP_SIZE), stopSignal, stopGraceMs).flip());
            }
            return;
        }
        byte[] stdin = engine.stdinBytes(this);
        if (stdin != null) {
            int at = 0;
            while (at < stdin.length) {
                int n = Math.min(HelperEngine.STDIN_INLINE_MAX, stdin.length - at);
                ByteBuffer hdr = FrameEncoder.stdinHeader(ByteBuffer.allocate(FrameEncoder.STDIN_HDR_SIZE), n).flip();
                c.send(hdr, ByteBuffer.wrap(stdin, at, n));
                at += n;
            }
            c.send(FrameEncoder.stdinEof(ByteBuffer.allocate(FrameEncoder.STDIN_EOF_SIZE)).flip());
        }
        if (stopRequested) {
            c.send(FrameEncoder.stop(ByteBuffer.allocate(FrameEncoder.STOP_SIZE), stopSignal, stopGraceMs).flip());
        }
    }

    void spawned(long p) {
        this.pid = p;
        started().complete(p);
    }

    void spawnFailed(int errno, int stage, String text) {
        fail(new ProcessException("cannot start " + cmd.executable() + ": " + text + " (at " + Protocol.stageName(stage)
                + (errno != 0 ? ", errno " + errno : "") + ")"));
    }

    void data(int stream, ByteBuffer buf, int offset, int length, ByteBuffer view) {
        output(stream == Protocol.STREAM_STDOUT ? StreamKind.STDOUT : StreamKind.STDERR, buf, offset, length, view);
    }

    void eof(int stream) {
        // nothing to do: EXIT follows after both EOFs
    }

    /** STATS: the helper read the final statistics of the placement's cgroup; EXIT follows (processing thread). */
    void statsFrame(java.util.Map<String, String> files) {
        helperStats = files;
    }

    /** EXIT (processing thread). */
    void exited(int kind, int value, int flags) {
        if (!end()) {
            return;
        }
        finish();
        if ((flags & Protocol.EXITF_CGROUP_NOT_REMOVED) != 0 && placement != null) {
            LOG.warn("helper could not remove the cgroup {} of {}", placement.relativePath(), describe());
        }
        boolean killed = (flags & Protocol.EXITF_SIGNALED_BY_HELPER) != 0
                || (stopRequested && kind == Protocol.EXIT_SIGNALED); // set before the STOP frame went out
        ProcessResult.Builder b = result(pid, kind == Protocol.EXIT_SIGNALED, value, killed);
        if (!started().isDone()) {
            started().complete(pid);
        }
        CompletableFuture<HandOff> d = detaching;
        if (d != null) {
            d.complete(null); // ended before the helper read the DETACH: nothing to hand over
        }
        java.util.Map<String, String> stats = helperStats;
        boolean removed = (flags & Protocol.EXITF_CGROUP_NOT_REMOVED) == 0;
        if (placement == null) {
            completion().complete(b.build());
        } else if (stats != null && removed) {
            completeWithHelperStats(b, stats, true); // parsing only, no file IO: on this thread (IO thread or lane)
        } else if (stats != null) {
            // the helper could not remove a directory: removing it is file IO, not for the IO thread
            if (!engine.loop().inLoop()) {
                completeWithHelperStats(b, stats, false);
            } else {
                lane.execute(() -> completeWithHelperStats(b, stats, false));
            }
        } else if (!engine.loop().inLoop()) {
            completeWithStats(b); // on its lane, after its last output
        } else {
            // reading the cgroup's files and removing it is file IO: not on the IO thread (a lane never refuses)
            lane.execute(() -> completeWithStats(b));
        }
    }

    /** Adds the final cgroup statistics the helper sent and completes the result. */
    private void completeWithHelperStats(ProcessResult.Builder b, java.util.Map<String, String> stats, boolean removed) {
        try {
            engine.cgroups().finalStats(placement, stats, removed).ifPresent(b::cgroupStats);
        } catch (RuntimeException e) {
            LOG.warn("could not use the final cgroup statistics of {} (cgroup {})", describe(),
                    placement.relativePath(), e);
        }
        completion().complete(b.build());
    }

    /** Adds the final cgroup statistics (read after the helper's teardown) and completes the result. */
    private void completeWithStats(ProcessResult.Builder b) {
        try {
            engine.cgroups().finalStats(placement).ifPresent(b::cgroupStats);
        } catch (RuntimeException e) {
            LOG.warn("could not read the final cgroup statistics of {} (cgroup {})", describe(),
                    placement.relativePath(), e);
        }
        completion().complete(b.build());
    }

    /** The helper's connection ended (IO thread). */
    void helperGone(Exception cause) {
        if (isDone()) {
            return;
        }
        String msg = "the helper" + (helperPid > 0 ? " (pid " + helperPid + ")" : "") + " of " + describe()
                + " ended without reporting the program's exit"
                + (cause != null ? " (" + cause.getMessage() + ")" : "")
                + "; it tears its program down when its connection ends";
        fail(new ProcessException(msg));
    }

    /** Fails the program (any thread; the first terminal transition wins). */
    void fail(ProcessException e) {
        if (!end()) {
            return;
        }
        finish();
        CompletableFuture<HandOff> d = detaching;
        if (d != null) {
            d.completeExceptionally(e);
        }
        if (placement != null) {
            try {
                if (pid <= 0) {
                    engine.cgroups().discard(placement);
                } else {
                    engine.cgroups().abandon(placement);
                }
            } catch (RuntimeException ex) {
                LOG.warn("could not discard cgroup {}", placement.relativePath(), ex);
            }
        }
        started().completeExceptionally(e);
        completion().completeExceptionally(e);
    }

    /** Clean-up of the terminal transition (once, by its taker). */
    private void finish() {
        engine.programDone(this);
        Timers.Timer t = timeoutTimer;
        if (t != null) {
            t.cancel();
        }
        Timers.Timer d = stopDeadline;
        if (d != null) {
            d.cancel();
        }
    }
}
