package org.corral.itests.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Console commands for a {@link KarafProcess}, as an operator types them: {@code bin/client} over SSH with a
 * user added to {@code etc/users.properties} before Karaf starts. The client's stdin must stay open while the
 * command runs: at EOF on its input it closes the session at once. Also where a bundle keeps its data in that
 * Karaf (Felix's {@code data/cache/bundle<id>/}).
 */
public final class KarafClient {

    public static final String USER = "itest-admin";
    public static final String PASSWORD = "itest-admin-pw";

    private KarafClient() {
    }

    /** Adds the admin user the client logs in as (call before {@link KarafProcess#start()}). */
    public static void addUser(KarafProcess k) {
        k.setProperty("etc/users.properties", USER, PASSWORD + ",admin,manager,viewer,systembundles,ssh");
    }

    private static String sshPort(KarafProcess k) {
        Properties p = new Properties();
        Path cfg = k.home().resolve("etc/org.apache.karaf.shell.cfg");
        try (InputStream in = Files.newInputStream(cfg)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cfg, e);
        }
        String port = p.getProperty("sshPort");
        if (port == null) {
            throw new IllegalStateException("no sshPort in " + cfg);
        }
        return port.trim();
    }

    /**
     * Runs one console command through {@code bin/client} (retrying the connection while Karaf's SSH server
     * comes up, up to {@code bound}); returns its output. Fails when the client fails, reports a command error,
     * or does not return within {@code bound}.
     */
    public static String execute(KarafProcess k, String command, Duration bound) {
        List<String> argv = new ArrayList<>(List.of(k.home().resolve("bin/client").toString(), "-h", "127.0.0.1",
                "-a", sshPort(k), "-u", USER, "-p", PASSWORD, "-r", Long.toString(Math.max(60, bound.toSeconds())),
                "-d", "1", command));
        // one retry a second for as long as the caller waits: on a loaded machine Karaf's SSH server can take
        // more than a minute to come up (FileModesIT failed at load 18 on 2 cores after 60 retries, 3 s before it did)
        // stdin stays an open pipe until the client has exited: at EOF on its input the client closes the session
        // before the command ran (it prints "Closed" and exits 1)
        ProcessBuilder pb = new ProcessBuilder(argv).directory(k.home().toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("KARAF_DEBUG");
        try {
            Process p = pb.start();
            byte[][] out = new byte[1][];
            Thread reader = new Thread(() -> {
                try {
                    out[0] = p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    out[0] = ("(output unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
                }
            }, "karaf-client-output");
            reader.start();
            boolean exited = p.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
            p.getOutputStream().close();
            if (!exited) {
                p.destroyForcibly();
                throw new AssertionError("bin/client `" + command + "` did not return within " + bound.toSeconds()
                        + " s" + k.logExcerpt());
            }
            reader.join(10_000);
            String output = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
            if (p.exitValue() != 0 || output.contains("Error executing command") || output.contains("Command not found")) {
                throw new AssertionError("bin/client `" + command + "` failed (exit " + p.exitValue() + "):\n" + output
                        + k.logExcerpt());
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run bin/client", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The id of the installed bundle whose location names {@code symbolicName} (Felix's bundle.info files). */
    public static long bundleId(KarafProcess k, String symbolicName) {
        Path cache = k.home().resolve("data/cache");
        try (Stream<Path> dirs = Files.list(cache)) {
            List<Long> ids = new ArrayList<>();
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                Path info = dir.resolve("bundle.info");
                if (!dir.getFileName().toString().startsWith("bundle") || !Files.isRegularFile(info)) {
                    continue;
                }
                List<String> lines = Files.readAllLines(info, StandardCharsets.UTF_8);
                if (lines.size() >= 2 && lines.get(1).contains("/" + symbolicName + "/")) {
                    ids.add(Long.parseLong(lines.get(0).trim()));
                }
            }
            if (ids.size() != 1) {
                throw new AssertionError("expected one bundle " + symbolicName + " in " + cache + ", found ids " + ids);
            }
            return ids.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cache, e);
        }
    }

    /** A bundle's data area (what {@code BundleContext.getDataFile("")} returns). */
    public static Path dataArea(KarafProcess k, long bundleId) {
        return k.home().resolve("data/cache/bundle" + bundleId + "/data");
    }
}
