package org.corral.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.corral.itests.support.ItestPaths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, "Footprint on a Pi": the distribution's {@code bin/setenv} picks JVM settings from the memory Karaf may
 * use, so that a 512 MB board needs no edited file. Sources the unpacked distribution's {@code bin/setenv} in
 * {@code sh} with a controlled environment and reads back {@code EXTRA_JAVA_OPTS} and {@code MALLOC_ARENA_MAX}
 * (what {@code bin/karaf} passes to Java). Booting with these settings is shown by benchmarks/footprint.sh.
 */
class JvmProfileIT {

    private static Path home;

    @BeforeAll
    static void unpack() {
        home = ItestPaths.unpack(ItestPaths.distributionArchive(), "jvm-profile");
    }

    /** EXTRA_JAVA_OPTS (split into words), MALLOC_ARENA_MAX ("" if unset) and stderr after sourcing bin/setenv. */
    private record Sourced(List<String> opts, String arena, String err) {
        String profile() {
            return opts.stream().filter(o -> o.startsWith("-Dcorral.jvm.profile=")).findFirst()
                    .map(o -> o.substring("-Dcorral.jvm.profile=".length())).orElse("");
        }
    }

    private static Sourced source(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c",
                ". ./bin/setenv; printf '%s\\n' \"$EXTRA_JAVA_OPTS\" \"${MALLOC_ARENA_MAX-}\"");
        pb.directory(home.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("CORRAL_") || k.equals("JAVA_OPTS")
                || k.equals("EXTRA_JAVA_OPTS") || k.equals("MALLOC_ARENA_MAX"));
        pb.environment().put("DIRNAME", home.resolve("bin").toString());
        pb.environment().putAll(env);
        Path err = Files.createTempFile(ItestPaths.itestDir(), "setenv", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "sourcing bin/setenv took more than 60 s");
        assertEquals(0, p.exitValue(), "sh exited with " + p.exitValue() + "; stderr: " + Files.readString(err));
        String[] lines = out.split("\n", -1);
        String stderr = Files.readString(err);
        Files.delete(err);
        return new Sourced(lines[0].isBlank() ? List.of() : Arrays.asList(lines[0].trim().split(" +")),
                lines.length > 1 ? lines[1] : "", stderr);
    }

    @Test
    void aBoardOf512MbGetsTheSmallProfile() throws Exception {
        Sourced s = source(Map.of("CORRAL_JVM_MEMORY", "512M"));
        assertEquals("small/512M", s.profile(), s.toString());
        for (String o : List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx102m", "-XX:MaxNewSize=17m", "-XX:MaxMetaspaceSize=128m",
                "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=32m", "-Xss512k")) {
            assertTrue(s.opts().contains(o), o + " missing from " + s);
        }
        assertEquals("2", s.arena(), "MALLOC_ARENA_MAX for the small profile: " + s);
        assertEquals("", s.err());
    }

    @Test
    void aCgroupLimitOf160MbGetsTheFloorOfEachSetting() throws Exception {
        Sourced s = source(Map.of("CORRAL_JVM_MEMORY", "167772160")); // bytes, as memory.max holds them
        assertEquals("small/160M", s.profile(), s.toString());
        for (String o : List.of("-Xmx48m", "-XX:MaxNewSize=8m", "-XX:MaxMetaspaceSize=96m")) {
            assertTrue(s.opts().contains(o), o + " missing from " + s);
        }
    }

    @Test
    void largerMachinesGetMediumThenTheJvmsOwnChoices() throws Exception {
        Sourced medium = source(Map.of("CORRAL_JVM_MEMORY", "2G"));
        assertEquals("medium/2048M", medium.profile());
        assertTrue(medium.opts().contains("-Xmx512m"), medium.toString());
        assertTrue(medium.opts().contains("-XX:+UseSerialGC"), medium.toString());
        assertEquals("", medium.arena(), "MALLOC_ARENA_MAX is for the small profile only");
        Sourced large = source(Map.of("CORRAL_JVM_MEMORY", "8G"));
        assertEquals(List.of("-Dcorral.jvm.profile=large/8192M"), large.opts());
    }

    @Test
    void withoutASizeTheMachineOrItsCgroupDecides() throws Exception {
        Sourced s = source(Map.of());
        String[] p = s.profile().split("/");
        assertEquals(2, p.length, s.toString());
        long mib = Long.parseLong(p[1].replace("M", ""));
        long memTotalMib = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024).findFirst().orElseThrow();
        assertTrue(mib > 0 && mib <= memTotalMib, "memory " + mib + " MiB, MemTotal " + memTotalMib + " MiB: " + s);
        assertEquals(mib <= 1024 ? "small" : mib <= 4096 ? "medium" : "large", p[0], s.toString());
    }

    @Test
    void yourOwnOptionsWinAndNoneLeavesEverythingToYou() throws Exception {
        Sourced mine = source(Map.of("CORRAL_JVM_MEMORY", "512M", "EXTRA_JAVA_OPTS", "-XX:+UseG1GC -Xmx200m",
                "MALLOC_ARENA_MAX", "4"));
        assertFalse(mine.opts().contains("-XX:+UseSerialGC"), "a collector of your own replaces it: " + mine);
        List<String> o = mine.opts();
        assertEquals("-Xmx200m", o.get(o.size() - 1), "your options come last (the last -Xmx counts): " + mine);
        assertTrue(o.indexOf("-Xmx102m") < o.indexOf("-Xmx200m"), mine.toString());
        assertEquals("4", mine.arena(), "a MALLOC_ARENA_MAX of your own stays");
        Sourced none = source(Map.of("CORRAL_JVM_PROFILE", "none", "CORRAL_JVM_MEMORY", "512M"));
        assertEquals(List.of(), none.opts());
        assertEquals("", none.arena());
        Sourced forced = source(Map.of("CORRAL_JVM_PROFILE", "small", "CORRAL_JVM_MEMORY", "8G"));
        assertEquals("small/8192M", forced.profile());
        assertTrue(forced.opts().contains("-Xmx160m"), "the small profile's heap cap: " + forced);
    }

    @Test
    void badValuesAreNamedOnStderrAndHarmNothing() throws Exception {
        Sourced profile = source(Map.of("CORRAL_JVM_PROFILE", "tiny", "CORRAL_JVM_MEMORY", "512M"));
        assertTrue(profile.err().contains("CORRAL_JVM_PROFILE=tiny"), profile.err());
        assertEquals("large/512M", profile.profile(), "the JVM's own settings: " + profile);
        Sourced memory = source(Map.of("CORRAL_JVM_MEMORY", "lots"));
        assertTrue(memory.err().contains("CORRAL_JVM_MEMORY=lots") && memory.err().contains("512M"), memory.err());
        assertFalse(memory.profile().isEmpty(), "the machine's memory decides: " + memory);
    }
}
