package org.corral.supervisor.internal;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

import org.corral.api.ProcessResult;
import org.corral.api.SupervisorStatus.RunResult;

/**
 * How many one-shot runs ended, by {@link RunResult}: shared by every {@link ProcessServiceImpl} of one engine
 * (in OSGi, every bundle's ProcessService), read by {@code SupervisorStatus.runs()}. Lock-free.
 */
public final class RunCounts {

    private static final RunResult[] RESULTS = RunResult.values();
    private final AtomicLongArray counts = new AtomicLongArray(RESULTS.length);

    /** Counts one run that ended with {@code result}, or that failed with {@code error} (when result is null). */
    public void record(ProcessResult result, Throwable error) {
        counts.incrementAndGet(classify(result, error).ordinal());
    }

    /** Counts one run refused before anything ran (program not found, invalid spec). */
    public void refused() {
        counts.incrementAndGet(RunResult.ERROR.ordinal());
    }

    /** How a run ended: timeout before signal, Corral's kill before a signal of the program's own. */
    static RunResult classify(ProcessResult result, Throwable error) {
        if (result == null) {
            return RunResult.ERROR;
        }
        if (result.timedOut()) {
            return RunResult.TIMEOUT;
        }
        if (result.killed()) {
            return RunResult.CANCELLED;
        }
        if (result.signal().isPresent()) {
            return RunResult.SIGNAL;
        }
        return result.exitCode() == 0 ? RunResult.SUCCESS : RunResult.FAILURE;
    }

    /** A snapshot with every result. */
    public Map<RunResult, Long> snapshot() {
        Map<RunResult, Long> m = new EnumMap<>(RunResult.class);
        for (RunResult r : RESULTS) {
            m.put(r, counts.get(r.ordinal()));
        }
        return Collections.unmodifiableMap(m);
    }
}
