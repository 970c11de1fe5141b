package org.corral.api.values;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The value forms shared by configuration files, the console and the API. */
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
        assertEquals(Duration.ofHours(25), Values.duration("1d1h"));
        assertEquals(Duration.ofMillis(90_500), Values.duration("1m 30s 500ms"));
        assertEquals(Duration.ofSeconds(5), Values.duration("5 s"));
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
        assertEquals("0ms", Values.format(Duration.ZERO));
        assertEquals("2h", Values.format(Duration.ofMinutes(120)));
    }

    @Test
    void briefDurationsKeepTheTwoLargestUnits() {
        assertEquals("0ms", Values.formatBrief(Duration.ZERO));
        assertEquals("850ms", Values.formatBrief(Duration.ofMillis(850)));
        assertEquals("12s", Values.formatBrief(Duration.ofMillis(12_999)));
        assertEquals("5m03s", Values.formatBrief(Duration.ofSeconds(303)));
        assertEquals("2h05m", Values.formatBrief(Duration.ofMinutes(125)));
        assertEquals("3d04h", Values.formatBrief(Duration.ofHours(76)));
        for (long s : new long[] {0, 1, 59, 61, 3599, 3661, 86_400 * 3 + 3600}) {
            Duration d = Duration.ofSeconds(s);
            assertTrue(Values.duration(Values.formatBrief(d)).compareTo(d) <= 0, "read back: " + d);
        }
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
        assertEquals(256L << 20, Values.size("256MiB"));
        assertEquals(256L << 20, Values.size("256mb"));
        assertEquals(100, Values.size("100b"));
        assertEquals(512, Values.size("0.5K"));
        assertEquals(64 * 1024, Values.size(" 64 K "));
    }

    @Test
    void sizeMessagesSayWhatWasExpectedAndOffersMaxWhereItIsAllowed() {
        IllegalArgumentException plain = assertThrows(IllegalArgumentException.class, () -> Values.size("12X"));
        assertEquals("not a size (expected e.g. 4096, 64K, 256M, 1G)", plain.getMessage());
        IllegalArgumentException orMax = assertThrows(IllegalArgumentException.class, () -> Values.sizeOrMax("lots"));
        assertEquals("not a size (expected e.g. 4096, 64K, 256M, 1G or max)", orMax.getMessage());
        assertEquals("size too large", assertThrows(IllegalArgumentException.class,
                () -> Values.size("99999999P")).getMessage());
    }

    @Test
    void sizesForPeopleUseBinaryUnits() {
        assertEquals("0 B", Values.formatSize(0));
        assertEquals("1023 B", Values.formatSize(1023));
        assertEquals("1.0 KiB", Values.formatSize(1024));
        assertEquals("1.5 KiB", Values.formatSize(1536));
        assertEquals("64.0 MiB", Values.formatSize(64L << 20));
        assertEquals("2.0 GiB", Values.formatSize(2L << 30));
        assertEquals("8.0 EiB", Values.formatSize(Long.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> Values.formatSize(-1));
    }

    @Test
    void cpuTimeForPeople() {
        assertEquals("0.000s", Values.formatCpu(Duration.ZERO));
        assertEquals("0.004s", Values.formatCpu(Duration.ofNanos(4_321_000)));
        assertEquals("9.999s", Values.formatCpu(Duration.ofMillis(9_999)));
        assertEquals("12.34s", Values.formatCpu(Duration.ofMillis(12_340)));
        assertEquals("59.99s", Values.formatCpu(Duration.ofMillis(59_990)));
        assertEquals("1m00s", Values.formatCpu(Duration.ofMinutes(1)));
        assertEquals("2m03s", Values.formatCpu(Duration.ofSeconds(123)));
        assertEquals("3d04h", Values.formatCpu(Duration.ofHours(76)));
        assertThrows(IllegalArgumentException.class, () -> Values.formatCpu(Duration.ofMillis(-1)));
    }

    @Test
    void editDistanceCountsInsertDeleteReplaceAndSwap() {
        assertEquals(0, Values.editDistance("log.lines", "log.lines"));
        assertEquals(1, Values.editDistance("log.lines", "log.line"));
        assertEquals(1, Values.editDistance("log.lines", "log.linse"));
        assertEquals(1, Values.editDistance("user", "usar"));
        assertEquals(1, Values.editDistance("user", "users"));
        assertEquals(2, Values.editDistance("env.", "evn"));
        assertEquals(1, Values.editDistance("Env.", "env."));
        assertEquals(3, Values.editDistance("", "abc"));
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
        assertEquals("must be between 0 and 10", assertThrows(IllegalArgumentException.class,
                () -> Values.integer("-1", 0, 10)).getMessage());
    }

    @Test
    void numbers() {
        assertEquals(1.5, Values.number(" 1.5 ", 1, 100));
        assertEquals("must be between 1 and 100", assertThrows(IllegalArgumentException.class,
                () -> Values.number("0.5", 1, 100)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Values.number("NaN", 1, 100));
        assertThrows(IllegalArgumentException.class, () -> Values.number("Infinity", 1, 100));
        assertEquals("not a number", assertThrows(IllegalArgumentException.class,
                () -> Values.number("fast", 1, 100)).getMessage());
    }

    @Test
    void daemonNames() {
        assertEquals("web-1.a_b", Values.daemonName(" web-1.a_b "));
        assertTrue(Values.isDaemonName("a".repeat(64)));
        for (String bad : new String[] {"", "-web", ".web", "a/b", "a b", "a".repeat(65), "we\nb", "wéb"}) {
            assertFalse(Values.isDaemonName(bad), bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Values.daemonName(bad));
            assertEquals("not a valid daemon name (" + Values.DAEMON_NAME_RULE + ")", e.getMessage());
        }
        assertFalse(Values.isDaemonName(null));
    }

    @Test
    void messagesNeverRepeatTheText() {
        String secret = "hunter2";
        for (Runnable parse : new Runnable[] {() -> Values.duration(secret), () -> Values.size(secret),
            () -> Values.sizeOrMax(secret), () -> Values.bool(secret), () -> Values.integer(secret, 0, 1),
            () -> Values.number(secret, 0, 1), () -> Values.daemonName(secret + "/")}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, parse::run);
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
    }
}
