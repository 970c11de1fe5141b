package org.corral.itests.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A real headless Chromium (Debian's {@code chromium}), driven through {@code chromedriver} with the W3C
 * WebDriver protocol over {@code java.net.http}, plus Chrome DevTools commands through chromedriver's
 * {@code goog/cdp/execute} (extra request headers for HTTP basic authentication, a phone's screen).
 * {@link #close()} ends the session, chromedriver and every browser process they started.
 */
public final class Browser implements AutoCloseable {

    /** The element key of the W3C protocol. */
    private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
    private static final Duration CALL_BOUND = Duration.ofSeconds(60);

    private final Process driver;
    private final String base;
    private final String session;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Path profile;

    private Browser(Process driver, String base, String session, Path profile) {
        this.driver = driver;
        this.base = base;
        this.session = session;
        this.profile = profile;
    }

    /**
     * Starts chromedriver on a free loopback port and a headless Chromium session with a fresh profile under
     * {@code workDir}, with the flags that work on these machines (no sandbox as root, no GPU, no network of
     * its own).
     */
    public static Browser start(Path workDir) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path profile = Files.createTempDirectory(workDir, "chromium-profile-");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Process driver = new ProcessBuilder("chromedriver", "--port=" + port, "--allowed-ips=127.0.0.1")
                .redirectErrorStream(true).redirectOutput(workDir.resolve("chromedriver.log").toFile()).start();
        String base = "http://127.0.0.1:" + port;
        HttpClient probe = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                HttpResponse<String> r = probe.send(HttpRequest.newBuilder(URI.create(base + "/status"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && Boolean.TRUE.equals(Json.at(Json.parse(r.body()), "value", "ready"))) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline || !driver.isAlive()) {
                destroyTree(driver);
                throw new IOException("chromedriver did not come up on " + base + "; its log: "
                        + Files.readString(workDir.resolve("chromedriver.log")));
            }
            Thread.sleep(100);
        }
        List<Object> args = new ArrayList<>(List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + profile));
        Map<String, Object> chrome = new LinkedHashMap<>();
        chrome.put("binary", "/usr/bin/chromium");
        chrome.put("args", args);
        Map<String, Object> always = new LinkedHashMap<>();
        always.put("browserName", "chrome");
        always.put("goog:chromeOptions", chrome);
        Map<String, Object> body = Map.of("capabilities", Map.of("alwaysMatch", always));
        Browser b = new Browser(driver, base, null, profile);
        Object r;
        try {
            r = b.call("POST", "/session", body);
        } catch (RuntimeException e) {
            destroyTree(driver);
            throw e;
        }
        return new Browser(driver, base, (String) Json.at(r, "value", "sessionId"), profile);
    }

    /** Sends {@code Authorization: Basic ...} with every request of this browser from now on. */
    public void basicAuth(String user, String password) {
        cdp("Network.enable", Map.of());
        cdp("Network.setExtraHTTPHeaders", Map.of("headers", Map.of("Authorization", "Basic "
                + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)))));
    }

    /** Emulates a phone's screen (width and height in CSS pixels, touch, mobile viewport), or undoes it. */
    public void phone(boolean on) {
        if (on) {
            cdp("Emulation.setDeviceMetricsOverride", Map.of("width", 390, "height", 844, "deviceScaleFactor", 2,
                    "mobile", true));
        } else {
            cdp("Emulation.clearDeviceMetricsOverride", Map.of());
        }
    }

    /** Forgets every cookie (the web console's session: Karaf keeps the logged-in user in it). */
    public void clearCookies() {
        call("DELETE", path("/cookie"), null);
    }

    public void open(String url) {
        call("POST", path("/url"), Map.of("url", url));
    }

    /** Runs {@code script} (a function body) in the page and returns its result. */
    public Object js(String script, Object... args) {
        return Json.at(call("POST", path("/execute/sync"), Map.of("script", script, "args", List.of(args))), "value");
    }

    /** The id of the first element matching {@code css}, or null. */
    public String find(String css) {
        Object r = callOrNull("POST", path("/element"), Map.of("using", "css selector", "value", css));
        return r == null ? null : (String) Json.at(r, "value", ELEMENT);
    }

    /** Clicks the element, as a user's pointer would (scrolled into view, hit-tested). */
    public void click(String elementId) {
        call("POST", path("/element/" + elementId + "/click"), Map.of());
    }

    /** Saves a PNG screenshot of the viewport. */
    public Path screenshot(Path file) throws IOException {
        String png = (String) Json.at(call("GET", path("/screenshot"), null), "value");
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(png));
        return file;
    }

    /** Sets the window's size in CSS pixels. */
    public void size(int width, int height) {
        call("POST", path("/window/rect"), Map.of("width", width, "height", height));
    }

    private Object cdp(String cmd, Map<String, Object> params) {
        return call("POST", path("/goog/cdp/execute"), Map.of("cmd", cmd, "params", params));
    }

    private String path(String p) {
        return "/session/" + session + p;
    }

    private Object callOrNull(String method, String p, Object body) {
        try {
            return call(method, p, body);
        } catch (WebDriverException e) {
            if (e.error.equals("no such element")) {
                return null;
            }
            throw e;
        }
    }

    /** An error answer of the WebDriver protocol. */
    public static final class WebDriverException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        public final String error;

        WebDriverException(String error, String message) {
            super(error + ": " + message);
            this.error = error;
        }
    }

    private Object call(String method, String p, Object body) {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(base + p)).timeout(CALL_BOUND);
        if (body != null) {
            rb.header("Content-Type", "application/json; charset=utf-8");
            rb.method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
        } else {
            rb.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r;
        try {
            r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("chromedriver " + method + " " + p + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        Object json = Json.parse(r.body());
        if (r.statusCode() != 200) {
            Object error = Json.at(json, "value", "error");
            throw new WebDriverException(String.valueOf(error), String.valueOf(Json.at(json, "value", "message")));
        }
        return json;
    }

    @Override
    public void close() {
        try {
            if (session != null) {
                call("DELETE", "/session/" + session, null);
            }
        } catch (RuntimeException e) {
            // the browser is ended below in any case
        } finally {
            destroyTree(driver);
            deleteQuietly(profile);
        }
    }

    /** Ends {@code p} and every descendant (the browser's processes), and waits for them. */
    static void destroyTree(Process p) {
        List<ProcessHandle> all = p.descendants().collect(Collectors.toList());
        all.add(p.toHandle());
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (ProcessHandle h : all) {
            while (h.isAlive() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // left in target/: removed with it
        }
    }
}
