package org.corral.itests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The project's distribution unpacked under target/it and run as an operator runs it
 * ({@code bin/karaf server}, {@code bin/stop}), outside Pax Exam. {@code KARAF_EXEC=exec} makes the
 * script exec the JVM, so {@link #process()} is the Karaf JVM itself and {@code destroyForcibly()} is a
 * {@code kill -9} of it.
 */
public final class KarafProcess implements AutoCloseable {

    private final Path home;
    private Process process;

    private KarafProcess(Path home) {
        this.home = home;
    }

    /** Unpacks a fresh copy of the distribution and gives it free ports. */
    public static KarafProcess unpack(String label) {
        KarafProcess k = new KarafProcess(ItestPaths.unpack(ItestPaths.distributionArchive(), label));
        k.setProperty("etc/org.apache.karaf.shell.cfg", "sshPort", KarafOptions.freePort());
        k.setProperty("etc/org.apache.karaf.shell.cfg", "sshHost", "127.0.0.1");
        k.setProperty("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", KarafOptions.freePort());
        k.setProperty("etc/org.apache.karaf.management.cfg", "rmiServerPort", KarafOptions.freePort());
        k.setProperty("etc/org.apache.karaf.management.cfg", "rmiRegistryHost", "127.0.0.1");
        k.setProperty("etc/org.apache.karaf.management.cfg", "rmiServerHost", "127.0.0.1");
        return k;
    }

    public Path home() {
        return home;
    }

    public Path log() {
        return home.resolve("data/log/karaf.log");
    }

    public Process process() {
        return process;
    }

    /**
     * Sets {@code key = value} in a properties-style file of the distribution (replacing the key's line,
     * continuation lines included, or appending it).
     */
    public void setProperty(String file, String key, String value) {
        Path path = home.resolve(file);
        try {
            List<String> lines = Files.exists(path) ? Files.readAllLines(path, StandardCharsets.ISO_8859_1)
                    : new ArrayList<>();
            List<String> out = new ArrayList<>();
            boolean replaced = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                String t = line.trim();
                if (!t.startsWith("#") && (t.startsWith(key + " ") || t.startsWith(key + "=")
                        || t.startsWith(key + "\t") || t.equals(key))) {
                    // skip continuation lines of the old value
                    while (line.endsWith("\\") && i + 1 < lines.size()) {
                        line = lines.get(++i);
                    }
                    if (!replaced) {
                        out.add(key + " = " + value.replace("\\", "\\\\"));
                        replaced = true;
                    }
                    continue;
                }
                out.add(line);
            }
            if (!replaced) {
                out.add(key + " = " + value.replace("\\", "\\\\"));
            }
            Files.write(path, out, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot edit " + path, e);
        }
    }

    /** Writes etc/org.corral.daemon-{@code name}.cfg before (or while) Karaf runs. */
    public void daemonCfg(String name, Map<String, String> properties) {
        StringBuilder sb = new StringBuilder();
        properties.forEach((k, v) -> sb.append(k).append(" = ").append(v.replace("\\", "\\\\")).append('\n'));
        Path cfg = home.resolve("etc/org.corral.daemon-" + name + ".cfg");
        try {
            Files.writeString(cfg, sb.toString(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + cfg, e);
        }
    }

    /** Starts {@code bin/karaf server} (no console; output to karaf-console.log in the home). */
    public void start() {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server").directory(home.toFile())
                .redirectErrorStream(true).redirectOutput(home.resolve("karaf-console.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("KARAF_EXEC", "exec");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("JAVA_MAX_MEM", "512m");
        pb.environment().remove("KARAF_DEBUG");
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + home.resolve("bin/karaf"), e);
        }
    }

    /** Stops Karaf the normal way ({@code bin/stop}) and waits (bounded) for its JVM to exit. */
    public void stop(Duration bound) {
        try {
            Process stop = new ProcessBuilder(home.resolve("bin/stop").toString()).directory(home.toFile())
                    .redirectErrorStream(true).redirectOutput(home.resolve("karaf-stop.log").toFile()).start();
            if (!stop.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                stop.destroyForcibly();
                throw new AssertionError("bin/stop did not return within " + bound.toSeconds() + " s");
            }
            if (stop.exitValue() != 0) {
                throw new AssertionError("bin/stop failed (exit " + stop.exitValue() + "): "
                        + Files.readString(home.resolve("karaf-stop.log")));
            }
            if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("Karaf did not exit within " + bound.toSeconds() + " s after bin/stop"
                        + logExcerpt());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * After a {@code kill -9}: removes the daemon configurations, starts this Karaf again, waits until Corral's
     * start-up sweep ran (its line in karaf.log), checks that no cgroup of the killed JVM {@code killed} is left
     * (its helpers remove their programs' cgroups at their teardown; the sweep removes what they left), and stops
     * Karaf the normal way; then nothing of either JVM may be left in the cgroup hierarchy.
     *
     * @param afterStart run once Karaf is started again (e.g. start the supervisor bundle the test had stopped)
     */
    public void restartAndCheckTheSweep(long killed, Duration boot, Duration stop,
            java.util.function.Consumer<KarafProcess> afterStart) {
        try (var s = Files.list(home.resolve("etc"))) {
            for (Path cfg : s.filter(p -> p.getFileName().toString().startsWith("org.corral.daemon-")
                    && !p.getFileName().toString().equals("org.corral.daemon-example.cfg")).toList()) {
                Files.delete(cfg);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // the helpers of the killed JVM remove their programs' cgroups at their own teardown (CGROUP_STATS, since
        // the helper-side teardown): what they could not remove, or what a helper that died too left, is the sweep's
        List<Path> left = Cgroups.ofJvm(killed);
        System.out.println("KarafProcess: cgroups the killed JVM " + killed + " left for the sweep: " + left);
        int sweeps = sweepLines();
        start();
        afterStart.accept(this);
        Await.until("the restarted Karaf's start-up sweep", boot, () -> sweepLines() > sweeps,
                () -> (process.isAlive() ? "" : "Karaf exited with " + process.exitValue() + "\n") + logExcerpt());
        List<Path> after = Cgroups.ofJvm(killed);
        if (!after.isEmpty()) {
            throw new AssertionError("the start-up sweep left cgroups of the killed JVM: " + after + logExcerpt());
        }
        long pid = process.pid();
        stop(stop);
        List<Path> own = Cgroups.ofJvm(pid);
        if (!own.isEmpty()) {
            throw new AssertionError("Karaf stopped normally but left cgroups: " + own + logExcerpt());
        }
    }

    private int sweepLines() {
        try {
            return Files.exists(log()) ? (int) Files.readAllLines(log(), StandardCharsets.UTF_8).stream()
                    .filter(l -> l.contains("start-up sweep")).count() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** {@code kill -9} of the Karaf JVM; returns once the kernel has reaped it. */
    public void kill9(Duration bound) {
        process.destroyForcibly();
        try {
            if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the Karaf JVM survived SIGKILL for " + bound.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The last lines of karaf.log that concern Corral or are warnings/errors (for failure messages). */
    public String logExcerpt() {
        try {
            List<String> relevant = new ArrayList<>();
            for (String line : Files.readAllLines(log(), StandardCharsets.UTF_8)) {
                String l = line.toLowerCase(java.util.Locale.ROOT);
                if (l.contains("corral") || l.contains("| error") || l.contains("| warn") || l.startsWith("\t")
                        || l.startsWith("caused by")) {
                    relevant.add(line);
                }
            }
            return "\n--- " + log() + ", last relevant lines:\n"
                    + String.join("\n", relevant.subList(Math.max(0, relevant.size() - 60), relevant.size()))
                    + "\n---";
        } catch (IOException e) {
            return "\n(no karaf.log at " + log() + ")";
        }
    }

    /** Kills the JVM if a test left it running (its daemons are checked by the test itself). */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
