package org.corral.supervisor.internal.config.osgi;

import static org.corral.supervisor.internal.config.osgi.EmbeddedFelix.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Hashtable;

import org.corral.supervisor.internal.config.DaemonConfigParser;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Event Admin is optional: in a framework that has neither the Event Admin bundle nor its API package, the
 * supervisor resolves (its import of {@code org.osgi.service.event} stays unwired) and daemons work.
 */
@ExtendWith(NoLeftovers.class)
class NoEventAdminIT {

    @Test
    void daemonsRunWithoutEventAdmin() throws Exception {
        try (EmbeddedFelix felix = new EmbeddedFelix(false)) {
            Bundle supervisor = felix.bundle("org.corral.supervisor");
            assertEquals(Bundle.ACTIVE, supervisor.getState());
            assertTrue(supervisor.adapt(BundleWiring.class).getRequiredWires("osgi.wiring.package").stream()
                    .noneMatch(w -> "org.osgi.service.event".equals(
                            w.getCapability().getAttributes().get("osgi.wiring.package"))));
            ConfigurationAdmin cm = felix.service(ConfigurationAdmin.class);
            Configuration c = cm.getFactoryConfiguration(DaemonConfigParser.FACTORY_PID, "quiet", "?");
            Hashtable<String, Object> p = new Hashtable<>();
            p.put("command", "sleep");
            p.put("args", "600");
            p.put("env." + TestSupport.TAG_VAR, TestSupport.TAG);
            c.update(p);
            ServiceReference<?> ref = felix.await("(&(daemon.name=quiet)(daemon.state=READY))");
            long pid = (Long) ref.getProperty("daemon.pid");
            assertTrue(TestSupport.alive(pid));
            c.delete();
            eventually("the program gone", () -> !TestSupport.alive(pid));
        }
    }
}
