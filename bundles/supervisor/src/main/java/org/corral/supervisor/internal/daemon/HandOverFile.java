package org.corral.supervisor.internal.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import org.corral.api.DaemonExit;
import org.corral.api.DaemonState;
import org.corral.api.Signal;
import org.corral.api.StreamKind;
import org.corral.supervisor.internal.engine.HandOff;
import org.corral.supervisor.internal.fs.PrivateFiles;

/**
 * The hand-over file: a Java properties file, mode 0600, in the supervisor bundle's data area (which survives
 * updates and refreshes of the bundle and is deleted with it). Written by the old version just before its
 * engine closes, read and deleted by the next version at activation.
 *
 * <pre>
 * format = 1
 * jvm = &lt;pid&gt; &lt;start time&gt;          the JVM that wrote it (a file of another JVM is not adopted)
 * written = &lt;ISO instant&gt;
 * daemon.count = N
 * daemon.&lt;i&gt;.name, .state, .restarts, .stdout.done, .stderr.done, .started, .fingerprint,
 *     .kill.signal, .grace.ms, .executable, .tail.stdout, .tail.stderr (hex),
 *     .exit.pid, .exit.code, .exit.signal, .exit.at, .exit.oom, .exit.requested, .exit.reason (since 1.1),
 *     .oom.path, .oom.kills, .recent.count, .recent.&lt;j&gt; = O|E &lt;epoch ms&gt; text
 * daemon.&lt;i&gt;.helper.pid, .pid, .token, .secret, .socket, .lease.ms, .stdout, .stderr, .cgroup.&lt;key&gt;
 *     (only when a program was handed over)
 * </pre>
 */
public final class HandOverFile {

    /** The file's name in the bundle data area. */
    public static final String NAME = "handover.properties";
    static final String FORMAT = "1";

    private HandOverFile() {
    }

    /** What was read: the writer's JVM and the daemons (entries that could not be read are in {@code errors}). */
    public record Contents(String jvm, Instant written, List<DaemonHandOver> daemons, List<String> errors) {
    }

    /** Writes {@code daemons} atomically (temporary file, then rename), readable by the owner only. */
    public static void write(Path file, String jvm, List<DaemonHandOver> daemons) throws IOException {
        Properties p = new Properties();
        p.setProperty("format", FORMAT);
        p.setProperty("jvm", jvm);
        p.setProperty("written", Instant.now().toString());
        p.setProperty("daemon.count", Integer.toString(daemons.size()));
        int i = 0;
        for (DaemonHandOver d : daemons) {
            put(p, "daemon." + i + ".", d);
            i++;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp); // unlink: a link there goes, never its target
        // O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600: never written through a link or into a file someone else made
        try (OutputStream out = Channels.newOutputStream(Files.newByteChannel(tmp, PrivateFiles.createNewNoFollow(),
                PrivateFiles.fileMode()))) {
            p.store(out, "Corral daemon hand-over (written by the supervisor for its next version; do not edit)");
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Reads the file, or empty when there is none. Never throws for a bad entry: it lands in the errors.
     *
     * @throws IOException the file is not a regular file of this JVM's user (a symbolic link, say: not followed)
     *     or cannot be read
     */
    public static Optional<Contents> read(Path file) throws IOException {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!a.isRegularFile()) {
            throw new IOException(file + " is not a regular file" + (a.isSymbolicLink() ? " but a symbolic link" : "")
                    + ": not read");
        }
        if (!a.owner().equals(PrivateFiles.self())) {
            throw new IOException(file + " belongs to " + a.owner().getName() + ", not to this JVM's user: not read");
        }
        Properties p = new Properties();
        try (InputStream in = Channels.newInputStream(Files.newByteChannel(file, Set.of(StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS)))) {
            p.load(in);
        }
        List<String> errors = new ArrayList<>();
        List<DaemonHandOver> daemons = new ArrayList<>();
        if (!FORMAT.equals(p.getProperty("format"))) {
            errors.add(file + ": format '" + p.getProperty("format") + "' is not " + FORMAT + ": ignored");
            return Optional.of(new Contents("", Instant.EPOCH, daemons, errors));
        }
        Instant written = Instant.EPOCH;
        try {
            written = Instant.parse(p.getProperty("written", ""));
        } catch (RuntimeException e) {
            errors.add(file + ": written = '" + p.getProperty("written") + "' is not an instant");
        }
        int n;
        try {
            n = Integer.parseInt(p.getProperty("daemon.count", "0"));
        } catch (NumberFormatException e) {
            errors.add(file + ": daemon.count = '" + p.getProperty("daemon.count") + "' is not a number");
            n = 0;
        }
        for (int i = 0; i < n; i++) {
            String prefix = "daemon." + i + ".";
            try {
                daemons.add(get(p, prefix));
            } catch (RuntimeException e) {
                errors.add(file + ": entry " + prefix + "*: " + e.getMessage() + ": that daemon is not taken over");
            }
        }
        return Optional.of(new Contents(p.getProperty("jvm", ""), written, daemons, errors));
    }

    // ------------------------------------------------------------------ one daemon

    private static void put(Properties p, String k, DaemonHandOver d) {
        p.setProperty(k + "name", d.name());
        p.setProperty(k + "state", d.state().name());
        p.setProperty(k + "restarts", Integer.toString(d.restarts()));
        p.setProperty(k + "stdout.done", Long.toString(d.doneStdout()));
        p.setProperty(k + "stderr.done", Long.toString(d.doneStderr()));
        if (d.startedAt() != null) {
            p.setProperty(k + "started", d.startedAt().toString());
        }
        p.setProperty(k + "fingerprint", d.fingerprint());
        p.setProperty(k + "kill.signal", Integer.toString(d.killSignal()));
        p.setProperty(k + "grace.ms", Long.toString(d.graceMs()));
        p.setProperty(k + "executable", d.executable());
        p.setProperty(k + "tail.stdout", HexFormat.of().formatHex(d.stdoutTail()));
        p.setProperty(k + "tail.stderr", HexFormat.of().formatHex(d.stderrTail()));
        DaemonExit x = d.lastExit();
        if (x != null) {
            p.setProperty(k + "exit.pid", Long.toString(x.pid()));
            p.setProperty(k + "exit.code", Integer.toString(x.exitCode()));
            x.signal().ifPresent(s -> p.setProperty(k + "exit.signal", Integer.toString(s.number())));
            p.setProperty(k + "exit.at", x.at().toString());
            p.setProperty(k + "exit.oom", Boolean.toString(x.oomKilled()));
            p.setProperty(k + "exit.requested", Boolean.toString(x.requested()));
            p.setProperty(k + "exit.reason", x.reason().name());
        }
        if (d.oomPath() != null) {
            p.setProperty(k + "oom.path", d.oomPath());
            p.setProperty(k + "oom.kills", Long.toString(d.oomKills()));
        }
        p.setProperty(k + "recent.count", Integer.toString(d.recent().size()));
        int j = 0;
        for (RecentLines.Line l : d.recent()) {
            p.setProperty(k + "recent." + j++, (l.stream() == StreamKind.STDERR ? "E " : "O ") + l.at().toEpochMilli()
                    + " " + l.text());
        }
        HandOff h = d.program();
        if (h != null) {
            p.setProperty(k + "helper.pid", Long.toString(h.helperPid()));
            p.setProperty(k + "pid", Long.toString(h.pid()));
            p.setProperty(k + "token", h.token());
            p.setProperty(k + "secret", h.secret());
            p.setProperty(k + "socket", h.socket().toString());
            p.setProperty(k + "lease.ms", Long.toString(h.leaseMs()));
            p.setProperty(k + "stdout", Long.toString(h.stdoutBytes()));
            p.setProperty(k + "stderr", Long.toString(h.stderrBytes()));
            h.cgroup().forEach((ck, cv) -> p.setProperty(k + "cgroup." + ck, cv));
        }
    }

    private static DaemonHandOver get(Properties p, String k) {
        String name = req(p, k + "name");
        DaemonState state;
        try {
            state = DaemonState.valueOf(req(p, k + "state"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(k + "state = '" + p.getProperty(k + "state") + "' is not a daemon state");
        }
        DaemonExit exit = null;
        if (p.getProperty(k + "exit.pid") != null) {
            String sig = p.getProperty(k + "exit.signal");
            exit = new DaemonExit(num(p, k + "exit.pid"), (int) num(p, k + "exit.code"),
                    sig == null ? Optional.empty() : Optional.of(Signal.of((int) num(p, k + "exit.signal"))),
                    instant(p, k + "exit.at"), Boolean.parseBoolean(p.getProperty(k + "exit.oom")),
                    Boolean.parseBoolean(p.getProperty(k + "exit.requested")));
            String reason = p.getProperty(k + "exit.reason");
            if (reason != null) { // written since 1.1; without it, the reason follows from the other fields
                try {
                    exit = new DaemonExit(exit.pid(), exit.exitCode(), exit.signal(), exit.at(), exit.oomKilled(),
                            exit.requested(), DaemonExit.Reason.valueOf(reason));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(k + "exit.reason = '" + reason + "' is not an exit reason");
                }
            }
        }
        List<RecentLines.Line> recent = new ArrayList<>();
        long lines = p.getProperty(k + "recent.count") == null ? 0 : num(p, k + "recent.count");
        for (int j = 0; j < lines; j++) {
            String v = p.getProperty(k + "recent." + j);
            if (v == null) {
                continue;
            }
            String[] f = v.split(" ", 3);
            if (f.length < 2) {
                continue;
            }
            try {
                recent.add(new RecentLines.Line(0, Instant.ofEpochMilli(Long.parseLong(f[1])),
                        "E".equals(f[0]) ? StreamKind.STDERR : StreamKind.STDOUT, f.length == 3 ? f[2] : ""));
            } catch (NumberFormatException e) {
                // a recent line is not worth refusing the daemon for
            }
        }
        HandOff h = null;
        if (p.getProperty(k + "pid") != null) {
            Map<String, String> cg = new LinkedHashMap<>();
            String cgPrefix = k + "cgroup.";
            for (String key : p.stringPropertyNames()) {
                if (key.startsWith(cgPrefix)) {
                    cg.put(key.substring(cgPrefix.length()), p.getProperty(key));
                }
            }
            String secret = req(p, k + "secret");
            String token = req(p, k + "token");
            hex(k + "secret", secret);
            hex(k + "token", token);
            Path socket = Path.of(req(p, k + "socket"));
            if (!socket.isAbsolute()) {
                throw new IllegalArgumentException(k + "socket = '" + socket + "' is not an absolute path");
            }
            h = new HandOff(num(p, k + "helper.pid"), num(p, k + "pid"), token, secret, socket, num(p, k + "lease.ms"),
                    num(p, k + "stdout"), num(p, k + "stderr"), cg);
        }
        int restarts = (int) num(p, k + "restarts");
        long stdoutDone = num(p, k + "stdout.done");
        long stderrDone = num(p, k + "stderr.done");
        Instant started = p.getProperty(k + "started") == null ? null : instant(p, k + "started");
        long oomKills = p.getProperty(k + "oom.kills") == null ? 0 : num(p, k + "oom.kills");
        return DaemonHandOver.of(name, state, req(p, k + "fingerprint"), (int) num(p, k + "kill.signal"),
                num(p, k + "grace.ms"), req(p, k + "executable"))
                .withCounters(restarts, stdoutDone, stderrDone)
                .withRun(started, exit)
                .withOom(p.getProperty(k + "oom.path"), oomKills)
                .withProgram(h, bytes(p, k + "tail.stdout"), bytes(p, k + "tail.stderr"))
                .withRecent(recent);
    }

    private static String req(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException(key + " is missing");
        }
        return v;
    }

    private static long num(Properties p, String key) {
        String v = req(p, key);
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " = '" + v + "' is not a number");
        }
    }

    private static Instant instant(Properties p, String key) {
        String v = req(p, key);
        try {
            return Instant.parse(v);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " = '" + v + "' is not an ISO-8601 instant");
        }
    }

    private static byte[] bytes(Properties p, String key) {
        String v = p.getProperty(key, "");
        try {
            return HexFormat.of().parseHex(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " = '" + v + "' is not hexadecimal");
        }
    }

    private static void hex(String key, String v) {
        if (v.length() != 32 || !v.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException(key + " = '" + v + "' is not 32 hex digits");
        }
    }
}
