package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.Readiness;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.ProcessServiceImpl;
import org.corral.supervisor.internal.daemon.DaemonListener;
import org.corral.supervisor.internal.daemon.DaemonSupervisor;
import org.corral.supervisor.internal.daemon.SupervisedDaemon;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A ProcessService that goes away stops its daemons together: N daemons cost one grace, not N. */
@ExtendWith(NoLeftovers.class)
class ProcessServiceCloseTest {

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    @Test
    void closeStopsEveryDaemonBeforeWaitingForAny() throws Exception {
        DaemonSupervisor sup = new DaemonSupervisor(corral.engine(), "close-test");
        ProcessServiceImpl service = new ProcessServiceImpl(corral.engine(), sup::start, "close-test");
        List<String> events = new ArrayList<>();
        DaemonListener l = new DaemonListener() {
            @Override
            public void stateChanged(SupervisedDaemon d, DaemonState s) {
                if (s == DaemonState.STOPPING || s == DaemonState.STOPPED) {
                    synchronized (events) {
                        events.add(s + " " + d.name());
                    }
                }
            }
        };
        sup.addListener(l);
        List<Daemon> ds = new ArrayList<>();
        for (String n : List.of("close-a", "close-b", "close-c")) {
            // ignores SIGTERM: each one needs its whole grace, then SIGKILL
            ds.add(service.start(DaemonSpec.builder(n, CommandSpec.builder(prog("ignore_sigterm"))
                    .grace(Duration.ofMillis(700)).build())
                    .readiness(Readiness.logLine("^ready$")).build()));
        }
        for (Daemon d : ds) {
            assertEquals(DaemonState.READY, d.await(Set.of(DaemonState.READY), Duration.ofSeconds(20)));
        }
        service.close();
        for (Daemon d : ds) {
            assertEquals(DaemonState.STOPPED, d.await(Set.of(DaemonState.STOPPED), Duration.ofSeconds(20)));
        }
        sup.close();
        List<String> seen;
        synchronized (events) {
            seen = new ArrayList<>(events);
        }
        int firstStopped = seen.indexOf(seen.stream().filter(e -> e.startsWith("STOPPED")).findFirst().orElseThrow());
        long stoppingBefore = seen.subList(0, firstStopped).stream().filter(e -> e.startsWith("STOPPING")).count();
        assertTrue(stoppingBefore == 3, "every daemon was stopping before the first one stopped: " + seen);
    }
}
