package org.corral.itests.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;

/**
 * A real Prometheus server (Debian's {@code prometheus}) on a free loopback port, with a configuration the test
 * writes, its data in a directory of its own, and queries through its HTTP API. {@link #close()} stops it.
 */
public final class PrometheusServer implements AutoCloseable {

    private final Process process;
    private final String base;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private PrometheusServer(Process process, String base, Path log) {
        this.process = process;
        this.base = base;
        this.log = log;
    }

    /** Starts Prometheus with {@code config} (YAML) in {@code dir}; returns once it answers {@code /-/ready}. */
    public static PrometheusServer start(Path dir, String config) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path cfg = dir.resolve("prometheus.yml");
        Files.writeString(cfg, config, StandardCharsets.UTF_8);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder("prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=info")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(p, "http://127.0.0.1:" + port, log);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                HttpResponse<String> r = server.http.send(HttpRequest.newBuilder(URI.create(server.base + "/-/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return server;
                }
            } catch (IOException e) {
                // not yet
            }
            if (System.nanoTime() > deadline || !p.isAlive()) {
                server.close();
                throw new IOException("prometheus did not become ready on " + server.base + "; its log:\n"
                        + Files.readString(log));
            }
            Thread.sleep(200);
        }
    }

    /** The value of the first series of an instant query, if it has one. */
    public OptionalDouble query(String expr) throws IOException, InterruptedException {
        Object r = get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        List<?> result = (List<?>) Json.at(r, "data", "result");
        if (result == null || result.isEmpty()) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(Double.parseDouble((String) Json.at(result.get(0), "value", 1)));
    }

    /** {@code /api/v1/targets}: the health and last error of each active target, for failure messages. */
    public String targets() throws IOException, InterruptedException {
        Object r = get("/api/v1/targets");
        StringBuilder sb = new StringBuilder();
        List<?> active = (List<?>) Json.at(r, "data", "activeTargets");
        if (active != null) {
            for (Object t : active) {
                sb.append(Json.at(t, "scrapeUrl")).append(" health=").append(Json.at(t, "health"))
                        .append(" lastError=").append(Json.at(t, "lastError")).append('\n');
            }
        }
        return sb.toString();
    }

    /** {@code /api/v1/rules}: each loaded rule as {@code name=health}, for checks and failure messages. */
    public String ruleHealth() throws IOException, InterruptedException {
        Object r = get("/api/v1/rules");
        StringBuilder sb = new StringBuilder();
        List<?> groups = (List<?>) Json.at(r, "data", "groups");
        if (groups != null) {
            for (Object g : groups) {
                for (Object rule : (List<?>) Json.at(g, "rules")) {
                    sb.append(Json.at(rule, "name")).append('=').append(Json.at(rule, "health")).append(' ');
                }
            }
        }
        return sb.toString().trim();
    }

    private Object get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("prometheus " + path + ": HTTP " + r.statusCode() + ": " + r.body());
        }
        return Json.parse(r.body());
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        Browser.destroyTree(process);
    }
}
