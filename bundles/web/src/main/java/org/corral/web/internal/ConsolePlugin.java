package org.corral.web.internal;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import javax.security.auth.Subject;
import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import javax.servlet.http.HttpSession;

import org.corral.api.Daemon;
import org.corral.api.SupervisorStatus;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Felix Web Console plugin {@code /system/console/corral}: a plain servlet service with the web console's
 * {@code felix.webconsole.*} properties (the console wraps its HTML pages in its own header and navigation;
 * requests with an extension, such as the {@code .frag} refreshes, and POSTs reach it directly).
 *
 * <p>Pages: {@code corral} (the daemons table), {@code corral/daemon?name=N} (one daemon: its status and last
 * lines), {@code corral/doctor}. Fragments for the page's own refreshes: {@code corral/table.frag},
 * {@code corral/daemon.frag?name=N}. Actions: {@code POST corral/action} with {@code name}, {@code action}
 * (start, stop, restart) and the CSRF token, for users with {@code console.admin.role} only. Resources:
 * {@code corral/res/corral.css}, {@code corral/res/corral.js}.
 *
 * <p>Who the user is comes from the JAAS Subject that Karaf's web console security provider puts on the
 * request ({@code karaf.subject.runas}). Without one (another web console security provider), the pages are
 * read-only.
 */
@Component(service = Servlet.class, configurationPid = WebConfig.PID, property = {
    "felix.webconsole.label=" + ConsolePlugin.LABEL,
    "felix.webconsole.title=Corral",
    "felix.webconsole.category=Main",
    "service.description=Corral daemons, their output and the doctor"
})
public final class ConsolePlugin extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ConsolePlugin.class);

    static final String LABEL = "corral";
    private static final String FRAGMENT_TYPE = "text/html; charset=utf-8";

    private transient CorralData data;
    private transient Csrf csrf;
    private transient BundleContext context;
    private volatile String adminRole = "admin";
    private volatile int refresh = 3;
    private volatile int lines = 50;

    @Activate
    void activate(BundleContext ctx, WebConfig config) {
        context = ctx;
        data = new CorralData(ctx);
        csrf = new Csrf();
        modified(config);
    }

    @Modified
    void modified(WebConfig config) {
        adminRole = config.console_admin_role();
        refresh = Math.max(1, Math.min(3600, config.console_refresh()));
        lines = Math.max(1, Math.min(1000, config.console_lines()));
    }

    /** The web console serves {@code /corral/res/...} from here (it looks this method up by reflection). */
    public URL getResource(String path) {
        String prefix = "/" + LABEL + "/res/";
        if (path == null || !path.startsWith(prefix) || path.contains("..")) {
            return null;
        }
        return getClass().getResource("/res/" + path.substring(prefix.length()));
    }

    // ---------------------------------------------------------------- GET

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = sub(req);
        Pages.Ctx c = ctx(req);
        switch (path) {
            case "":
                html(resp, Pages.tablePage(c, table(c), req.getParameter("msg")));
                return;
            case "/table.frag":
                fragment(resp, table(c));
                return;
            case "/daemon":
            case "/daemon.frag": {
                String name = req.getParameter("name");
                Optional<String> body = name == null ? Optional.empty() : daemon(c, name);
                if (body.isEmpty()) {
                    String known = String.join(", ", data.daemons(false).stream().map(DaemonView::name)
                            .toArray(String[]::new));
                    resp.setStatus(HttpServletResponse.SC_NOT_FOUND);
                    String text = "No daemon or daemon configuration named '" + (name == null ? "" : name)
                            + "' (known: " + (known.isEmpty() ? "none" : known) + ").";
                    if (path.endsWith(".frag")) {
                        fragment(resp, "<p class='corral-problem'>" + Html.text(text) + "</p>");
                    } else {
                        html(resp, "<div class='corral'><p class='corral-nav'><a href='" + Html.text(c.root())
                                + "'>&larr; all daemons</a></p><p class='corral-problem'>" + Html.text(text) + "</p></div>");
                    }
                    return;
                }
                if (path.endsWith(".frag")) {
                    fragment(resp, body.get());
                } else {
                    html(resp, Pages.daemonPage(c, name, body.get(), req.getParameter("msg")));
                }
                return;
            }
            case "/doctor":
                html(resp, Pages.doctorPage(c, data.withStatus(SupervisorStatus::doctor)));
                return;
            default:
                resp.sendError(HttpServletResponse.SC_NOT_FOUND, "no such Corral page: " + path);
        }
    }

    private String table(Pages.Ctx c) {
        List<DaemonView> daemons = data.daemons(true);
        List<ConfigView> inactive = CorralData.withoutDaemon(data.configurations(), daemons);
        Optional<Pages.Summary> summary = data.withStatus(s -> new Pages.Summary(s.containment().mode(),
                s.helpersRunning(), s.runs().values().stream().mapToLong(Long::longValue).sum()));
        return Pages.tableBody(c, daemons, inactive, summary);
    }

    private Optional<String> daemon(Pages.Ctx c, String name) {
        List<ConfigView> configs = data.configurations();
        Optional<ConfigView> config = configs.stream().filter(cv -> cv.name().equals(name)).findFirst();
        Optional<String> body = data.withDaemon(name, (d, ref) -> {
            Bundle owner = ref.getBundle();
            Map<String, String> limits = new TreeMap<>();
            d.limits().ifPresent(l -> limits.putAll(l.files()));
            // the configuration the service names (two configurations may claim one name), else the one of the name
            Object pid = ref.getProperty(Daemon.PROP_CONFIGURATION);
            Optional<ConfigView> own = pid == null ? config
                    : configs.stream().filter(cv -> cv.pid().equals(pid.toString())).findFirst().or(() -> config);
            return Pages.daemonBody(c, new Pages.Detail(DaemonView.of(name, d, true).withConfiguration(pid), d.spec(),
                    d.cgroupPath(), limits, own, d.recentLines(lines), owner == null ? "?" : owner.getSymbolicName(),
                    d.statusText()));
        });
        if (body.isPresent()) {
            return body;
        }
        return config.map(cv -> Pages.configOnlyBody(c, cv));
    }

    // ---------------------------------------------------------------- POST

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = sub(req);
        if (!path.equals("/action")) {
            resp.sendError(HttpServletResponse.SC_NOT_FOUND, "no such Corral action: " + path);
            return;
        }
        Subject subject = subject(req);
        String user = Roles.user(subject);
        if (!Roles.has(subject, adminRole)) {
            refuse(resp, "user " + (user == null ? "(unknown)" : user) + " lacks the role " + adminRole
                    + " needed to start, stop or restart daemons", user, req);
            return;
        }
        String crossSite = Csrf.crossSite(req.getHeader("Origin"), req.getHeader("Sec-Fetch-Site"), req.getScheme(),
                req.getHeader("Host"));
        if (crossSite != null) {
            refuse(resp, "cross-site request refused (" + crossSite + ")", user, req);
            return;
        }
        if (!csrf.valid(req.getParameter(Csrf.FIELD), user, sessionId(req))) {
            refuse(resp, "missing or wrong CSRF token: reload the page and try again", user, req);
            return;
        }
        String name = req.getParameter("name");
        String action = req.getParameter("action");
        if (name == null || action == null || !List.of("start", "stop", "restart").contains(action)) {
            resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "expected name and action = start, stop or restart");
            return;
        }
        String message;
        try {
            Optional<Boolean> done = data.withDaemon(name, (d, ref) -> {
                act(d, action);
                return Boolean.TRUE;
            });
            message = done.isPresent() ? action + " " + name + ": done" : "no daemon named " + name;
            LOG.info("Corral web console: user {} ran {} on daemon {}", user, action, name);
        } catch (RuntimeException e) {
            message = action + " " + name + " failed: " + e.getMessage();
            LOG.warn("Corral web console: {} of daemon {} by {} failed", action, name, user, e);
        }
        String root = pluginRoot(req);
        String back = "daemon".equals(req.getParameter("back")) ? root + "/daemon?name=" + Html.query(name) + "&msg="
                : root + "?msg=";
        resp.setStatus(HttpServletResponse.SC_SEE_OTHER);
        resp.setHeader("Location", back + Html.query(message));
    }

    private static void act(Daemon d, String action) {
        switch (action) {
            case "start": d.start(); break;
            case "stop": d.stop(); break;
            default: d.restart(); break;
        }
    }

    private static void refuse(HttpServletResponse resp, String why, String user, HttpServletRequest req)
            throws IOException {
        LOG.warn("Corral web console: refused {} {} from {} (user {}): {}", req.getMethod(), req.getRequestURI(),
                req.getRemoteAddr(), user, why);
        byte[] body = ("Corral: refused: " + why + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setStatus(HttpServletResponse.SC_FORBIDDEN);
        resp.setContentType("text/plain; charset=utf-8");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    // ---------------------------------------------------------------- request helpers

    private Pages.Ctx ctx(HttpServletRequest req) {
        Subject subject = subject(req);
        boolean admin = Roles.has(subject, adminRole);
        return new Pages.Ctx(pluginRoot(req), admin, admin ? csrf.token(Roles.user(subject), sessionId(req)) : "",
                Instant.now(), refresh);
    }

    private static Subject subject(HttpServletRequest req) {
        Object s = req.getAttribute(Roles.KARAF_SUBJECT_ATTRIBUTE);
        return s instanceof Subject ? (Subject) s : null;
    }

    private static String sessionId(HttpServletRequest req) {
        HttpSession s = req.getSession(false);
        return s == null ? null : s.getId();
    }

    /** {@code /system/console/corral} as the web console tells it, else from the request. */
    private static String pluginRoot(HttpServletRequest req) {
        Object root = req.getAttribute("felix.webconsole.pluginRoot");
        if (root instanceof String) {
            return (String) root;
        }
        return req.getContextPath() + req.getServletPath() + "/" + LABEL;
    }

    /** The part of the path after {@code /corral}: "", "/daemon", "/table.frag", ... */
    private static String sub(HttpServletRequest req) {
        String pi = req.getPathInfo();
        if (pi == null) {
            return "";
        }
        String prefix = "/" + LABEL;
        String rest = pi.startsWith(prefix) ? pi.substring(prefix.length()) : pi;
        return rest.equals("/") ? "" : rest;
    }

    private static void html(HttpServletResponse resp, String html) throws IOException {
        // inside the web console's page: it has set the content type and written its header already
        resp.getWriter().print(html);
    }

    private static void fragment(HttpServletResponse resp, String html) throws IOException {
        resp.setContentType(FRAGMENT_TYPE);
        resp.setHeader("Cache-Control", "no-store");
        resp.getWriter().print(html);
    }
}
