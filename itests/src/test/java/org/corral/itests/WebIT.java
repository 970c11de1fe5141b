package org.corral.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

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
import java.util.Base64;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.corral.api.Daemon;
import org.corral.api.DaemonState;
import org.corral.itests.support.Await;
import org.corral.itests.support.Browser;
import org.corral.itests.support.DaemonTestBase;
import org.corral.itests.support.ItestPaths;
import org.corral.itests.support.KarafOptions;
import org.corral.itests.support.Procs;
import org.corral.itests.support.PrometheusServer;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.karaf.options.KarafDistributionOption;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Issue 15 with the real things: feature corral-web installed on the distribution; the web console page in a
 * real headless Chromium (driven through chromedriver): the table shows the daemons (and a configuration that
 * has no daemon), an admin presses Stop and sees the state change, a daemon's page shows its output escaped and
 * updating live, a viewer sees no buttons and is refused on the POST, forged POSTs are refused; screenshots under
 * {@code target/screenshots}. {@code /corral/metrics}: accepted by {@code promtool check metrics}, scraped by a
 * real Prometheus server on loopback in which {@code corral_daemon_restarts_total} rises after a daemon's
 * program is killed; access settings (basic auth against the karaf realm with a role, disabled).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WebIT extends DaemonTestBase {

    static final String NOROLE = "itest-norole";
    static final String NOROLE_PASSWORD = "itest-norole-pw";

    @Configuration
    public Option[] config() {
        String port = freePort();
        return KarafOptions.corralDistribution(users()[0], users()[1],
                KarafDistributionOption.editConfigurationFilePut("etc/users.properties", NOROLE, NOROLE_PASSWORD + ",ssh"),
                KarafDistributionOption.editConfigurationFilePut("etc/org.ops4j.pax.web.cfg",
                        "org.osgi.service.http.port", port),
                KarafDistributionOption.editConfigurationFilePut("etc/org.ops4j.pax.web.cfg",
                        "org.ops4j.pax.web.listening.addresses", "127.0.0.1"),
                // viewers may log in to the web console (Karaf's default lets only admins in)
                KarafDistributionOption.editConfigurationFilePut("etc/org.apache.karaf.webconsole.cfg", "realm", "karaf"),
                KarafDistributionOption.editConfigurationFilePut("etc/org.apache.karaf.webconsole.cfg", "role", "viewer"),
                CoreOptions.systemProperty("itest.web.port").value(port));
    }

    private static String freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return Integer.toString(s.getLocalPort());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static String base() {
        return "http://127.0.0.1:" + System.getProperty("itest.web.port");
    }

    private static Path shots() {
        return ItestPaths.buildDir().resolve("screenshots");
    }

    /** corral-web is installed once (it is in the distribution's system/ folder, not boot-installed). */
    @Before
    public void installCorralWeb() throws Exception {
        if (!featuresService.isInstalled(featuresService.getFeature("corral-web"))) {
            long t0 = System.nanoTime();
            featuresService.installFeature("corral-web");
            System.out.println("WebIT: feature:install corral-web took "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        }
        Await.until("the web console page and /corral/metrics answer", Duration.ofSeconds(90), () -> {
            try {
                return get("/system/console/corral", ADMIN, ADMIN_PASSWORD).statusCode() == 200
                        && get("/corral/metrics", null, null).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, WebIT::karafLogExcerpt);
    }

    // ---------------------------------------------------------------- the page, in Chromium

    @Test
    public void theConsolePageInARealChromium() throws Exception {
        Path progs = progs("WebIT-console");
        String sleep = progs.resolve("sleep_ms").toString();
        cfg("web-sleeper", sleep, "3600000");
        // a program that writes an OSC title sequence, HTML and the console's variable syntax, then counts, a line
        // every 2 s: the first line stays among the page's last 50 for 100 s, on a loaded machine too
        cfg("web-printer", "/bin/sh", "-c 'printf \"\\033]0;owned\\007<b>bold</b> \\044{brand.name}\\n\"; exec "
                + progs.resolve("print_seq") + " 2000'");
        // invalid: a duration without a unit. An INVALID Daemon service: a row with its first problem, no buttons.
        cfg("web-broken", sleep, "1000", "restart.delay", "5");
        Daemon sleeper = awaitDaemon("web-sleeper", "running", RUNNING, Await.SECONDS);
        long sleeperPid = sleeper.pid().getAsLong();
        Daemon printer = awaitDaemon("web-printer", "running", RUNNING, Await.SECONDS);
        awaitOutput(printer, "the title sequence", Await.SECONDS, lines -> lines.stream().anyMatch(l -> l.contains("owned")));

        String page = base() + "/system/console/corral";
        try (Browser b = Browser.start(ItestPaths.buildDir().resolve("it").resolve("chromium"))) {
            // --- an admin
            b.basicAuth(ADMIN, ADMIN_PASSWORD);
            b.open(page);
            awaitRowState(b, "web-sleeper", "RUNNING", "READY");
            awaitRowState(b, "web-printer", "RUNNING", "READY");
            awaitRowState(b, "web-broken", "INVALID");
            assertTrue("the INVALID row says why", String.valueOf(b.js("return document.querySelector("
                    + "\"tr[data-name='web-broken'] td[data-label='State']\").textContent")).contains(
                    "restart.delay = '5': a duration needs a unit"));
            assertEquals("no buttons for a configuration that cannot run", 0L, ((Double) b.js("return document"
                    + ".querySelectorAll(\"tr[data-name='web-broken'] button\").length")).longValue());
            awaitRowState(b, "example", "RUNNING", "READY", "BACKING_OFF", "STARTING");
            assertEquals("the admin sees Start, Stop and Restart in each daemon's row", 3L,
                    ((Double) b.js("return document.querySelectorAll(\"tr[data-name='web-sleeper'] button\").length"))
                            .longValue());
            assertEquals("pid column", Long.toString(sleeperPid), b.js("return document.querySelector("
                    + "\"tr[data-name='web-sleeper'] td[data-label='PID']\").textContent"));
            b.screenshot(shots().resolve("corral-daemons.png"));

            // Stop, as a user's click: the POST, the redirect, the state in the table
            clickWhenPresent(b, "tr[data-name='web-sleeper'] button[value='stop']");
            awaitRowState(b, "web-sleeper", "STOPPED");
            assertTrue("the page says what was done", String.valueOf(b.js("var m = document.querySelector("
                    + "'.corral-message'); return m ? m.textContent : ''")).contains("stop web-sleeper: done"));
            assertEquals("the daemon really stopped", DaemonState.STOPPED, awaitDaemon("web-sleeper", "stopped",
                    ref -> DaemonState.STOPPED.name().equals(ref.getProperty(Daemon.PROP_STATE)), Await.SECONDS).state());
            assertTrue("its program is gone", ProcessHandle.of(sleeperPid)
                    .map(h -> Procs.awaitGone(List.of(h), Await.SECONDS).isEmpty()).orElse(true));
            b.screenshot(shots().resolve("corral-daemons-stopped.png"));

            // a daemon's page: escaped output, updating by itself
            b.open(page + "/daemon?name=web-printer");
            Await.until("the daemon page shows the output", Await.SECONDS,
                    () -> linesText(b).contains("owned"), () -> linesText(b));
            String text = linesText(b);
            assertTrue("control characters are visible, HTML and ${...} shown as written:\n" + text,
                    text.contains("\\x1b]0;owned\\x07<b>bold</b> ${brand.name}"));
            assertEquals("no element came from the output", 0L,
                    ((Double) b.js("return document.querySelectorAll('pre.corral-lines *').length")).longValue());
            assertFalse("no raw ESC reached the page", text.contains("\u001b"));
            b.js("window.corralMarker = 'same page'; return null;");
            long before = lastNumber(text);
            Await.until("the lines update without a reload", Duration.ofSeconds(30),
                    () -> lastNumber(linesText(b)) > before + 3, () -> linesText(b));
            assertEquals("updated in place, not reloaded", "same page", b.js("return window.corralMarker"));
            b.screenshot(shots().resolve("corral-daemon.png"));

            // the doctor
            b.open(page + "/doctor");
            String doctor = String.valueOf(b.js("return document.querySelector('table.corral-doctor').textContent"));
            assertTrue(doctor, doctor.contains("containment") && doctor.contains("cgroup2 mount"));
            b.screenshot(shots().resolve("corral-doctor.png"));

            // a phone
            b.phone(true);
            b.open(page);
            awaitRowState(b, "web-printer", "RUNNING", "READY");
            assertEquals("on a phone the table's rows are cards: no column header row", "none",
                    b.js("return getComputedStyle(document.querySelector('table.corral-daemons thead')).display"));
            b.screenshot(shots().resolve("corral-phone.png"));
            b.phone(false);

            // a forged POST from another site, with the admin's credentials in the browser: refused
            long printerPid = printer.pid().getAsLong();
            b.open("data:text/html,<form method='post' action='" + page + "/action'><input name='name' value='web-printer'>"
                    + "<input name='action' value='stop'></form><script>document.forms[0].submit()</script>");
            Await.until("the forged POST was answered", Await.SECONDS, () -> String.valueOf(
                    b.js("return document.body ? document.body.textContent : ''")).contains("refused"));
            assertEquals("still running after the forged POST", printerPid, awaitDaemon("web-printer", "running",
                    RUNNING, Await.SECONDS).pid().getAsLong());

            // --- a viewer: the pages, no buttons (a new session: Karaf keeps the user of a session)
            b.clearCookies();
            b.basicAuth(VIEWER, VIEWER_PASSWORD);
            b.open(page);
            awaitRowState(b, "web-printer", "RUNNING", "READY");
            assertEquals("a viewer sees no button", 0L,
                    ((Double) b.js("return document.querySelectorAll('#corral-live button, #corral-live form').length"))
                            .longValue());
            b.open(page + "/daemon?name=web-printer");
            Await.until("the viewer sees the daemon page", Await.SECONDS, () -> linesText(b).contains("owned"));
            assertEquals("a viewer sees no button on the daemon page either", 0L,
                    ((Double) b.js("return document.querySelectorAll('#corral-live button').length")).longValue());
            b.screenshot(shots().resolve("corral-viewer.png"));
        }

        // the POSTs themselves (the same requests a browser sends), refused and accepted
        long printerPid = printer.pid().getAsLong();
        Session admin = session(ADMIN, ADMIN_PASSWORD);
        assertEquals("a viewer's POST is refused", 403, post(VIEWER, VIEWER_PASSWORD, null,
                Map.of("name", "web-printer", "action", "stop", "csrf", admin.token), null).statusCode());
        assertEquals("an admin's POST without the token is refused", 403, post(ADMIN, ADMIN_PASSWORD, admin.cookie,
                Map.of("name", "web-printer", "action", "stop"), null).statusCode());
        assertEquals("an admin's POST with another session's token is refused", 403, post(ADMIN, ADMIN_PASSWORD,
                null, Map.of("name", "web-printer", "action", "stop", "csrf", admin.token), null).statusCode());
        assertEquals("a POST with the token from another origin is refused", 403, post(ADMIN, ADMIN_PASSWORD,
                admin.cookie, Map.of("name", "web-printer", "action", "stop", "csrf", admin.token),
                "http://evil.example").statusCode());
        assertEquals("a GET does nothing", 404, get("/system/console/corral/action?name=web-printer&action=stop",
                ADMIN, ADMIN_PASSWORD).statusCode());
        assertEquals("nothing was stopped by any of them", printerPid, awaitDaemon("web-printer", "running", RUNNING,
                Await.SECONDS).pid().getAsLong());
        HttpResponse<String> ok = post(ADMIN, ADMIN_PASSWORD, admin.cookie,
                Map.of("name", "web-printer", "action", "restart", "csrf", admin.token), null);
        assertEquals("the admin's own POST with its token: redirected back", 303, ok.statusCode());
        Daemon restarted = awaitDaemon("web-printer", "restarted", newPid(printerPid), Await.SECONDS);
        assertTrue("restart counted", restarted.restarts() >= 1);
    }

    /** Running (RUNNING or READY) with a program pid other than {@code pid}. */
    private static DaemonCondition newPid(long pid) {
        return ref -> RUNNING.test(ref) && !String.valueOf(pid).equals(String.valueOf(ref.getProperty(Daemon.PROP_PID)));
    }

    private static String linesText(Browser b) {
        return String.valueOf(b.js("var p = document.querySelector('pre.corral-lines'); return p ? p.textContent : ''"));
    }

    private static long lastNumber(String lines) {
        long last = -1;
        for (String l : lines.split("\n")) {
            if (l.matches("\\d+")) {
                last = Long.parseLong(l);
            }
        }
        return last;
    }

    /** Waits until the table row of {@code name} shows one of {@code states} (the page refreshes itself). */
    private static void awaitRowState(Browser b, String name, String... states) {
        String script = "var r = document.querySelector(\"tr[data-name='" + name + "']\");"
                + " return r ? r.getAttribute('data-state') : null;";
        Await.until("row " + name + " in state " + String.join("/", states), Duration.ofSeconds(60),
                () -> List.of(states).contains(String.valueOf(b.js(script))),
                () -> "state shown: " + b.js(script) + "; page:\n" + b.js("return document.body.innerText"));
    }

    /** Clicks the element; the table is refreshed every few seconds, so a stale element is looked up again. */
    private static void clickWhenPresent(Browser b, String css) {
        RuntimeException last = null;
        for (int i = 0; i < 10; i++) {
            String id = b.find(css);
            if (id != null) {
                try {
                    b.click(id);
                    return;
                } catch (Browser.WebDriverException e) {
                    last = e; // stale element reference: refreshed meanwhile
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("could not click " + css, last);
    }

    // ---------------------------------------------------------------- metrics, with promtool and Prometheus

    @Test
    public void metricsForPromtoolAndARealPrometheus() throws Exception {
        Path progs = progs("WebIT-metrics");
        cfg("web-crash", progs.resolve("sleep_ms").toString(), "3600000", "restart.delay", "100ms");
        Daemon d = awaitDaemon("web-crash", "running", RUNNING, Await.SECONDS);

        HttpResponse<String> r = get("/corral/metrics", null, null);
        assertEquals(200, r.statusCode());
        String type = r.headers().firstValue("Content-Type").orElse("");
        assertTrue("the Prometheus text format 0.0.4: " + type, type.replace(" ", "")
                .startsWith("text/plain;version=0.0.4"));
        assertTrue(r.body(), r.body().contains("corral_daemon_up{name=\"web-crash\"} 1"));
        assertTrue(r.body(), r.body().contains("corral_daemon_state{name=\"web-crash\",state=\"" + d.state() + "\"} 1"));
        assertTrue(r.body(), r.body().contains("corral_containment_mode{mode=\"HELPER_CGROUP\"} 1")
                || r.body().contains("corral_containment_mode{mode=\"HELPER\"} 1"));
        assertTrue(r.body(), Pattern.compile("^corral_helpers_running [1-9]", Pattern.MULTILINE).matcher(r.body()).find());
        promtool(r.body());

        Path repo = ItestPaths.buildDir().getParent().getParent();
        Path rules = repo.resolve("docs/prometheus/corral-alerts.yml");
        assertTrue(rules + " exists", Files.isRegularFile(rules));
        String config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                + "rule_files:\n  - " + rules + "\n"
                + "scrape_configs:\n  - job_name: corral\n    metrics_path: /corral/metrics\n"
                + "    static_configs:\n      - targets: ['127.0.0.1:" + System.getProperty("itest.web.port") + "']\n";
        Path dir = Files.createTempDirectory(ItestPaths.buildDir().resolve("it"), "prometheus-");
        try (PrometheusServer prom = PrometheusServer.start(dir, config)) {
            String restarts = "corral_daemon_restarts_total{name=\"web-crash\"}";
            awaitQuery(prom, restarts, v -> v >= 0);
            double before = prom.query(restarts).getAsDouble();
            awaitQuery(prom, "corral_daemon_up{name=\"web-crash\"}", v -> v == 1);

            // a crash: the program killed with SIGKILL; Corral restarts it, Prometheus sees the counter rise
            long pid = d.pid().getAsLong();
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            Daemon after = awaitDaemon("web-crash", "restarted", newPid(pid), Await.SECONDS);
            assertTrue("the crash counted as a restart", after.restarts() >= 1);
            awaitQuery(prom, restarts, v -> v > before);
            System.out.println("WebIT: Prometheus saw " + restarts + " go from " + before + " to "
                    + prom.query(restarts).getAsDouble());
            awaitQuery(prom, "corral_daemon_last_exit_code{name=\"web-crash\"}", v -> v == 137);
            // the example alert rules load into the real server
            String[] health = new String[1];
            Await.until("the docs' alert rules loaded and evaluated without error", Await.SECONDS, () -> {
                try {
                    health[0] = prom.ruleHealth();
                } catch (IOException e) {
                    health[0] = e.toString();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return health[0].contains("CorralDaemonFailed=ok") && health[0].contains("CorralDaemonRestartingOften=ok");
            }, () -> health[0] + "\n" + prom.log());
        }
    }

    private static void awaitQuery(PrometheusServer prom, String expr, java.util.function.DoublePredicate ok) {
        Await.until("Prometheus: " + expr, Duration.ofSeconds(60), () -> {
            try {
                OptionalDouble v = prom.query(expr);
                return v.isPresent() && ok.test(v.getAsDouble());
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, () -> {
            try {
                return "value " + prom.query(expr) + "; targets:\n" + prom.targets() + "log:\n" + prom.log();
            } catch (Exception e) {
                return e.toString();
            }
        });
    }

    private static void promtool(String metrics) throws IOException, InterruptedException {
        Path file = Files.createTempFile(ItestPaths.buildDir(), "metrics-", ".txt");
        Files.writeString(file, metrics, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("promtool finished", p.waitFor(60, TimeUnit.SECONDS));
        assertEquals("promtool check metrics says:\n" + out + "\nof:\n" + metrics, 0, p.exitValue());
        assertEquals("no lint complaint: " + out, "", out.trim());
        Files.delete(file);
    }

    @Test
    public void metricsAccessSettings() throws Exception {
        org.osgi.service.cm.Configuration c = configurationAdmin.getConfiguration("org.corral.web", null);
        try {
            Hashtable<String, Object> p = new Hashtable<>();
            p.put("metrics.auth", "true");
            c.update(p);
            Await.until("basic auth required", Await.SECONDS, () -> status("/corral/metrics", null, null) == 401);
            HttpResponse<String> r = get("/corral/metrics", null, null);
            assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm=\"karaf\""));
            assertEquals("wrong password", 401, status("/corral/metrics", VIEWER, "wrong"));
            assertEquals("a user without the viewer role", 403, status("/corral/metrics", NOROLE, NOROLE_PASSWORD));
            assertEquals("a viewer", 200, status("/corral/metrics", VIEWER, VIEWER_PASSWORD));
            assertEquals("an admin (who has viewer too)", 200, status("/corral/metrics", ADMIN, ADMIN_PASSWORD));

            p.put("metrics.role", "");
            c.update(p);
            Await.until("any user of the realm", Await.SECONDS, () -> status("/corral/metrics", NOROLE, NOROLE_PASSWORD) == 200);

            p.put("metrics.access", "disabled");
            c.update(p);
            Await.until("disabled: no endpoint", Await.SECONDS, () -> status("/corral/metrics", VIEWER, VIEWER_PASSWORD) == 404);
        } finally {
            c.delete();
        }
        Await.until("the default again: open on loopback", Await.SECONDS, () -> status("/corral/metrics", null, null) == 200);
    }

    // ---------------------------------------------------------------- HTTP

    private int status(String path, String user, String password) {
        try {
            return get(path, user, password).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private HttpResponse<String> get(String path, String user, String password) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30));
        if (user != null) {
            b.header("Authorization", basic(user, password));
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** A logged-in web console session of a user: its cookie and the CSRF token its page carries. */
    private static final class Session {
        final String cookie;
        final String token;

        Session(String cookie, String token) {
            this.cookie = cookie;
            this.token = token;
        }
    }

    private Session session(String user, String password) throws IOException {
        HttpResponse<String> r = get("/system/console/corral", user, password);
        assertEquals(200, r.statusCode());
        String cookie = r.headers().firstValue("Set-Cookie").map(s -> s.split(";", 2)[0]).orElse(null);
        assertNotNull("the web console keeps a session", cookie);
        Matcher m = Pattern.compile("name='csrf' value='([^']+)'").matcher(r.body());
        assertTrue("the admin's page carries a CSRF token", m.find());
        return new Session(cookie, m.group(1));
    }

    private HttpResponse<String> post(String user, String password, String cookie, Map<String, String> form,
            String origin) throws IOException {
        StringBuilder body = new StringBuilder();
        form.forEach((k, v) -> body.append(body.length() == 0 ? "" : "&").append(k).append('=')
                .append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8)));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + "/system/console/corral/action"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", basic(user, password))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        if (origin != null) {
            b.header("Origin", origin);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
