package org.corral.supervisor.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** The delivery pool: lanes keep order, take turns, and survive what their tasks throw. */
class DeliveryTest {

    @Test
    void aLaneRunsItsTasksInOrderOneAtATime() throws Exception {
        Delivery d = new Delivery(4);
        try {
            Delivery.Lane lane = d.lane("test");
            List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger running = new AtomicInteger();
            AtomicInteger overlap = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(1);
            for (int i = 0; i < 1000; i++) {
                int n = i;
                lane.execute(() -> {
                    if (running.incrementAndGet() > 1) {
                        overlap.incrementAndGet();
                    }
                    seen.add(n);
                    running.decrementAndGet();
                    if (n == 999) {
                        done.countDown();
                    }
                });
            }
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals(0, overlap.get());
            for (int i = 0; i < 1000; i++) {
                assertEquals(i, seen.get(i));
            }
        } finally {
            d.shutdown(1000);
        }
    }

    /**
     * With one thread, a lane that always has more work (it queues its continuation, as a flooding program's
     * delivery does) still lets another lane's task through after one turn: round-robin, not run-to-completion.
     */
    @Test
    void aBusyLaneYieldsToAnotherAfterEachTurn() throws Exception {
        Delivery d = new Delivery(1);
        try {
            Delivery.Lane busy = d.lane("busy");
            Delivery.Lane quiet = d.lane("quiet");
            AtomicInteger turns = new AtomicInteger();
            CountDownLatch ran = new CountDownLatch(1);
            int[] queuedAt = new int[1];
            int[] ranAt = new int[1];
            Runnable[] flood = new Runnable[1];
            flood[0] = () -> {
                int t = turns.incrementAndGet();
                long until = System.nanoTime() + 200_000; // some work per turn
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                if (t == 10) { // the quiet lane's task comes while the busy lane is in the middle of its work
                    queuedAt[0] = t;
                    quiet.execute(() -> {
                        ranAt[0] = turns.get();
                        ran.countDown();
                    });
                }
                if (ran.getCount() > 0 || t < 20) {
                    busy.execute(flood[0]); // the continuation: the rest of its work
                }
            };
            busy.execute(flood[0]);
            assertTrue(ran.await(10, TimeUnit.SECONDS), "the quiet lane ran while the busy one kept going");
            assertEquals(queuedAt[0], ranAt[0], "the quiet task ran right after the busy lane's turn");
        } finally {
            d.shutdown(1000);
        }
    }

    @Test
    void errorsOfTasksKillNeitherTheThreadNorTheLane() throws Exception {
        Delivery d = new Delivery(1);
        try {
            Delivery.Lane lane = d.lane("failing");
            CountDownLatch after = new CountDownLatch(3);
            lane.execute(() -> {
                throw new OutOfMemoryError("thrown by the test");
            });
            lane.execute(after::countDown);
            lane.execute(() -> {
                throw new IllegalStateException("thrown by the test");
            });
            lane.execute(after::countDown);
            d.unordered().execute(() -> {
                throw new StackOverflowError("thrown by the test");
            });
            d.control().execute(() -> {
                throw new OutOfMemoryError("thrown by the test");
            });
            d.control().execute(after::countDown);
            assertTrue(after.await(10, TimeUnit.SECONDS));
            CountDownLatch more = new CountDownLatch(1);
            d.unordered().execute(more::countDown);
            assertTrue(more.await(10, TimeUnit.SECONDS));
        } finally {
            d.shutdown(1000);
        }
    }

    @Test
    void afterShutdownALaneRunsItsTasksOnTheCaller() {
        Delivery d = new Delivery(1);
        d.shutdown(1000);
        Delivery.Lane lane = d.lane("late");
        List<String> seen = new ArrayList<>();
        lane.execute(() -> seen.add(Thread.currentThread().getName()));
        assertEquals(List.of(Thread.currentThread().getName()), seen);
    }

    @Test
    void threadsAreNamedAndCounted() throws Exception {
        Delivery d = new Delivery(2);
        try {
            List<String> names = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch go = new CountDownLatch(1);
            CountDownLatch both = new CountDownLatch(2);
            for (int i = 0; i < 2; i++) {
                d.lane("l" + i).execute(() -> {
                    names.add(Thread.currentThread().getName());
                    both.countDown();
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertTrue(both.await(10, TimeUnit.SECONDS), "two lanes run at once on two threads");
            go.countDown();
            Collections.sort(names);
            assertEquals(List.of("corral-deliver-1", "corral-deliver-2"), names);
            CountDownLatch c = new CountDownLatch(1);
            String[] control = new String[1];
            d.control().execute(() -> {
                control[0] = Thread.currentThread().getName();
                c.countDown();
            });
            assertTrue(c.await(10, TimeUnit.SECONDS));
            assertEquals("corral-control", control[0]);
        } finally {
            d.shutdown(1000);
        }
    }
}
