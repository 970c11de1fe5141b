package org.corral.supervisor.internal.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.corral.api.CommandSpec;
import org.corral.api.Signal;
import org.corral.supervisor.internal.engine.Engine;
import org.corral.supervisor.internal.engine.HandOff;
import org.corral.supervisor.internal.engine.HelperEngine;
import org.corral.supervisor.internal.engine.RunningProgram;
import org.corral.supervisor.internal.engine.Timers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries daemons from one version of the supervisor bundle to the next (promise 5: daemons survive updates
 * of Corral's own bundles). One per activation of the supervisor's core.
 *
 * <p><b>Outgoing</b> (the old version, bundle stopping while the framework runs): each daemon component hands
 * its daemon over ({@link #handingOver}); the core then waits for the detaches and writes the
 * {@link HandOverFile} before closing its engine ({@link #writeOutgoing}).
 *
 * <p><b>Incoming</b> (the new version, at activation): {@link #loadIncoming} reads and deletes the file; each
 * daemon component {@link #claim claims} its daemon by name and re-attaches. A daemon nobody claims within the
 * claim window (its configuration was deleted, renamed or disabled meanwhile) is re-attached and stopped. A
 * file written by another JVM (this one was killed while daemons were detached, and restarted within the
 * lease) is not adopted: its programs are stopped at once rather than left running until their lease ends.
 */
public final class HandOverStore {

    private static final Logger LOG = LoggerFactory.getLogger(HandOverStore.class);

    /** Framework (or system) property: how long detached helpers wait for the next version, in ms. */
    public static final String LEASE_PROPERTY = "org.corral.handover.lease.ms";
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(20);

    private final Engine engine;
    private final Path file;
    private final Duration lease;
    private final List<CompletableFuture<DaemonHandOver>> outgoing = new ArrayList<>();
    private final Map<String, DaemonHandOver> incoming = new LinkedHashMap<>();
    private final Set<Path> socketDirs = new HashSet<>();
    private Timers.Timer claimTimer;
    private boolean closed;

    public HandOverStore(Engine engine, Path file, Duration lease) {
        this.engine = engine;
        this.file = file;
        this.lease = lease;
    }

    /** Parses the lease property ({@code null}: the default). */
    public static Duration lease(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_LEASE;
        }
        try {
            long ms = Long.parseLong(value.trim());
            if (ms >= 100 && ms <= Integer.MAX_VALUE) {
                return Duration.ofMillis(ms);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        LOG.error("{} = '{}' is not a number of milliseconds in 100..{}: using {} ms", LEASE_PROPERTY, value,
                Integer.MAX_VALUE, DEFAULT_LEASE.toMillis());
        return DEFAULT_LEASE;
    }

    public Duration lease() {
        return lease;
    }

    /** Whether daemons can be handed over at all (the Java fallback engine cannot). */
    public boolean supported() {
        return engine.supportsHandOver();
    }

    // ------------------------------------------------------------------ outgoing

    /** Records a daemon being handed over (its detach may still be in flight). */
    public synchronized void handingOver(CompletableFuture<DaemonHandOver> f) {
        outgoing.add(f);
    }

    public synchronized boolean hasOutgoing() {
        return !outgoing.isEmpty();
    }

    /**
     * Waits (at most {@code maxWait} in all) for the detaches and writes the file. A daemon whose detach did
     * not finish in time is left to its lease.
     *
     * @return how many daemons were written
     */
    public int writeOutgoing(String jvm, Duration maxWait) {
        List<CompletableFuture<DaemonHandOver>> all;
        synchronized (this) {
            all = new ArrayList<>(outgoing);
            outgoing.clear();
        }
        long deadline = System.nanoTime() + maxWait.toNanos();
        List<DaemonHandOver> done = new ArrayList<>();
        for (CompletableFuture<DaemonHandOver> f : all) {
            try {
                DaemonHandOver d = f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (d != null) {
                    done.add(d);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException e) {
                LOG.error("Corral: a daemon could not be handed over ({}); its program ends with its lease", e.toString());
            }
        }
        if (done.isEmpty()) {
            return 0;
        }
        try {
            HandOverFile.write(file, jvm, done);
        } catch (IOException e) {
            LOG.error("Corral: cannot write the hand-over file {}: {}; the {} detached daemon(s) end with their lease"
                    + " ({} ms) and the next version starts them anew", file, e.getMessage(), done.size(),
                    lease.toMillis());
            return 0;
        }
        LOG.info("Corral: {} daemon(s) handed over to the next supervisor version ({}; lease {} ms)", done.size(),
                file, lease.toMillis());
        return done.size();
    }

    // ------------------------------------------------------------------ incoming

    /**
     * Reads and deletes the hand-over file, if any. Daemons of this JVM wait to be {@link #claim claimed}
     * for {@code claimWindow}; the rest is stopped.
     */
    public void loadIncoming(String jvm, Duration claimWindow) {
        Optional<HandOverFile.Contents> read;
        try {
            read = HandOverFile.read(file);
        } catch (IOException e) {
            LOG.error("Corral: cannot read the hand-over file {}: {}; detached daemons end with their lease", file,
                    e.getMessage());
            deleteFile();
            return;
        } catch (RuntimeException e) {
            LOG.error("Corral: the hand-over file {} is broken: {}; detached daemons end with their lease", file,
                    e.toString());
            deleteFile();
            return;
        }
        deleteFile();
        if (read.isEmpty()) {
            return;
        }
        HandOverFile.Contents c = read.get();
        c.errors().forEach(err -> LOG.error("Corral: {}", err));
        boolean ours = jvm.equals(c.jvm());
        List<DaemonHandOver> foreign = new ArrayList<>();
        synchronized (this) {
            for (DaemonHandOver d : c.daemons()) {
                d.handOff().ifPresent(h -> socketDirs.add(h.socket().getParent()));
                if (ours) {
                    incoming.put(d.name(), d);
                } else {
                    foreign.add(d);
                }
            }
            if (!incoming.isEmpty()) {
                LOG.info("Corral: {} daemon(s) to take over from the previous supervisor version: {}", incoming.size(),
                        String.join(", ", incoming.keySet()));
                claimTimer = engine.timers().schedule(claimWindow,
                        () -> engine.deliverExecutor().execute(this::claimWindowOver));
            }
        }
        for (DaemonHandOver d : foreign) {
            LOG.warn("Corral: the hand-over file {} was written by another JVM ({}, now {}): stopping daemon '{}'"
                    + " rather than adopting it", file, c.jvm(), jvm, d.name());
            stopUnclaimed(d, "left by a JVM that is gone");
        }
        removeSocketDirsIfDone();
    }

    /** The hand-over of daemon {@code name}, once: the caller re-attaches it ({@link SupervisedDaemon#adopt}). */
    public Optional<DaemonHandOver> claim(String name) {
        Optional<DaemonHandOver> d;
        synchronized (this) {
            d = Optional.ofNullable(incoming.remove(name));
        }
        return d; // the socket directories go when the claim window is over (the caller connects first)
    }

    /** A claimed hand-over its claimer cannot use: the program is re-attached and stopped. */
    public void release(DaemonHandOver d, String why) {
        stopUnclaimed(d, why);
    }

    /** Names still waiting to be claimed. */
    public synchronized Set<String> unclaimed() {
        return new HashSet<>(incoming.keySet());
    }

    private void claimWindowOver() {
        List<DaemonHandOver> left;
        synchronized (this) {
            claimTimer = null;
            left = new ArrayList<>(incoming.values());
            incoming.clear();
        }
        for (DaemonHandOver d : left) {
            stopUnclaimed(d, "its configuration is gone (deleted, renamed, disabled or invalid) since the supervisor"
                    + " was updated");
        }
        removeSocketDirsIfDone();
    }

    /** Re-attaches a program nobody claims and stops it (its kill signal, grace, SIGKILL). */
    private void stopUnclaimed(DaemonHandOver d, String why) {
        Logger log = LoggerFactory.getLogger(SupervisedDaemon.LOGGER_PREFIX + d.name());
        HandOff h = d.program();
        if (h == null) {
            log.info("not taken over: {}", why);
            return;
        }
        CommandSpec spec = CommandSpec.builder(d.executable())
                .killSignal(d.killSignal() > 0 ? Signal.of(d.killSignal()) : Signal.TERM)
                .grace(Duration.ofMillis(d.graceMs())).build();
        try {
            RunningProgram p = engine.attach(h, spec, null);
            log.info("stopping pid {} (helper {}): {}", h.pid(), h.helperPid(), why);
            p.stop();
            p.completion().whenComplete((r, x) -> {
                if (x != null) {
                    log.warn("could not stop pid {} through its helper ({}); it ends with its lease", h.pid(), x.getMessage());
                } else {
                    log.info("stopped ({})", r.signal().map(s -> "killed by " + s).orElse("exited with code " + r.exitCode()));
                }
            });
        } catch (RuntimeException e) {
            log.warn("cannot re-attach pid {} to stop it ({}); it ends with its lease", h.pid(), e.getMessage());
        }
    }

    /** Stops whatever is still unclaimed (the new version is deactivated before it claimed everything). */
    public void close() {
        List<DaemonHandOver> left;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (claimTimer != null) {
                claimTimer.cancel();
                claimTimer = null;
            }
            left = new ArrayList<>(incoming.values());
            incoming.clear();
        }
        for (DaemonHandOver d : left) {
            stopUnclaimed(d, "the supervisor was stopped before its configuration claimed it");
        }
        removeSocketDirsIfDone();
    }

    private void removeSocketDirsIfDone() {
        List<Path> dirs;
        synchronized (this) {
            if (!incoming.isEmpty() || claimTimer != null) {
                return;
            }
            dirs = new ArrayList<>(socketDirs);
            socketDirs.clear();
        }
        for (Path d : dirs) {
            HelperEngine.deleteHandOverDir(d);
        }
    }

    private void deleteFile() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("Corral: cannot delete the hand-over file {}: {}", file, e.getMessage());
        }
    }

    /** "pid starttime" of this JVM, as written in the hand-over file. */
    public static String thisJvm() {
        long pid = ProcessHandle.current().pid();
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return pid + " " + f[19];
        } catch (IOException | RuntimeException e) {
            return pid + " ?";
        }
    }
}
