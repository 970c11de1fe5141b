package org.corral.supervisor.internal.engine;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

import org.corral.api.CgroupStats;
import org.corral.api.HelperLostException;
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

    // helper loss (protocol version 3)
    /** The helper's protocol version (from its HELLO). */
    private volatile int helperVersion;
    /** The helper as a process (from its HELLO pid and start time): killed when it stops answering. */
    private volatile ProcessHandle helperProcess;
    /** The helper acknowledged a STOP (STOPPING). IO thread. */
    private boolean stopAcked;
    /** Checks that a helper asked to stop goes on answering. IO thread. */
    private Timers.Timer watchdog;
    /** How the helper ended, as the broker reported it ("died: SIGKILL"), or null when that is not known. */
    private final CompletableFuture<String> helperFate = new CompletableFuture<>();
    /** Why the helper's fate is unknown, when it is. */
    private volatile String fateUnknown;

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
            watchStop();
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
        Conn quiet = conn;
        if (quiet != null && !quiet.readPaused()
                && System.nanoTime() - quiet.lastReadNanos() >= engine.answerTimeout().toNanos()) {
            // not a consumer that holds the output: the helper itself fell silent. It is lost, and killed
            // with its program's tree (a hang-up would not reach a stopped helper)
            LOG.error("corral: the helper (pid {}) of {} fell silent after a stop; killing it and its program's tree",
                    helperPid, describe());
            engine.killHelper(this);
            lose("it fell silent after a stop and sent no exit within the grace plus " + STOP_DRAIN.toSeconds()
                    + " s, so Corral killed it", true);
            quiet.hangUpNow(new ProcessException("the helper fell silent after a stop"));
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
    void attached(Conn c, long helper, int version) {
        this.helperPid = helper;
        this.helperVersion = version;
        this.helperProcess = ProcessHandle.of(helper).orElse(null);
        this.conn = c;
        if (adopted) {
            if (stopRequested) {
                c.send(FrameEncoder.stop(ByteBuffer.allocate(FrameEncoder.STOP_SIZE), stopSignal, stopGraceMs).flip());
                watchStop();
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
            watchStop();
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

    // ---------------------------------------------------------------- helper loss (issue 10)

    /**
     * A STOP went out (IO thread): the helper must acknowledge it (STOPPING) within the answer timeout and
     * then end the program within its grace plus the teardown's own bound; a helper that falls silent
     * meanwhile (stopped, hung) is lost. A helper older than protocol version 3 acknowledges nothing: it is
     * given the whole bound at once.
     */
    private void watchStop() {
        if (isDone()) {
            return;
        }
        if (helperVersion >= Protocol.VERSION_STOPPING && !stopAcked) {
            if (watchdog == null) {
                armWatchdog(engine.answerTimeout());
            }
            return;
        }
        armWatchdog(teardownBound(stopGraceMs));
    }

    /** The longest a helper may stay silent after it acknowledged a STOP with {@code graceMs}. */
    private Duration teardownBound(long graceMs) {
        return Duration.ofMillis(Math.max(0, graceMs)).plus(HelperEngine.TEARDOWN_GIVE_UP).plus(engine.answerTimeout());
    }

    private void armWatchdog(Duration d) {
        if (watchdog != null) {
            watchdog.cancel();
        }
        watchdog = engine.loop().schedule(d, this::watchdogFired);
    }

    /** STOPPING: the helper read a STOP and tears down with this signal and grace (processing thread). */
    void stopping(int signo, long graceMs) {
        engine.loop().execute(() -> {
            stopAcked = true;
            if (!isDone()) {
                armWatchdog(teardownBound(graceMs));
            }
        });
    }

    /** IO thread. */
    private void watchdogFired() {
        watchdog = null;
        Conn c = conn;
        if (isDone() || c == null || c.isClosed()) {
            return;
        }
        long quiet = System.nanoTime() - c.lastReadNanos();
        Duration answer = engine.answerTimeout();
        if (c.readPaused() || quiet < answer.toNanos()) {
            // the JVM itself is behind (a slow consumer), or the helper spoke lately: look again later
            armWatchdog(answer);
            return;
        }
        String why = stopAcked
                ? "it acknowledged a STOP but fell silent without ending the program within the grace ("
                    + stopGraceMs + " ms) plus " + HelperEngine.TEARDOWN_GIVE_UP.toSeconds() + " s"
                : "it did not acknowledge a STOP within " + answer.toMillis() + " ms";
        LOG.error("corral: the helper (pid {}) of {} stopped answering: {}; killing it and its program's tree",
                helperPid, describe(), why);
        engine.killHelper(this);
        lose("it stopped answering (" + why + "), so Corral killed it", true);
    }

    /** The helper's connection ended without EXIT or DETACHED (IO thread). */
    void helperGone(Exception cause) {
        lose(cause == null ? null : "its connection ended after: " + cause.getMessage(), true);
    }

    /** The broker reported how the helper ended (any thread). */
    void helperEnded(int kind, int value) {
        String fate;
        if (kind == Protocol.EXIT_SIGNALED) {
            String name;
            try {
                name = "SIG" + Signal.of(value).name();
            } catch (IllegalArgumentException e) {
                name = "signal " + value;
            }
            fate = "died: " + name;
        } else {
            fate = "exited with status " + value;
        }
        helperFate.complete(fate);
    }

    /** How the helper ended cannot be learnt any more ({@code why}); any thread. */
    void helperFateUnknown(String why) {
        if (!helperFate.isDone()) {
            fateUnknown = why;
            helperFate.complete(null);
        }
    }

    /** Whether this program's helper was forked by a broker of this engine that can still report its end. */
    Broker liveBroker() {
        Broker b = broker;
        return b != null && !b.isDead() && !adopted ? b : null;
    }

    /** The helper as a process (for killing it when no broker can), or null. */
    ProcessHandle helperProcess() {
        return helperProcess;
    }

    /**
     * The helper is lost (its connection ended without an exit report, or it stopped answering): the end of
     * the run. Kills the program's cgroup at once, waits until it is empty and removes it (off the IO
     * thread), learns from the broker how the helper ended, and fails the run with a
     * {@link HelperLostException} naming both. Without a cgroup, PR_SET_PDEATHSIG kills the program and the
     * broker (the helpers' subreaper) the descendants that reparent to it.
     *
     * @param detail what happened, beyond the helper's fate, or null
     * @param waitForFate whether to wait (bounded) for the broker's report of the helper's end
     */
    void lose(String detail, boolean waitForFate) {
        if (!end()) {
            return;
        }
        finish();
        if (liveBroker() == null) {
            helperFateUnknown(adopted ? "it was taken over from an earlier supervisor version, whose broker was its parent"
                    : "its broker is gone");
        } else if (!waitForFate) {
            helperFateUnknown("the engine is closing");
        } else if (!helperFate.isDone()) {
            engine.loop().schedule(HelperEngine.FATE_WAIT, () -> helperFateUnknown("the broker did not report it within "
                    + HelperEngine.FATE_WAIT.toMillis() + " ms"));
        }
        String cgroupName = placement == null ? null : engine.cgroups().limitsPath(placement);
        CompletableFuture<Optional<CgroupStats>> killed = new CompletableFuture<>();
        if (placement == null) {
            killed.complete(Optional.empty());
        } else {
            // file IO and waits: not on the IO thread (a lane never refuses). The kill comes at once; the final
            // statistics and the removal only once the helper is known to be gone (or nothing more can be learnt
            // about it): a helper that is still alive may be reading them and removing the cgroups itself
            lane.execute(() -> {
                try {
                    engine.cgroups().killNow(placement);
                } catch (RuntimeException e) {
                    try {
                        engine.cgroups().abandon(placement); // kept for close() and the sweep
                    } catch (RuntimeException ignored) {
                        // the kill's failure is what is reported
                    }
                    killed.completeExceptionally(new ProcessException("killing it failed: " + e.getMessage(), e));
                    return;
                }
                helperFate.whenComplete((fate, x) -> lane.execute(() -> {
                    try {
                        killed.complete(engine.cgroups().releaseLost(placement, helperStats));
                    } catch (RuntimeException e) {
                        killed.completeExceptionally(new ProcessException("it was killed, but removing it failed: "
                                + e.getMessage(), e));
                    }
                }));
            });
        }
        killed.handle((stats, err) -> err).thenCombine(helperFate, (err, fate) -> {
            lost(detail, fate, cgroupName, err,
                    killed.isCompletedExceptionally() ? Optional.<CgroupStats>empty() : killed.join());
            return null;
        });
    }

    private void lost(String detail, String fate, String cgroupName, Throwable cgroupError,
            Optional<CgroupStats> stats) {
        StringBuilder m = new StringBuilder("helper pid ").append(helperPid > 0 ? helperPid : -1).append(' ');
        m.append(fate != null ? fate : "ended; how is unknown (" + fateUnknown + ")");
        if (detail != null) {
            m.append(" (").append(detail).append(')');
        }
        m.append("; it did not report the exit of ").append(describe());
        if (placement == null) {
            m.append(", whose descendants were killed as far as possible without a cgroup");
        } else if (cgroupError == null) {
            m.append("; its cgroup ").append(cgroupName).append(" was killed and removed");
        } else {
            Throwable c = cgroupError instanceof java.util.concurrent.CompletionException && cgroupError.getCause() != null
                    ? cgroupError.getCause() : cgroupError;
            m.append("; its cgroup ").append(cgroupName).append(": ").append(c.getMessage());
        }
        HelperLostException e = new HelperLostException(m.toString(), helperPid > 0 ? helperPid : -1,
                pid > 0 ? pid : -1, stats.orElse(null));
        LOG.warn("corral: {}", e.getMessage());
        CompletableFuture<HandOff> d = detaching;
        if (d != null) {
            d.completeExceptionally(e);
        }
        started().completeExceptionally(e);
        completion().completeExceptionally(e);
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
        engine.loop().execute(() -> {
            if (watchdog != null) {
                watchdog.cancel();
                watchdog = null;
            }
        });
    }
}
