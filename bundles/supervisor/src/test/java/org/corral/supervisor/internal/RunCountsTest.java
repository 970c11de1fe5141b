package org.corral.supervisor.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.api.Signal;
import org.corral.api.SupervisorStatus.RunResult;
import org.junit.jupiter.api.Test;

class RunCountsTest {

    @Test
    void eachEndHasItsResult() {
        assertEquals(RunResult.SUCCESS, RunCounts.classify(ProcessResult.builder().exitCode(0).build(), null));
        assertEquals(RunResult.FAILURE, RunCounts.classify(ProcessResult.builder().exitCode(3).build(), null));
        assertEquals(RunResult.SIGNAL, RunCounts.classify(ProcessResult.builder().signal(Signal.SEGV).build(), null));
        assertEquals(RunResult.TIMEOUT, RunCounts.classify(ProcessResult.builder().signal(Signal.TERM).killed(true)
                .timedOut(true).build(), null));
        assertEquals(RunResult.CANCELLED, RunCounts.classify(ProcessResult.builder().signal(Signal.TERM).killed(true)
                .build(), null));
        // a program that exits 0 on SIGTERM after Corral stopped it was still stopped by Corral
        assertEquals(RunResult.CANCELLED, RunCounts.classify(ProcessResult.builder().exitCode(0).killed(true).build(),
                null));
        assertEquals(RunResult.ERROR, RunCounts.classify(null, new ProcessException("helper lost")));
    }

    @Test
    void countsEveryResultFromZero() {
        RunCounts c = new RunCounts();
        assertEquals(6, c.snapshot().size());
        c.record(ProcessResult.builder().exitCode(0).build(), null);
        c.record(ProcessResult.builder().exitCode(0).build(), null);
        c.record(null, new ProcessException("x"));
        c.refused();
        Map<RunResult, Long> s = c.snapshot();
        assertEquals(2L, s.get(RunResult.SUCCESS));
        assertEquals(2L, s.get(RunResult.ERROR));
        assertEquals(0L, s.get(RunResult.TIMEOUT));
    }
}
