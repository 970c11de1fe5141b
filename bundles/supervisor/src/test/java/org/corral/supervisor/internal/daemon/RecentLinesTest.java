package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.corral.api.StreamKind;
import org.junit.jupiter.api.Test;

class RecentLinesTest {

    @Test
    void keepsTheLastNInArrivalOrder() {
        RecentLines r = new RecentLines(3);
        r.add(StreamKind.STDOUT, "a");
        r.add(StreamKind.STDERR, "b");
        assertEquals(List.of("a", "b"), r.last(10));
        r.add(StreamKind.STDOUT, "c");
        r.add(StreamKind.STDERR, "d");
        assertEquals(List.of("b", "c", "d"), r.last(10));
        assertEquals(List.of("c", "d"), r.last(2));
        assertEquals(List.of(), r.last(0));
        assertEquals(StreamKind.STDERR, r.lines(1, 0).get(0).stream());
    }

    @Test
    void followersGetWhatCameAfter() {
        RecentLines r = new RecentLines(10);
        r.add(StreamKind.STDOUT, "a");
        r.add(StreamKind.STDOUT, "b");
        long seen = r.lines(10, 0).get(1).seq();
        r.add(StreamKind.STDOUT, "c");
        assertEquals("c", r.lines(10, seen).get(0).text());
        assertEquals(1, r.lines(10, seen).size());
    }

    @Test
    void zeroCapacityKeepsNothing() {
        RecentLines r = new RecentLines(0);
        r.add(StreamKind.STDOUT, "a");
        assertEquals(List.of(), r.last(5));
    }

    @Test
    void resizeKeepsTheNewest() {
        RecentLines r = new RecentLines(5);
        for (String s : new String[] {"1", "2", "3", "4", "5"}) {
            r.add(StreamKind.STDOUT, s);
        }
        r.resize(2);
        assertEquals(List.of("4", "5"), r.last(10));
        r.resize(4);
        r.add(StreamKind.STDOUT, "6");
        assertEquals(List.of("4", "5", "6"), r.last(10));
    }
}
