package org.corral.supervisor.internal.daemon;

import java.lang.management.ManagementFactory;
import java.util.Optional;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;

import org.corral.api.Daemon;
import org.corral.api.values.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Registers one {@link DaemonMXBean} per daemon with the platform MBean server. */
public final class DaemonMBeans {

    private static final Logger LOG = LoggerFactory.getLogger(DaemonMBeans.class);

    private DaemonMBeans() {
    }

    /** {@code org.corral:type=Daemon,name=<name>}. */
    public static ObjectName objectName(String daemonName) {
        try {
            return new ObjectName("org.corral:type=Daemon,name=" + ObjectName.quote(daemonName).replace("\"", ""));
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("daemon name '" + daemonName + "' cannot name an MBean", e);
        }
    }

    /**
     * Registers the MBean of {@code d}.
     *
     * @return the registered name, or empty when it could not be registered (logged)
     */
    public static Optional<ObjectName> register(SupervisedDaemon d) {
        return register(d, objectName(d.name()), true);
    }

    /**
     * Registers the MBean of a daemon that is not supervised ({@code INVALID}: a configuration that cannot run)
     * under {@code org.corral:type=Daemon,name=<name>}, or, when a daemon of that name has it already (two
     * configurations with one name), under {@code org.corral:type=Daemon,name=<name>,configuration=<pid>}.
     */
    public static Optional<ObjectName> registerInvalid(Daemon d, String configurationPid) {
        ObjectName on = objectName(d.name());
        if (ManagementFactory.getPlatformMBeanServer().isRegistered(on)) {
            try {
                on = new ObjectName(on + ",configuration=" + ObjectName.quote(configurationPid));
            } catch (MalformedObjectNameException e) {
                return Optional.empty();
            }
        }
        return register(d, on, false);
    }

    private static Optional<ObjectName> register(Daemon d, ObjectName on, boolean warnIfTaken) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            server.registerMBean(new StandardMBean(new View(d), DaemonMXBean.class, true), on);
            return Optional.of(on);
        } catch (InstanceAlreadyExistsException e) {
            if (warnIfTaken) {
                LOG.warn("JMX: {} is already registered (another Corral instance in this JVM?); daemon '{}' has no"
                        + " MBean", on, d.name());
            }
        } catch (JMException | RuntimeException e) {
            LOG.warn("JMX: cannot register {}: {}", on, e.toString());
        }
        return Optional.empty();
    }

    public static void unregister(ObjectName on) {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(on);
        } catch (InstanceNotFoundException e) {
            // already gone
        } catch (JMException | RuntimeException e) {
            LOG.warn("JMX: cannot unregister {}: {}", on, e.toString());
        }
    }

    /**
     * The MXBean implementation: reads through to the daemon. Nothing it shows holds a secret: the configuration's
     * keys come with {@code env.<NAME>} values masked, for every JMX user.
     */
    static final class View implements DaemonMXBean {
        private final Daemon d;

        View(Daemon d) {
            this.d = d;
        }

        @Override
        public String[] getProblems() {
            return d.problems().stream().map(p -> Printable.escape(p.text())).toArray(String[]::new);
        }

        @Override
        public String[] getWaitingFor() {
            return d.waitingFor().toArray(new String[0]);
        }

        @Override
        public String getConfiguration() {
            return d instanceof Configured && ((Configured) d).configurationPid() != null
                    ? ((Configured) d).configurationPid() : "";
        }

        @Override
        public String getConfigurationFile() {
            return d instanceof Configured && ((Configured) d).configurationFile() != null
                    ? ((Configured) d).configurationFile() : "";
        }

        @Override
        public String[] getConfigurationKeys() {
            return d instanceof Configured ? ((Configured) d).configurationKeys().toArray(new String[0]) : new String[0];
        }

        @Override
        public String getName() {
            return d.name();
        }

        @Override
        public String getState() {
            return d.state().name();
        }

        @Override
        public long getPid() {
            return d.pid().orElse(-1);
        }

        @Override
        public long getHelperPid() {
            return d.helperPid().orElse(-1);
        }

        @Override
        public int getRestarts() {
            return d.restarts();
        }

        @Override
        public long getMemoryCurrent() {
            return d instanceof SupervisedDaemon ? ((SupervisedDaemon) d).memoryCurrent() : -1;
        }

        @Override
        public String getCgroupPath() {
            return d.cgroupPath().orElse("");
        }

        @Override
        public String getStartedAt() {
            return d.startedAt().map(Object::toString).orElse("");
        }

        @Override
        public String getLastExit() {
            return d.lastExit().map(Object::toString).orElse("");
        }

        @Override
        public String getStatusText() {
            return d.statusText().orElse("");
        }

        @Override
        public long getStdoutBytes() {
            return d.stdoutBytes();
        }

        @Override
        public long getStderrBytes() {
            return d.stderrBytes();
        }

        @Override
        public String[] getCommand() {
            return d.spec().command().argv().stream().map(Printable::escape).toArray(String[]::new);
        }

        @Override
        public String[] getRecentLines() {
            return d.recentLines(100).toArray(new String[0]);
        }

        @Override
        public void start() {
            d.start();
        }

        @Override
        public void stop() {
            d.stop();
        }

        @Override
        public void restart() {
            d.restart();
        }

        @Override
        public void signal(String signal) {
            d.signal(org.corral.api.Signal.parse(signal));
        }

        @Override
        public void reload() {
            d.reload();
        }
    }
}
