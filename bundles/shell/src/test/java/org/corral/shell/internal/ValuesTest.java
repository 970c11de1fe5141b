package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class ValuesTest {

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), Values.duration("500ms"));
        assertEquals(Duration.ofSeconds(2), Values.duration("2s"));
        assertEquals(Duration.ofSeconds(90), Values.duration("1m30s"));
        assertEquals(Duration.ofMillis(1500), Values.duration("1.5s"));
        assertEquals(Duration.ofHours(25), Values.duration("1d1h"));
        assertEquals(Duration.ZERO, Values.duration("0"));
    }

    @Test
    void durationsNeedAUnitAndSayWhatTheyExpect() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Values.duration("10"));
        assertTrue(e.getMessage().contains("10ms or 10s"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Values.duration("-1s"));
        assertThrows(IllegalArgumentException.class, () -> Values.duration("5 parsecs"));
        assertThrows(IllegalArgumentException.class, () -> Values.duration(""));
        assertThrows(IllegalArgumentException.class, () -> Values.duration("1s2"));
    }

    @Test
    void sizes() {
        assertEquals(4096, Values.size("4096"));
        assertEquals(64 << 10, Values.size("64K"));
        assertEquals(256L << 20, Values.size("256M"));
        assertEquals(256L << 20, Values.size("256MiB"));
        assertEquals(256L << 20, Values.size("256mb"));
        assertEquals(3L << 29, Values.size("1.5G"));
        assertEquals(100, Values.size("100B"));
    }

    @Test
    void badSizes() {
        for (String bad : new String[] {"", "-1M", "12X", "M", "1e3", "ten"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Values.size(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad.trim() + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Values.size("99999999P"));
    }

    @Test
    void cpuLimits() {
        assertArrayEquals(new long[] {50_000, 100_000}, Values.cpuMax("50%"));
        assertArrayEquals(new long[] {150_000, 100_000}, Values.cpuMax("150%"));
        assertArrayEquals(new long[] {20_000, 50_000}, Values.cpuMax("20000 50000"));
        assertThrows(IllegalArgumentException.class, () -> Values.cpuMax("0.5%"));
        assertThrows(IllegalArgumentException.class, () -> Values.cpuMax("fast"));
        assertThrows(IllegalArgumentException.class, () -> Values.cpuMax("20000"));
        assertThrows(IllegalArgumentException.class, () -> Values.cpuMax("500 100000"));
        assertThrows(IllegalArgumentException.class, () -> Values.cpuMax("x%"));
    }

    @Test
    void keyValues() {
        assertArrayEquals(new String[] {"A", "b=c"}, Values.keyValue("A=b=c", "x"));
        assertArrayEquals(new String[] {"A", ""}, Values.keyValue("A=", "x"));
        assertThrows(IllegalArgumentException.class, () -> Values.keyValue("=b", "x"));
        assertThrows(IllegalArgumentException.class, () -> Values.keyValue("A", "x"));
    }
}
