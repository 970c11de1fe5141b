package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.security.PrivilegedAction;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import javax.security.auth.Subject;

import org.apache.karaf.jaas.boot.principal.UserPrincipal;
import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonEvents;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.Readiness;
import org.corral.api.Signal;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 12.5 with real programs: a signal to the program or its process group, a reload with the daemon's reload
 * signal, the MBean's operations, and an event for each naming the signal and who asked.
 */
@ExtendWith(NoLeftovers.class)
class SignalReloadTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Says which signals it got; a child in its process group says so too. */
    private static final String TRAPS = "trap 'echo got-hup' HUP; trap 'echo got-usr1' USR1; trap 'echo got-usr2' USR2;"
            + " (trap 'echo child-got-usr1' USR1; while :; do sleep 1 & wait $!; done) & echo ready;"
            + " while :; do sleep 1 & wait $!; done";

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    private static void awaitLine(Daemon d, String line) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!d.recentLines(100).contains(line) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(d.recentLines(100).contains(line), "no line '" + line + "' in " + d.recentLines(100));
    }

    private static Map<String, Object> awaitEvent(List<Object[]> events, Predicate<Object[]> which)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (Object[] e : events) {
                if (which.test(e)) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> p = (Map<String, Object>) e[1];
                    return p;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no such event in " + events);
    }

    @Test
    void signalReloadAndTheirEvents() throws Exception {
        SupervisedDaemon d = (SupervisedDaemon) corral.start(DaemonSpec.builder("signals",
                CommandSpec.builder("/bin/sh", "-c", TRAPS).build()).readiness(Readiness.logLine("^ready$"))
                .reloadSignal(Signal.USR2).build());
        List<Object[]> events = new CopyOnWriteArrayList<>();
        d.addListener(new DaemonListener() {
            @Override
            public void event(SupervisedDaemon daemon, String topic, Map<String, Object> properties) {
                events.add(new Object[] {topic, properties});
            }
        });
        try {
            d.await(Set.of(DaemonState.READY), WAIT);
            d.signal(Signal.HUP);
            awaitLine(d, "got-hup");
            Map<String, Object> e = awaitEvent(events, x -> x[0].equals(DaemonEvents.SIGNALED));
            assertEquals("HUP", e.get(DaemonEvents.SIGNAL_SENT));
            assertEquals("program", e.get(DaemonEvents.TARGET));
            assertEquals(d.pid().getAsLong(), e.get(DaemonEvents.PID));
            assertFalse(e.containsKey(DaemonEvents.REQUESTED_BY), "no Subject, nobody named");

            // a reload sends the daemon's reload signal, here USR2; asked by a Karaf user, who is named
            Subject admin = new Subject();
            admin.getPrincipals().add(new UserPrincipal("alice"));
            Subject.doAs(admin, (PrivilegedAction<Void>) () -> {
                d.reload();
                return null;
            });
            awaitLine(d, "got-usr2");
            e = awaitEvent(events, x -> x[0].equals(DaemonEvents.RELOADED));
            assertEquals("USR2", e.get(DaemonEvents.SIGNAL_SENT));
            assertEquals("alice", e.get(DaemonEvents.REQUESTED_BY));

            // the process group: the child gets it too
            d.signalGroup(Signal.USR1);
            awaitLine(d, "got-usr1");
            awaitLine(d, "child-got-usr1");
            assertEquals("group", awaitEvent(events, x -> x[0].equals(DaemonEvents.SIGNALED)
                    && "USR1".equals(((Map<?, ?>) x[1]).get(DaemonEvents.SIGNAL_SENT))).get(DaemonEvents.TARGET));

            // the MBean's operations
            javax.management.ObjectName on = DaemonMBeans.objectName("signals");
            ManagementFactory.getPlatformMBeanServer().invoke(on, "signal", new Object[] {"SIGHUP"},
                    new String[] {String.class.getName()});
            ManagementFactory.getPlatformMBeanServer().invoke(on, "reload", new Object[0], new String[0]);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (d.recentLines(100).stream().filter("got-hup"::equals).count() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(2, d.recentLines(100).stream().filter("got-hup"::equals).count(), d.recentLines(100).toString());
            awaitLine(d, "got-usr2");
        } finally {
            d.stop();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, d::reload);
        assertEquals("daemon 'signals' is STOPPED: no program to reload", e.getMessage());
        assertThrows(IllegalStateException.class, () -> d.signal(Signal.HUP));
    }
}
