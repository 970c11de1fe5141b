package org.corral.web.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/** The configuration {@code org.corral.web} ({@code etc/org.corral.web.cfg}); every key has a safe default. */
@ObjectClassDefinition(id = WebConfig.PID, name = "Corral web console page and metrics",
        description = "Who may reach /corral/metrics, and which role may start, stop and restart daemons on the"
                + " web console page /system/console/corral.")
@interface WebConfig {

    String PID = "org.corral.web";

    @AttributeDefinition(name = "metrics.access", description = "Who may scrape /corral/metrics: disabled (the"
            + " endpoint is not registered), localhost (requests from a loopback address only) or any (every"
            + " address the HTTP service listens on).", options = {
                @Option(value = "disabled", label = "disabled"), @Option(value = "localhost", label = "localhost"),
                @Option(value = "any", label = "any")})
    String metrics_access() default "localhost";

    @AttributeDefinition(name = "metrics.auth", description = "Require HTTP basic authentication on /corral/metrics,"
            + " checked against the JAAS realm metrics.realm (Karaf's users: etc/users.properties).")
    boolean metrics_auth() default false;

    @AttributeDefinition(name = "metrics.realm", description = "The JAAS realm of metrics.auth.")
    String metrics_realm() default "karaf";

    @AttributeDefinition(name = "metrics.role", description = "With metrics.auth: the role a user needs to scrape"
            + " (empty: any user the realm accepts). A role name, or class:name for a principal class other"
            + " than Karaf's RolePrincipal.")
    String metrics_role() default "viewer";

    @AttributeDefinition(name = "console.admin.role", description = "The role that sees and may use the start,"
            + " stop and restart buttons of the web console page (others see the pages only). A role name, or"
            + " class:name.")
    String console_admin_role() default "admin";

    @AttributeDefinition(name = "console.refresh", description = "Seconds between the page's automatic refreshes"
            + " (1 to 3600).")
    int console_refresh() default 3;

    @AttributeDefinition(name = "console.lines", description = "Output lines shown on a daemon's page (1 to 1000).")
    int console_lines() default 50;
}
