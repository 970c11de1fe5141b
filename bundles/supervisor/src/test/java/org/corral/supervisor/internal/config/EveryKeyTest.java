package org.corral.supervisor.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.corral.supervisor.internal.config.DaemonConfigParser.Result;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, "Bad input": every key, the new ones included, gets the treatment of the old ones: a metatype
 * attribute, a "did you mean" for a typo, and a bad value named with its key in the one ERROR line of its file.
 */
class EveryKeyTest {

    /** The configuration key an attribute method of the metatype stands for (the OSGi name mapping). */
    static String key(Method m) {
        return m.getName().replace("__", "\u0000").replace('_', '.').replace('\u0000', '_').replace("$", "");
    }

    @Test
    void everyKeyIsInTheMetatype() {
        TreeSet<String> attributes = new TreeSet<>();
        for (Method m : DaemonConfiguration.class.getDeclaredMethods()) {
            attributes.add(key(m));
        }
        TreeSet<String> missing = new TreeSet<>(DaemonConfigParser.KEYS);
        missing.removeAll(attributes);
        assertEquals(new TreeSet<>(), missing, "keys the parser reads without a metatype attribute");
        TreeSet<String> unknown = new TreeSet<>(attributes);
        unknown.removeAll(DaemonConfigParser.KEYS);
        unknown.removeIf(k -> k.startsWith("env.") || k.startsWith("cgroup."));
        assertEquals(new TreeSet<>(), unknown, "metatype attributes the parser does not read");
    }

    /** Typos of every key: two neighbours swapped, a letter dropped, a letter doubled: each gets its key. */
    @Test
    void aTypoOfEveryKeyGetsADidYouMean() {
        List<String> wrong = new ArrayList<>();
        for (String k : DaemonConfigParser.KEYS) {
            int mid = k.length() / 2;
            List<String> typos = List.of(
                    k.substring(0, mid - 1) + k.charAt(mid) + k.charAt(mid - 1) + k.substring(mid + 1),
                    k.substring(0, mid) + k.substring(mid + 1),
                    k.substring(0, mid) + k.charAt(mid) + k.substring(mid),
                    k.toUpperCase(java.util.Locale.ROOT));
            for (String typo : typos) {
                if (DaemonConfigParser.KEYS.contains(typo) || typo.startsWith("env.") || typo.startsWith("cgroup.")) {
                    continue; // a key itself, or a family's key (env.<NAME>: a variable)
                }
                Map<String, Object> p = OperatorKeysTest.base();
                p.put(typo, "1");
                Result r = DaemonConfigParser.parse(p);
                String said = String.join(" | ", r.warningLines());
                if (!said.contains(typo + ": unknown key, ignored (did you mean " + k + "?)")) {
                    wrong.add(typo + " -> " + said);
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    /**
     * The keys of issue 12, each with a bad value: all in one file give one ERROR line naming each key and
     * value; alone, each is the only problem.
     */
    @Test
    void badValuesOfTheNewKeysAreNamedInOneErrorLine() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("env.file", "relative.env");
        bad.put("reload.signal", "SIGRELOAD");
        bad.put("success.exit.status", "OK");
        bad.put("restart.prevent.exit.status", "300");
        bad.put("start.pre.timeout", "5");
        bad.put("stdout", "null");
        bad.put("stderr", "journal");
        bad.put("no.new.privileges", "perhaps");
        bad.put("allow.root", "sure");
        bad.put("capabilities", "CAP_FLY");
        bad.put("rlimit.nofile", "lots");
        bad.put("rlimit.core", "2:1");
        bad.put("nice", "20");
        bad.put("oom.score.adj", "1001");
        bad.put("umask", "0999");
        Map<String, Object> all = OperatorKeysTest.base();
        all.putAll(bad);
        Result r = DaemonConfigParser.parse(all);
        String line = r.errorLine();
        assertFalse(line.contains("\n"), line);
        for (Map.Entry<String, String> e : bad.entrySet()) {
            String named = e.getKey() + " = '" + e.getValue() + "': ";
            assertTrue(line.contains(named), "the ERROR line names " + named + ": " + line);
            Map<String, Object> one = OperatorKeysTest.base();
            one.put(e.getKey(), e.getValue());
            Result alone = DaemonConfigParser.parse(one);
            assertEquals(1, alone.errors().size(), alone.errorLine());
            assertTrue(alone.errors().get(0).toString().startsWith(named), alone.errorLine());
        }
        assertEquals(bad.size(), r.errors().size(), line);
    }

    /** A problem of the configuration as a whole (no key) reads as its message, without a stray ": " before it. */
    @Test
    void aProblemWithoutAKeyIsItsMessage() {
        assertEquals("cannot be created: no helper", new DaemonConfigParser.Problem("", null,
                "cannot be created: no helper").toString());
        assertEquals("restart = 'x': unknown", new DaemonConfigParser.Problem("restart", "x", "unknown").toString());
    }

    /** An env value is never in an ERROR or WARN line, whatever is wrong with it or around it. */
    @Test
    void noEnvValueInAnyLine() {
        Map<String, Object> p = OperatorKeysTest.base();
        p.put("env.TOKEN", "s3cr3t\u0000x");
        p.put("env.A B", "hunter2");
        p.put("env.", "p4ss");
        p.put("Env.KEY", "k3y");
        p.put("restart", "sometimes");
        Result r = DaemonConfigParser.parse(p);
        String said = r.errorLine() + " | " + String.join(" | ", r.warningLines());
        for (String secret : List.of("s3cr3t", "hunter2", "p4ss", "k3y")) {
            assertFalse(said.contains(secret), secret + " in: " + said);
        }
        assertFalse(said.contains("did you mean env.?"), "no suggestion of the key itself: " + said);
    }
}
