package org.corral.itests.systemd;

import java.io.IOException;
import java.util.Optional;

import javax.management.InstanceNotFoundException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import com.sun.tools.attach.VirtualMachine;

/**
 * The daemons as Karaf's JVM publishes them ({@code org.corral:type=Daemon,name=<name>} on its platform MBean
 * server), read through the JDK's attach API: the test runs as the same user (root) on the same machine, so no
 * Karaf user, port or password is involved.
 */
final class KarafJmx implements AutoCloseable {

    /** One daemon's attributes at one moment. */
    record DaemonView(String name, String state, long pid, long helperPid, int restarts, String cgroupPath,
            String lastExit) {
    }

    private final JMXConnector connector;
    private final MBeanServerConnection server;

    private KarafJmx(JMXConnector connector) throws IOException {
        this.connector = connector;
        this.server = connector.getMBeanServerConnection();
    }

    static KarafJmx attach(long pid) {
        try {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            try {
                String url = vm.startLocalManagementAgent();
                return new KarafJmx(JMXConnectorFactory.connect(new JMXServiceURL(url)));
            } finally {
                vm.detach();
            }
        } catch (Exception e) {
            throw new AssertionError("cannot attach to Karaf's JVM (pid " + pid + ") for its MBeans: " + e, e);
        }
    }

    /** The daemon's MBean, empty while it is not registered. */
    Optional<DaemonView> daemon(String name) {
        try {
            ObjectName on = new ObjectName("org.corral:type=Daemon,name=" + name);
            String[] attrs = {"State", "Pid", "HelperPid", "Restarts", "CgroupPath", "LastExit"};
            var list = server.getAttributes(on, attrs).asList();
            if (list.size() != attrs.length) {
                return Optional.empty();
            }
            return Optional.of(new DaemonView(name, (String) list.get(0).getValue(), (Long) list.get(1).getValue(),
                    (Long) list.get(2).getValue(), (Integer) list.get(3).getValue(),
                    (String) list.get(4).getValue(), (String) list.get(5).getValue()));
        } catch (InstanceNotFoundException e) {
            return Optional.empty();
        } catch (Exception e) {
            throw new AssertionError("cannot read the MBean of daemon " + name + ": " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            connector.close();
        } catch (IOException e) {
            // Karaf went away
        }
    }
}
