package org.corral.web.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import javax.security.auth.Subject;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /corral/metrics}: the Prometheus text format, after the access checks of {@code org.corral.web}
 * (loopback only by default; optionally HTTP basic authentication against a JAAS realm, with a role).
 */
final class MetricsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServlet.class);

    /** The settings in force, read by each request. */
    record Settings(MetricsAccess.Mode mode, boolean auth, String realm, String role) {
    }

    private final transient CorralData data;
    private final transient Settings settings;

    MetricsServlet(CorralData data, Settings settings) {
        this.data = data;
        this.settings = settings;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (settings.mode() == MetricsAccess.Mode.LOCALHOST && !MetricsAccess.isLoopback(req.getRemoteAddr())) {
            resp.sendError(HttpServletResponse.SC_FORBIDDEN, "/corral/metrics answers loopback addresses only"
                    + " (" + WebConfig.PID + ": metrics.access = localhost)");
            return;
        }
        if (settings.auth()) {
            Optional<MetricsAccess.Credentials> c = MetricsAccess.basic(req.getHeader("Authorization"));
            Subject subject;
            try {
                subject = c.isPresent() ? JaasLogin.login(settings.realm(), c.get().user(), c.get().password()) : null;
            } catch (IllegalStateException e) {
                LOG.warn("corral web: /corral/metrics: {}", e.getMessage());
                resp.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "the JAAS realm cannot be used; see the log");
                return;
            }
            if (subject == null) {
                resp.setHeader("WWW-Authenticate", "Basic realm=\"" + settings.realm() + "\", charset=\"UTF-8\"");
                resp.sendError(HttpServletResponse.SC_UNAUTHORIZED);
                return;
            }
            if (!Roles.has(subject, settings.role())) {
                resp.sendError(HttpServletResponse.SC_FORBIDDEN, "user " + c.get().user() + " lacks the role "
                        + settings.role() + " (" + WebConfig.PID + ": metrics.role)");
                return;
            }
        }
        List<DaemonView> daemons = data.daemons(true);
        List<ConfigView> inactive = CorralData.withoutDaemon(data.configurations(), daemons);
        Optional<Metrics.Engine> engine = data.withStatus(s -> new Metrics.Engine(s.containment().mode(),
                s.helpersRunning(), s.runs()));
        byte[] body = Metrics.render(daemons, inactive, engine).getBytes(StandardCharsets.UTF_8);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(PromText.CONTENT_TYPE);
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
