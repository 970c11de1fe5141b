package org.corral.web.internal;

import java.util.Hashtable;

import javax.servlet.Servlet;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes {@code /corral/metrics} to the OSGi HTTP Whiteboard as {@code org.corral.web} says: not at all when
 * {@code metrics.access = disabled}, otherwise a servlet that checks the address and, optionally, basic
 * authentication. A changed configuration replaces the registration.
 */
@Component(configurationPid = WebConfig.PID, service = {}, immediate = true)
@Designate(ocd = WebConfig.class)
public final class MetricsComponent {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsComponent.class);

    /** Where the endpoint is, under the HTTP service's root. */
    static final String PATH = "/corral/metrics";

    private BundleContext context;
    private ServiceRegistration<Servlet> registration;

    @Activate
    void activate(BundleContext ctx, WebConfig config) {
        context = ctx;
        apply(config);
    }

    @Modified
    void modified(WebConfig config) {
        apply(config);
    }

    @Deactivate
    synchronized void deactivate() {
        unregister();
    }

    private synchronized void apply(WebConfig config) {
        unregister();
        MetricsAccess.Mode mode;
        try {
            mode = MetricsAccess.Mode.parse(config.metrics_access());
        } catch (IllegalArgumentException e) {
            // a typo must not open the endpoint wider: keep the safe default and say so
            LOG.error("{}; using localhost", e.getMessage());
            mode = MetricsAccess.Mode.LOCALHOST;
        }
        if (mode == MetricsAccess.Mode.DISABLED) {
            LOG.info("Corral metrics: {} is disabled ({}: metrics.access = disabled)", PATH, WebConfig.PID);
            return;
        }
        MetricsServlet.Settings s = new MetricsServlet.Settings(mode, config.metrics_auth(), config.metrics_realm(),
                config.metrics_role());
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.http.whiteboard.servlet.pattern", PATH);
        props.put("osgi.http.whiteboard.servlet.name", "corral-metrics");
        props.put("service.description", "Corral Prometheus metrics");
        registration = context.registerService(Servlet.class, new MetricsServlet(new CorralData(context), s), props);
        LOG.info("Corral metrics at {}: {}{}", PATH, mode == MetricsAccess.Mode.ANY ? "any address" : "loopback only",
                s.auth() ? ", basic authentication against JAAS realm " + s.realm()
                        + (s.role().isBlank() ? "" : " with role " + s.role()) : "");
    }

    private void unregister() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // already gone (bundle stopping)
            }
            registration = null;
        }
    }
}
