package org.corral.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Engine-wide figures of the Corral supervisor running in this framework, for operators' tools (the web
 * console page, the Prometheus endpoint, the console's {@code corral:doctor}). Registered once, as a singleton
 * OSGi service, by the supervisor bundle while its engine runs; it owns nothing and starts nothing, so any
 * bundle may hold it. Per-daemon figures are on the {@link Daemon} services.
 */
@ProviderType
public interface SupervisorStatus {

    /** How strongly programs are contained here (the same as every {@link ProcessService#containment()}). */
    Containment containment();

    /**
     * Helper processes running now: one per program (one-shot or daemon) that the native helper runs,
     * detached ones waiting for a hand-over not included. Always 0 in {@link Containment.Mode#JAVA_FALLBACK}.
     */
    int helpersRunning();

    /**
     * One-shot runs ({@link ProcessService#run}, {@link ProcessService#runAsync}, by any bundle) that ended since
     * the supervisor started, by result. The map has an entry for every {@link RunResult}; counts only grow
     * (until the supervisor bundle restarts).
     */
    Map<RunResult, Long> runs();

    /**
     * The checks of {@code corral:doctor}: containment mode, the helper for this architecture and its fragment,
     * the cgroup2 mount, each controller and its delegation down to the framework's cgroup, the limitations
     * in force. Reads the system each time (a few small files under {@code /proc} and the cgroup2 mount).
     */
    List<Finding> doctor();

    /** How a one-shot run ended. */
    enum RunResult {
        /** Exit code 0. */
        SUCCESS,
        /** A non-zero exit code. */
        FAILURE,
        /** Ended by a signal that Corral did not send. */
        SIGNAL,
        /** Killed by Corral because its timeout expired. */
        TIMEOUT,
        /** Killed by Corral on request: a cancelled future, an interrupted caller, its owner gone. */
        CANCELLED,
        /**
         * Did not run or could not be supervised to its end: the program was not found, the spec was refused,
         * the helper could not start it or was lost.
         */
        ERROR
    }

    /** How serious a {@link Finding} is. */
    enum Severity {
        OK, WARN, FAIL
    }

    /**
     * One line of the doctor's report.
     *
     * @param severity OK, WARN or FAIL
     * @param subject what was checked, e.g. {@code memory controller}
     * @param detail what was found
     * @param fix what to do about it (for WARN and FAIL findings that have a remedy)
     */
    record Finding(Severity severity, String subject, String detail, Optional<String> fix) {
    }
}
