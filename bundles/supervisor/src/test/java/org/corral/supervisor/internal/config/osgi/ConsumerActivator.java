package org.corral.supervisor.internal.config.osgi;

import java.time.Duration;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ProcessService;
import org.corral.api.Readiness;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The activator of a tiny consumer bundle that {@link DaemonConfigIT} builds at run time: it takes its own
 * (bundle-scoped) ProcessService, starts a command ({@code runAsync}) and a daemon whose program spawns two
 * children, and does nothing when stopped: Corral must end all of them when the bundle goes away.
 * Every program carries the environment variables named by the system properties
 * {@code corral.it.env.name}/{@code corral.it.env.value}.
 */
public final class ConsumerActivator implements BundleActivator {

    @Override
    public void start(BundleContext context) throws Exception {
        ServiceReference<ProcessService> ref = context.getServiceReference(ProcessService.class);
        ProcessService ps = context.getService(ref);
        String var = System.getProperty("corral.it.env.name");
        String value = System.getProperty("corral.it.env.value");
        ps.runAsync(CommandSpec.builder("sleep", "600").env(var, value).collectOutput(false).build());
        Daemon d = ps.start(DaemonSpec.builder("consumer-daemon", CommandSpec.builder(
                System.getProperty("corral.it.spawn"), "2", "--wait").env(var, value).build())
                .readiness(Readiness.logLine("^ready$")).build());
        d.await(Set.of(DaemonState.READY), Duration.ofSeconds(30));
    }

    @Override
    public void stop(BundleContext context) {
        // nothing: the framework ungets the ProcessService, and Corral stops what this bundle started
    }
}
