package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import org.corral.api.CgroupStats;
import org.corral.api.CgroupValue;
import org.junit.jupiter.api.Test;

class FormatTest {

    @Test
    void durationsAreCompact() {
        assertEquals("0ms", Format.duration(Duration.ZERO));
        assertEquals("850ms", Format.duration(Duration.ofMillis(850)));
        assertEquals("12s", Format.duration(Duration.ofMillis(12_999)));
        assertEquals("5m03s", Format.duration(Duration.ofSeconds(303)));
        assertEquals("2h05m", Format.duration(Duration.ofMinutes(125)));
        assertEquals("3d04h", Format.duration(Duration.ofHours(76)));
        assertEquals("-", Format.duration(null));
        assertEquals("-", Format.duration(Duration.ofSeconds(-1)));
    }

    @Test
    void bytesUseBinaryUnits() {
        assertEquals("0 B", Format.bytes(0));
        assertEquals("1023 B", Format.bytes(1023));
        assertEquals("1.0 KiB", Format.bytes(1024));
        assertEquals("1.5 KiB", Format.bytes(1536));
        assertEquals("64.0 MiB", Format.bytes(64L << 20));
        assertEquals("2.0 GiB", Format.bytes(2L << 30));
        assertEquals("-", Format.bytes(-1));
    }

    @Test
    void cpuTime() {
        assertEquals("0.004s", Format.cpuMicros(4_000));
        assertEquals("1.230s", Format.cpuMicros(1_230_000));
        assertEquals("12.50s", Format.cpuMicros(12_500_000));
        assertEquals("2m03s", Format.cpuMicros(123_000_000));
        assertEquals("-", Format.cpuMicros(-1));
    }

    @Test
    void figuresFromStatistics() {
        CgroupStats stats = new CgroupStats("corral/x", Map.of(
                "memory.current", new CgroupValue.Single("4096", OptionalLong.of(4096)),
                "cpu.stat", new CgroupValue.FlatKeyed("usage_usec 1500\nuser_usec 1000", Map.of("usage_usec", 1500L,
                        "user_usec", 1000L))));
        assertEquals(4096, Format.memoryCurrent(stats));
        assertEquals(1500, Format.cpuUsageMicros(stats));
        CgroupStats empty = new CgroupStats("corral/y", Map.of());
        assertEquals(-1, Format.memoryCurrent(empty));
        assertEquals(-1, Format.cpuUsageMicros(empty));
        assertEquals(-1, Format.memoryCurrent(null));
    }

    @Test
    void cgroupValuesByShape() {
        assertEquals(List.of("memory.max = max"),
                Format.cgroupValue("memory.max", new CgroupValue.Single("max", OptionalLong.empty())));
        assertEquals(List.of("memory.events:", "  low 0", "  oom_kill 2"), Format.cgroupValue("memory.events",
                new CgroupValue.FlatKeyed("", Map.of("oom_kill", 2L, "low", 0L))));
        assertEquals(List.of("io.stat:", "  8:0 rbytes=10 wbytes=20"), Format.cgroupValue("io.stat",
                new CgroupValue.NestedKeyed("", Map.of("8:0", Map.of("wbytes", "20", "rbytes", "10")))));
        assertEquals(List.of("cpu.pressure:", "  some avg10=1.50% avg60=0.00% avg300=0.00% total=0.002s"),
                Format.cgroupValue("cpu.pressure", new CgroupValue.Pressure("",
                        new CgroupValue.Psi(1.5, 0, 0, 2000), null)));
    }

    @Test
    void plainWordsAreNotQuoted() {
        assertEquals("/bin/sh -c true", Format.argv(List.of("/bin/sh", "-c", "true")));
        assertEquals("a=b,c:d@e%f+g", Format.shellQuote("a=b,c:d@e%f+g"));
        assertEquals("''", Format.shellQuote(""));
        assertEquals("'it'\\''s'", Format.shellQuote("it's"));
    }

    /** What a real POSIX shell reads back from the quoted words is the words themselves. */
    @Test
    void quotingRoundTripsThroughAShell() throws Exception {
        List<String> words = List.of("plain", "two words", "", "it's", "\"double\"", "$HOME", "`id`", "a\\b",
                "tab\there", "new\nline", "semi;colon|pipe&amp", "*?[glob]", "~user", "#hash", "ünïcode");
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", "for w in " + Format.argv(words)
                + "; do printf '%s\\0' \"$w\"; done"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertEquals(0, p.waitFor());
        String[] got = out.toString(StandardCharsets.UTF_8).split("\0", -1);
        assertEquals(words, List.of(got).subList(0, got.length - 1));
    }

    @Test
    void argvShownOnTheTerminalHasNoControlCharacters() {
        assertEquals("/bin/sh -c 'printf \\x1b[2J'", Format.shownArgv(List.of("/bin/sh", "-c", "printf \u001b[2J")));
        assertEquals("'a\tb'", Format.shownArgv(List.of("a\tb")));
        assertEquals("'new\\x0aline'", Format.shownArgv(List.of("new\nline")));
    }
}
