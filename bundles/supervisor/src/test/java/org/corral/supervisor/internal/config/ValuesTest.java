package org.corral.supervisor.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValuesTest {

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), Values.duration("500ms"));
        assertEquals(Duration.ofSeconds(2), Values.duration("2s"));
        assertEquals(Duration.ofMinutes(1), Values.duration("1m"));
        assertEquals(Duration.ofSeconds(90), Values.duration("1m30s"));
        assertEquals(Duration.ofSeconds(90), Values.duration("1m 30s"));
        assertEquals(Duration.ofMillis(1500), Values.duration("1.5s"));
        assertEquals(Duration.ofHours(2), Values.duration("2h"));
        assertEquals(Duration.ofDays(1), Values.duration("1d"));
        assertEquals(Duration.ofMillis(250), Values.duration(" 250MS "));
        assertEquals(Duration.ZERO, Values.duration("0"));
        assertEquals(Duration.ZERO, Values.duration("0s"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "500", "-1s", "5 sec", "s", "1.s", "2x", "1m30", "ms500", "1e3ms",
        "9999999999999999999d"})
    void badDurations(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Values.duration(text));
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void bareNumberNamesTheMissingUnit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Values.duration("500"));
        assertTrue(e.getMessage().contains("500ms or 500s"), e.getMessage());
    }

    @Test
    void formatRoundTrips() {
        for (String s : new String[] {"500ms", "2s", "1m", "3h", "1500ms"}) {
            assertEquals(Values.duration(s), Values.duration(Values.format(Values.duration(s))), s);
        }
        assertEquals("90s", Values.format(Duration.ofSeconds(90)));
    }

    @Test
    void sizes() {
        assertEquals(4096, Values.size("4096"));
        assertEquals(4096, Values.size("4096B"));
        assertEquals(64 * 1024, Values.size("64K"));
        assertEquals(64 * 1024, Values.size("64k"));
        assertEquals(64 * 1024, Values.size("64KB"));
        assertEquals(64 * 1024, Values.size("64KiB"));
        assertEquals(256L << 20, Values.size("256M"));
        assertEquals(1L << 30, Values.size("1G"));
        assertEquals(3L << 29, Values.size("1.5G"));
        assertEquals(2L << 40, Values.size("2T"));
        assertEquals(0, Values.size("0"));
        assertEquals(-1, Values.sizeOrMax("max"));
        assertEquals(-1, Values.sizeOrMax("MAX"));
        assertEquals(1 << 20, Values.sizeOrMax("1M"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "-5M", "12X", "M", "1..5M", "1 2", "4096iB", "99999999P", "max", "1,5M"})
    void badSizes(String text) {
        assertThrows(IllegalArgumentException.class, () -> Values.size(text));
    }

    @Test
    void negativeSizeIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Values.size("-5M"));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }

    @Test
    void booleansAndIntegers() {
        assertTrue(Values.bool("TRUE"));
        assertTrue(Values.bool("yes"));
        assertTrue(Values.bool("1"));
        assertFalse(Values.bool("off"));
        assertThrows(IllegalArgumentException.class, () -> Values.bool("maybe"));
        assertEquals(5, Values.integer(" 5 ", 0, 10));
        assertThrows(IllegalArgumentException.class, () -> Values.integer("11", 0, 10));
        assertThrows(IllegalArgumentException.class, () -> Values.integer("five", 0, 10));
        assertThrows(IllegalArgumentException.class, () -> Values.integer("1.5", 0, 10));
    }
}
