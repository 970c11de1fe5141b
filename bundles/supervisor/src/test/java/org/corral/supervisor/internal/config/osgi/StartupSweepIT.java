package org.corral.supervisor.internal.config.osgi;

import static org.corral.supervisor.internal.config.osgi.EmbeddedFelix.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.UUID;

import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.DefaultBase;
import org.corral.supervisor.internal.config.DaemonConfigParser;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The start-up sweep at the activation of the supervisor's core, in a real framework: a stale cgroup under the
 * default base (named by the framework property {@value DefaultBase#PROPERTY}, here through the system property
 * Felix falls back to) is ended and removed when the supervisor starts; and a base a daemon used before is
 * remembered in the bundle data area and swept at the next activation, although no configuration names it any more.
 */
@ExtendWith(NoLeftovers.class)
class StartupSweepIT {

    static final String GONE = "corral-" + Integer.MAX_VALUE + "-7-";
    CgroupManager m;
    String top;
    Process stray;

    @BeforeEach
    void setUp() {
        m = CgroupManager.open();
        top = "corral-itsweep-" + UUID.randomUUID().toString().substring(0, 8);
        System.setProperty(DefaultBase.PROPERTY, top + "/default");
    }

    @AfterEach
    void tearDown() throws Exception {
        System.clearProperty(DefaultBase.PROPERTY);
        try {
            if (stray != null) {
                stray.descendants().forEach(ProcessHandle::destroyForcibly);
                stray.destroyForcibly();
            }
            Path t = m.resolve(top);
            if (Files.isDirectory(t)) {
                m.kill(t, Duration.ZERO);
                m.remove(List.of(t));
            }
        } finally {
            m.close();
        }
    }

    /** A cgroup named as if a JVM that is gone had made it, with a SIGTERM-ignoring, setsid'd process in it. */
    Path plantStale(String base) throws IOException {
        Path dir = Files.createDirectories(m.resolve(base).resolve(GONE + "1"));
        stray = new ProcessBuilder("/bin/sh", "-c", "echo $$ > '" + dir.resolve("cgroup.procs") + "' && trap '' TERM && "
                + "echo ready && exec " + TestSupport.prog("sleep_ms") + " 600000")
                .redirectErrorStream(true).start();
        String first = new BufferedReader(new InputStreamReader(stray.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        assertEquals("ready", first);
        assertEquals(1, m.pids(dir).size());
        return dir;
    }

    @Test
    void theDefaultBaseIsSweptWhenTheSupervisorStarts() throws Exception {
        Path stale = plantStale(top + "/default");
        long pid = m.pids(stale).get(0);
        try (EmbeddedFelix felix = new EmbeddedFelix()) {
            assertEquals(Bundle.ACTIVE, felix.bundle("org.corral.supervisor").getState());
            eventually("the stray ended", () -> !TestSupport.alive(pid));
            assertFalse(Files.exists(stale), "the stale cgroup is removed");
            assertTrue(EmbeddedFelix.LogCapture.lines().stream().anyMatch(l -> l.contains("start-up sweep: removed 1 stale"
                    + " cgroup(s) left by 1 JVM(s) that are gone, killing 1 process(es), under " + m.resolve(top + "/default"))),
                    EmbeddedFelix.LogCapture.tail(20));
        }
    }

    @Test
    void aBaseUsedBeforeIsRememberedAndSweptAtTheNextActivation() throws Exception {
        String other = top + "/daemons";
        try (EmbeddedFelix felix = new EmbeddedFelix()) {
            ConfigurationAdmin cm = felix.service(ConfigurationAdmin.class);
            Configuration c = cm.getFactoryConfiguration(DaemonConfigParser.FACTORY_PID, "based", "?");
            Hashtable<String, Object> p = new Hashtable<>();
            p.put("command", TestSupport.prog("sleep_ms"));
            p.put("args", "600000");
            p.put("cgroup.base", other);
            p.put("kill.grace", "200ms");
            p.put("env." + TestSupport.TAG_VAR, TestSupport.TAG);
            c.update(p);
            ServiceReference<?> ref = felix.await("(&(daemon.name=based)(daemon.state=READY))");
            long daemonPid = (Long) ref.getProperty("daemon.pid");
            c.delete();
            eventually("the daemon gone", () -> !TestSupport.alive(daemonPid));
            Bundle supervisor = felix.bundle("org.corral.supervisor");
            supervisor.stop();
            Path remembered = felix.storage().resolve("bundle" + supervisor.getBundleId()).resolve("data/cgroup-bases");
            assertTrue(Files.readAllLines(remembered).contains(other), "remembered in " + remembered);
            Path stale = plantStale(other);
            long pid = m.pids(stale).get(0);
            supervisor.start();
            eventually("the stray under the remembered base ended", () -> !TestSupport.alive(pid));
            assertFalse(Files.exists(stale));
        }
    }
}
