package org.corral.supervisor.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The three copies of the protocol's tables agree: the helper's ({@code native/src/protocol.h} and the size
 * rules in {@code native/src/protocol.c}), the JVM's ({@link Protocol}) and the normative one
 * ({@code docs/protocol.md}): frame types, SPAWN field tags, spawn stages, the small enums and flags, and the
 * payload size of every frame type in both directions.
 */
class ProtocolTablesTest {

    private static final Path ROOT = Path.of(System.getProperty("corral.root", "../.."));

    private static String read(String rel) throws IOException {
        return Files.readString(ROOT.resolve(rel), StandardCharsets.UTF_8);
    }

    /** {@code NAME = value} members of the C enums, and the #define constants, evaluated. */
    private static Map<String, Long> cConstants() throws IOException {
        String h = read("native/src/protocol.h");
        Map<String, String> defines = new HashMap<>();
        Matcher d = Pattern.compile("(?m)^#define\\s+([A-Z_0-9]+)\\s+([^/\\n]+?)\\s*(?:/\\*.*)?$").matcher(h);
        while (d.find()) {
            defines.put(d.group(1), d.group(2));
        }
        Map<String, Long> out = new TreeMap<>();
        Eval ev = new Eval(defines, out);
        for (String name : defines.keySet()) {
            try {
                out.put(name, ev.value(name));
            } catch (IllegalArgumentException e) {
                // a macro with arguments or a non-number: not a table entry
            }
        }
        Matcher e = Pattern.compile("enum\\s*\\w*\\s*\\{([^}]*)\\}").matcher(h.replaceAll("(?s)/\\*.*?\\*/", ""));
        while (e.find()) {
            for (String member : e.group(1).split(",")) {
                Matcher m = Pattern.compile("\\s*([A-Z][A-Z_0-9]*)\\s*=\\s*(0x[0-9A-Fa-f]+|\\d+)\\s*").matcher(member);
                if (m.matches()) {
                    out.put(m.group(1), Long.decode(m.group(2)));
                }
            }
        }
        return out;
    }

    /** The int constants of {@link Protocol}. */
    private static Map<String, Long> javaConstants() throws IllegalAccessException {
        Map<String, Long> out = new TreeMap<>();
        for (Field f : Protocol.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                out.put(f.getName(), (long) f.getInt(null));
            }
        }
        return out;
    }

    private static Map<String, Long> withPrefix(Map<String, Long> m, String prefix) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k, v);
            }
        });
        return out;
    }

    @Test
    void frameTypesAndFieldTagsAreTheSameInCAndJava() throws Exception {
        Map<String, Long> c = cConstants();
        Map<String, Long> j = javaConstants();
        assertEquals(withPrefix(c, "T_"), withPrefix(j, "T_"), "frame types (protocol.h vs Protocol.java)");
        Map<String, Long> cTags = withPrefix(c, "F_");
        cTags.remove("F_MAX_TAG");
        assertEquals(cTags, withPrefix(j, "F_"), "SPAWN field tags (protocol.h vs Protocol.java)");
        assertEquals(cTags.values().stream().mapToLong(Long::longValue).max().orElseThrow(), c.get("F_MAX_TAG"),
                "F_MAX_TAG is the highest tag");
        for (String prefix : new String[] {"ROLE_", "STREAM_", "LVL_", "SIGTARGET_", "EXITF_", "EXIT_EXITED",
            "EXIT_SIGNALED", "STDIN_NULL", "STDIN_PIPE", "STDIN_FILE", "OUT_"}) {
            assertEquals(withPrefix(c, prefix), withPrefix(j, prefix), prefix + "* (protocol.h vs Protocol.java)");
        }
        assertEquals(c.get("PROTO_VERSION"), (long) Protocol.VERSION, "protocol version");
        assertEquals(c.get("PROTO_TOKEN_LEN"), (long) Protocol.TOKEN_LEN);
        assertEquals(c.get("PROTO_DATA_MAX"), (long) Protocol.DATA_MAX);
        assertEquals(c.get("PROTO_FRAME_MAX"), (long) Protocol.FRAME_MAX);
        assertEquals(c.get("PROTO_STDIN_WINDOW"), (long) Protocol.STDIN_WINDOW);
        assertEquals(c.get("SPAWN_FLAG_KEEP_DESCENDANTS"), (long) Protocol.FLAG_KEEP_DESCENDANTS);
        assertEquals(c.get("SPAWN_FLAG_STDIN_ACK"), (long) Protocol.FLAG_STDIN_ACK);
    }

    @Test
    void everySpawnStageOfTheHelperHasAName() throws Exception {
        Map<String, Long> stages = withPrefix(cConstants(), "STAGE_");
        assertFalse(stages.isEmpty());
        stages.forEach((name, n) -> assertFalse(Protocol.stageName(n.intValue()).startsWith("stage "),
                name + " = " + n + " has no name in Protocol.stageName"));
    }

    @Test
    void everyFrameTypeHasANameInJava() throws Exception {
        withPrefix(javaConstants(), "T_").forEach((name, v) ->
                assertEquals(name.substring(2), Protocol.typeName(v.intValue()), name));
    }

    @Test
    void theDocumentListsTheSameFrameTypesAndTags() throws Exception {
        String doc = read("docs/protocol.md");
        Map<String, Long> c = cConstants();
        Map<String, Long> docTypes = new TreeMap<>();
        Matcher t = Pattern.compile("(?m)^\\| (0x[0-9A-F]{2}) \\| ([A-Z_]+) \\|").matcher(doc);
        while (t.find()) {
            docTypes.put("T_" + t.group(2), Long.decode(t.group(1)));
        }
        assertEquals(withPrefix(c, "T_"), docTypes, "frame types (docs/protocol.md tables vs protocol.h)");
        Map<String, Long> docTags = new TreeMap<>();
        Matcher f = Pattern.compile("(?m)^\\| (\\d+) \\| ([A-Z_]+)(?: \\(\\*\\))? \\|").matcher(doc);
        while (f.find()) {
            docTags.put("F_" + f.group(2), Long.parseLong(f.group(1)));
        }
        Map<String, Long> cTags = withPrefix(c, "F_");
        cTags.remove("F_MAX_TAG");
        assertEquals(cTags, docTags, "SPAWN field tags (docs/protocol.md vs protocol.h)");
    }

    @Test
    void payloadSizesAreTheSameInCAndJava() throws Exception {
        String src = read("native/src/protocol.c");
        Map<String, Long> c = cConstants();
        Map<String, String> defines = new HashMap<>();
        c.forEach((k, v) -> defines.put(k, Long.toString(v)));
        defines.put("ANY", Long.toString(Protocol.ANY));
        Eval ev = new Eval(defines, new HashMap<>());
        int rule = src.indexOf("rule_for(enum proto_dir dir, uint8_t type)\n{");
        assertTrue(rule > 0, "rule_for in protocol.c");
        int split = src.indexOf("} else {", rule);
        int end = src.indexOf("return r;", split);
        String toHelper = src.substring(rule, split);
        String fromHelper = src.substring(split, end);
        Pattern caseRule = Pattern.compile("case (T_[A-Z_]+): r = (EXACT|RANGE)\\(([^;]*)\\); break;");
        int seen = 0;
        for (String[] part : new String[][] {{"to", toHelper}, {"from", fromHelper}}) {
            boolean to = part[0].equals("to");
            Matcher m = caseRule.matcher(part[1]);
            int n = 0;
            while (m.find()) {
                long type = c.get(m.group(1));
                long[] cBounds;
                if (m.group(2).equals("EXACT")) {
                    long v = ev.eval(m.group(3));
                    cBounds = new long[] {v, v};
                } else {
                    String[] ab = splitTopLevelComma(m.group(3));
                    cBounds = new long[] {ev.eval(ab[0]), ev.eval(ab[1])};
                }
                long[] jBounds = Protocol.payloadBounds(to, (int) type);
                assertNotNull(jBounds, m.group(1) + " (" + part[0] + " the helper) has no size rule in Protocol");
                assertArrayEquals(cBounds, jBounds, m.group(1) + " payload bounds, " + part[0] + " the helper");
                n++;
            }
            long javaTypes = withPrefix(javaConstants(), "T_").values().stream()
                    .filter(v -> Protocol.payloadBounds(to, v.intValue()) != null).count();
            assertEquals(javaTypes, n, "as many size rules in C as in Java, " + part[0] + " the helper");
            seen += n;
        }
        assertEquals(withPrefix(c, "T_").size(), seen, "every frame type has one size rule");
    }

    private static String[] splitTopLevelComma(String s) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '(') {
                depth++;
            } else if (ch == ')') {
                depth--;
            } else if (ch == ',' && depth == 0) {
                return new String[] {s.substring(0, i), s.substring(i + 1)};
            }
        }
        throw new IllegalArgumentException("no comma in " + s);
    }

    /** Evaluates the constant expressions of the header: numbers (with a u suffix), names, +, * and |. */
    static final class Eval {
        private final Map<String, String> defines;
        private final Map<String, Long> known;
        private String s;
        private int at;

        Eval(Map<String, String> defines, Map<String, Long> known) {
            this.defines = defines;
            this.known = known;
        }

        long value(String name) {
            Long k = known.get(name);
            if (k != null) {
                return k;
            }
            String def = defines.get(name);
            if (def == null) {
                throw new IllegalArgumentException("unknown name " + name);
            }
            return new Eval(defines, known).eval(def);
        }

        long eval(String expr) {
            s = expr;
            at = 0;
            long v = or();
            skip();
            if (at != s.length()) {
                throw new IllegalArgumentException("cannot evaluate " + expr);
            }
            return v;
        }

        private void skip() {
            while (at < s.length() && Character.isWhitespace(s.charAt(at))) {
                at++;
            }
        }

        private long or() {
            long v = sum();
            for (skip(); at < s.length() && s.charAt(at) == '|'; skip()) {
                at++;
                v |= sum();
            }
            return v;
        }

        private long sum() {
            long v = product();
            for (skip(); at < s.length() && s.charAt(at) == '+'; skip()) {
                at++;
                v += product();
            }
            return v;
        }

        private long product() {
            long v = atom();
            for (skip(); at < s.length() && s.charAt(at) == '*'; skip()) {
                at++;
                v *= atom();
            }
            return v;
        }

        private long atom() {
            skip();
            if (at >= s.length()) {
                throw new IllegalArgumentException("cannot evaluate " + s);
            }
            char ch = s.charAt(at);
            if (ch == '(') {
                at++;
                long v = or();
                skip();
                if (at >= s.length() || s.charAt(at) != ')') {
                    throw new IllegalArgumentException("cannot evaluate " + s);
                }
                at++;
                return v;
            }
            int start = at;
            if (Character.isDigit(ch)) {
                while (at < s.length() && Character.isLetterOrDigit(s.charAt(at))) {
                    at++;
                }
                String num = s.substring(start, at).replaceAll("[uUlL]+$", "");
                return Long.decode(num);
            }
            while (at < s.length() && (Character.isLetterOrDigit(s.charAt(at)) || s.charAt(at) == '_')) {
                at++;
            }
            if (start == at) {
                throw new IllegalArgumentException("cannot evaluate " + s);
            }
            return value(s.substring(start, at));
        }
    }
}
