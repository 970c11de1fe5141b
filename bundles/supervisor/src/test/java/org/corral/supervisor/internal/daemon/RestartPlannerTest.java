package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.corral.api.CommandSpec;
import org.corral.api.DaemonSpec;
import org.corral.api.ExitStatusSet;
import org.corral.api.RestartPolicy;
import org.corral.api.Signal;
import org.corral.supervisor.internal.daemon.RestartPlanner.Action;
import org.corral.supervisor.internal.daemon.RestartPlanner.Decision;
import org.junit.jupiter.api.Test;

class RestartPlannerTest {

    private static final long MS = 1_000_000L;

    private long now = 1_000_000_000L;

    private static DaemonSpec.Builder spec(RestartPolicy p) {
        return DaemonSpec.builder("d", CommandSpec.of("/bin/true")).restart(p);
    }

    private Decision crashAfter(RestartPlanner planner, long runMs, int code) {
        planner.started(now);
        now += runMs * MS;
        return planner.ended(now, code, null);
    }

    @Test
    void permanentRestartsEveryEnd() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).intensity(100, Duration.ofMinutes(1)).build());
        assertEquals(Action.RESTART, crashAfter(p, 10, 0).action());
        assertEquals(Action.RESTART, crashAfter(p, 10, 3).action());
        p.started(now);
        assertEquals(Action.RESTART, p.ended(now + MS, -1, Signal.SEGV).action());
    }

    @Test
    void transientRestartsOnlyAbnormalEnds() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.TRANSIENT).build());
        Decision d = crashAfter(p, 10, 0);
        assertEquals(Action.STOP, d.action());
        assertTrue(d.reason().contains("exited with code 0, restart policy transient does not restart it"), d.reason());
        assertEquals(Action.RESTART, crashAfter(p, 10, 1).action());
        p.started(now);
        assertEquals(Action.RESTART, p.ended(now + MS, -1, Signal.SEGV).action());
    }

    @Test
    void successExitStatusMakesAnEndCleanForTransientAndTheLog() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.TRANSIENT)
                .successExitStatus(ExitStatusSet.parse("3 SIGTERM")).build());
        Decision three = crashAfter(p, 10, 3);
        assertEquals(Action.STOP, three.action());
        assertFalse(three.failure());
        assertEquals("exited with code 3 (a clean end: success.exit.status lists it), restart policy transient does"
                + " not restart it", three.reason());
        p.started(now);
        Decision term = p.ended(now + MS, -1, Signal.TERM);
        assertEquals(Action.STOP, term.action());
        assertEquals("killed by SIGTERM (a clean end: success.exit.status lists it), restart policy transient does"
                + " not restart it", term.reason());
        Decision four = crashAfter(p, 10, 4);
        assertEquals(Action.RESTART, four.action(), "not listed: a failure");
        assertTrue(four.failure());
        p.started(now);
        Decision kill = p.ended(now + MS, -1, Signal.KILL);
        assertEquals(Action.RESTART, kill.action(), "a listed code is not the signal: SIGKILL is unclean");
        assertTrue(kill.reason().startsWith("killed by SIGKILL, restarting in "), kill.reason());
    }

    @Test
    void aCleanEndUnderPermanentIsRestartedButNoFailure() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).successExitStatus(ExitStatusSet.codes(75))
                .build());
        Decision zero = crashAfter(p, 10, 0);
        assertEquals(Action.RESTART, zero.action());
        assertFalse(zero.failure());
        Decision listed = crashAfter(p, 10, 75);
        assertEquals(Action.RESTART, listed.action());
        assertFalse(listed.failure());
        assertTrue(crashAfter(p, 10, 1).failure());
    }

    @Test
    void restartPreventExitStatusWinsOverEveryPolicy() {
        for (RestartPolicy policy : RestartPolicy.values()) {
            RestartPlanner p = new RestartPlanner(spec(policy).restartPreventExitStatus(ExitStatusSet.parse("78, ABRT"))
                    .build());
            Decision d = crashAfter(p, 10, 78);
            assertEquals(Action.STOP, d.action(), policy.toString());
            assertTrue(d.failure(), "78 is not clean");
            assertEquals("exited with code 78; restart.prevent.exit.status lists it: not restarted", d.reason());
            p.started(now);
            Decision abrt = p.ended(now + MS, -1, Signal.ABRT);
            assertEquals(Action.STOP, abrt.action(), policy + " SIGABRT");
            assertEquals("killed by SIGABRT; restart.prevent.exit.status lists it: not restarted", abrt.reason());
            if (policy != RestartPolicy.TEMPORARY) {
                assertEquals(Action.RESTART, crashAfter(p, 10, 77).action(), policy + " 77 is not listed");
                assertEquals(Action.RESTART, p.failedStart(now, "readiness timeout").action(),
                        "a failed start is no exit status: the policy decides");
                assertEquals(Action.RESTART, p.abnormalEnd(now, "watchdog timeout").action());
            }
        }
        RestartPlanner both = new RestartPlanner(spec(RestartPolicy.PERMANENT).successExitStatus(ExitStatusSet.codes(0, 3))
                .restartPreventExitStatus(ExitStatusSet.codes(3)).build());
        Decision d = crashAfter(both, 10, 3);
        assertEquals(Action.STOP, d.action());
        assertFalse(d.failure(), "listed in both: clean and not restarted");
    }

    @Test
    void temporaryNeverRestartsAndFailsOnAFailedStart() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.TEMPORARY).build());
        assertEquals(Action.STOP, crashAfter(p, 10, 1).action());
        p.started(now);
        assertEquals(Action.STOP, p.ended(now + MS, -1, Signal.SEGV).action());
        Decision d = p.failedStart(now, "readiness check did not pass within 5s");
        assertEquals(Action.FAIL, d.action());
        assertEquals("readiness check did not pass within 5s", d.reason());
    }

    @Test
    void failedStartIsAnAbnormalEndUnderTheOtherPolicies() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.TRANSIENT).build());
        Decision d = p.failedStart(now, "exec failed");
        assertEquals(Action.RESTART, d.action());
        assertEquals(Duration.ofMillis(100), d.delay());
    }

    @Test
    void exponentialBackOffWithCap() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).restartDelay(Duration.ofMillis(100))
                .maxRestartDelay(Duration.ofSeconds(1)).backoffFactor(2).intensity(100, Duration.ofSeconds(1)).build());
        long[] expected = {100, 200, 400, 800, 1000, 1000};
        for (long e : expected) {
            Decision d = crashAfter(p, 5, 1);
            assertEquals(Action.RESTART, d.action());
            assertEquals(Duration.ofMillis(e), d.delay());
            now += d.delay().toNanos() + 2 * MS; // the restart itself; intensity window of 1 s slides
        }
    }

    @Test
    void constantDelayWithFactorOne() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).restartDelay(Duration.ofMillis(300))
                .backoffFactor(1).intensity(100, Duration.ofSeconds(1)).build());
        for (int i = 0; i < 5; i++) {
            assertEquals(Duration.ofMillis(300), crashAfter(p, 1, 1).delay());
        }
    }

    @Test
    void stableRunResetsTheBackOff() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).restartDelay(Duration.ofMillis(100))
                .maxRestartDelay(Duration.ofSeconds(5)).intensity(100, Duration.ofMinutes(10)).build());
        assertEquals(Duration.ofMillis(100), crashAfter(p, 10, 1).delay());
        assertEquals(Duration.ofMillis(200), crashAfter(p, 10, 1).delay());
        assertEquals(Duration.ofMillis(400), crashAfter(p, 4_999, 1).delay(), "4.999 s is not stable yet");
        assertEquals(Duration.ofMillis(100), crashAfter(p, 5_000, 1).delay(), "ran as long as the cap: stable");
        assertEquals(Duration.ofMillis(200), crashAfter(p, 10, 1).delay());
    }

    @Test
    void intensityExceededFails() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).restartDelay(Duration.ZERO)
                .intensity(3, Duration.ofSeconds(10)).build());
        for (int i = 0; i < 3; i++) {
            assertEquals(Action.RESTART, crashAfter(p, 100, 1).action(), "restart " + (i + 1));
        }
        Decision d = crashAfter(p, 100, 1);
        assertEquals(Action.FAIL, d.action());
        assertTrue(d.reason().contains("exited with code 1; restarted 3 times within 10s (intensity 3 per 10s exceeded)"),
                d.reason());
    }

    @Test
    void restartsOutsideTheWindowDoNotCount() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).restartDelay(Duration.ZERO)
                .intensity(2, Duration.ofSeconds(10)).build());
        assertEquals(Action.RESTART, crashAfter(p, 1_000, 1).action()); // t=1s
        assertEquals(Action.RESTART, crashAfter(p, 5_000, 1).action()); // t=6s
        assertEquals(Action.RESTART, crashAfter(p, 5_000, 1).action()); // t=11s: the first one left the window
        assertEquals(2, p.restartsInWindow(now));
        assertEquals(Action.FAIL, crashAfter(p, 1_000, 1).action()); // t=12s: 6s and 11s still inside
    }

    @Test
    void zeroIntensityFailsOnTheFirstEnd() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).intensity(0, Duration.ofSeconds(1)).build());
        assertEquals(Action.FAIL, crashAfter(p, 5_000, 1).action());
    }

    @Test
    void failedStartsCountTowardsIntensity() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).intensity(1, Duration.ofSeconds(10)).build());
        assertEquals(Action.RESTART, p.failedStart(now, "readiness timeout").action());
        now += 500 * MS;
        Decision d = p.failedStart(now, "readiness timeout");
        assertEquals(Action.FAIL, d.action());
        assertTrue(d.reason().startsWith("readiness timeout; restarted 1 times"), d.reason());
    }

    @Test
    void resetClearsHistoryAndBackOff() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).intensity(2, Duration.ofMinutes(1)).build());
        crashAfter(p, 1, 1);
        crashAfter(p, 1, 1);
        assertEquals(Action.FAIL, crashAfter(p, 1, 1).action());
        p.reset();
        Decision d = crashAfter(p, 1, 1);
        assertEquals(Action.RESTART, d.action());
        assertEquals(Duration.ofMillis(100), d.delay());
    }

    @Test
    void updateTakesNewSettingsKeepingHistory() {
        RestartPlanner p = new RestartPlanner(spec(RestartPolicy.PERMANENT).intensity(5, Duration.ofMinutes(1)).build());
        crashAfter(p, 1, 1);
        crashAfter(p, 1, 1);
        p.update(spec(RestartPolicy.PERMANENT).intensity(2, Duration.ofMinutes(1)).build());
        assertEquals(Action.FAIL, crashAfter(p, 1, 1).action());
        p.update(spec(RestartPolicy.TEMPORARY).build());
        assertEquals(Action.STOP, crashAfter(p, 1, 1).action());
    }
}
