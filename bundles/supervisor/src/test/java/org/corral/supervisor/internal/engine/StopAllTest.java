package org.corral.supervisor.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** The one "stop all, then wait until a deadline" routine. */
class StopAllTest {

    @Test
    void everyStopStartsBeforeAnyWaitSoTheyEndTogether() {
        // each item ends only once all three stops were started: a stop-then-wait loop would wait in vain
        AtomicInteger started = new AtomicInteger();
        CompletableFuture<Void> allStarted = new CompletableFuture<>();
        List<String> left = StopAll.stopAndAwait(List.of("a", "b", "c"), s -> {
            if (started.incrementAndGet() == 3) {
                allStarted.complete(null);
            }
            return allStarted;
        }, s -> Duration.ofMillis(200), Duration.ofMillis(200));
        assertEquals(List.of(), left);
        assertEquals(3, started.get());
    }

    @Test
    void whatDoesNotEndByTheDeadlineIsReturnedAndAFailingStopCountsAsEnded() {
        CompletableFuture<Void> never = new CompletableFuture<>();
        List<String> left = StopAll.stopAndAwait(List.of("ok", "stuck", "throws", "failed"), s -> {
            switch (s) {
                case "ok": return CompletableFuture.completedFuture(null);
                case "stuck": return never;
                case "throws": throw new IllegalStateException("boom");
                default: return CompletableFuture.failedFuture(new IllegalStateException("failed"));
            }
        }, s -> Duration.ZERO, Duration.ofMillis(50));
        assertEquals(List.of("stuck"), left);
    }

    @Test
    void anInterruptDoesNotCutTheWaitShortButIsKept() {
        CompletableFuture<Void> later = new CompletableFuture<>();
        new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ignored) {
                // ends the thread
            }
            later.complete(null);
        }).start();
        Thread.currentThread().interrupt();
        List<String> left = StopAll.stopAndAwait(List.of("x"), s -> later, s -> Duration.ofSeconds(10), Duration.ZERO);
        assertTrue(Thread.interrupted(), "the interrupt flag is kept");
        assertEquals(List.of(), left);
    }
}
