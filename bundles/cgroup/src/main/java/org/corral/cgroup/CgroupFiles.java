package org.corral.cgroup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

import org.corral.api.CgroupException;
import org.corral.api.CgroupValue;

/**
 * Parsers for the content of cgroup v2 interface files, by the shapes of the kernel's documentation
 * (see {@link CgroupValue}). The strict {@code parseX} methods throw a {@link CgroupException} naming the
 * file, the line and what was wrong; {@link #parse} picks the shape from the file name and content and
 * never throws: content that fits no shape is kept as {@link CgroupValue.Text}.
 */
public final class CgroupFiles {

    /** Files whose content is a list of values even when it looks like something else ({@code cpu.max = max 100000}). */
    private static final Set<String> VALUE_LISTS = Set.of("cgroup.controllers", "cgroup.subtree_control",
            "cgroup.procs", "cgroup.threads", "cpu.max");

    private CgroupFiles() {
    }

    /**
     * Parses the content of interface file {@code file} by its shape: a pressure file → {@link CgroupValue.Pressure};
     * one token → {@link CgroupValue.Single}; {@code key sub=value ...} lines → {@link CgroupValue.NestedKeyed};
     * {@code key number} lines → {@link CgroupValue.FlatKeyed}; blank-separated tokens (or the files listed in
     * {@code VALUE_LISTS}, such as {@code cgroup.procs} and {@code cpu.max}) → {@link CgroupValue.Values}; anything
     * else, including malformed pressure lines, → {@link CgroupValue.Text}.
     */
    public static CgroupValue parse(String file, String content) {
        String raw = stripNewline(content);
        if (VALUE_LISTS.contains(file)) {
            return parseValues(file, raw);
        }
        if (raw.isBlank()) {
            return new CgroupValue.Single(raw, OptionalLong.empty());
        }
        List<String[]> lines = tokenLines(raw);
        if (looksLikePressure(lines)) {
            try {
                return parsePressure(file, raw);
            } catch (CgroupException e) {
                return new CgroupValue.Text(raw);
            }
        }
        if (lines.size() == 1 && lines.get(0).length == 1) {
            return parseSingle(file, raw);
        }
        if (lines.stream().allMatch(CgroupFiles::isNestedLine)) {
            return parseNestedKeyed(file, raw);
        }
        if (lines.stream().allMatch(CgroupFiles::isFlatLine)) {
            return parseFlatKeyed(file, raw);
        }
        if (lines.size() == 1 || lines.stream().allMatch(l -> l.length == 1)) {
            return parseValues(file, raw);
        }
        return new CgroupValue.Text(raw);
    }

    /** One value: a number or a word ({@code max}, {@code domain}, {@code 0-3}); blank content is an empty word. */
    public static CgroupValue.Single parseSingle(String file, String content) {
        String raw = stripNewline(content);
        String t = raw.trim();
        if (t.indexOf(' ') >= 0 || t.indexOf('\n') >= 0 || t.indexOf('\t') >= 0) {
            throw new CgroupException(file + ": expected one value, got '" + raw + "'");
        }
        return new CgroupValue.Single(raw, parseLong(t));
    }

    /** Blank- or newline-separated values ({@code cgroup.procs}, {@code cgroup.controllers}, {@code cpu.max}). */
    public static CgroupValue.Values parseValues(String file, String content) {
        String raw = stripNewline(content);
        String t = raw.trim();
        List<String> values = t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
        return new CgroupValue.Values(raw, values);
    }

    /** Flat keyed: each line {@code key number} ({@code memory.events}, {@code cpu.stat}, {@code io.weight}). */
    public static CgroupValue.FlatKeyed parseFlatKeyed(String file, String content) {
        String raw = stripNewline(content);
        Map<String, Long> values = new LinkedHashMap<>();
        for (Line l : lines(file, raw)) {
            String[] t = l.tokens;
            if (t.length != 2) {
                throw new CgroupException(l.where + ": expected 'key value', got '" + l.text + "'");
            }
            OptionalLong v = parseLong(t[1]);
            if (v.isEmpty()) {
                throw new CgroupException(l.where + ": value of '" + t[0] + "' is not a number: '" + t[1] + "'");
            }
            values.put(t[0], v.getAsLong());
        }
        return new CgroupValue.FlatKeyed(raw, values);
    }

    /** Nested keyed: each line {@code key sub=value sub=value ...} ({@code io.stat}, {@code io.max}, {@code memory.numa_stat}). */
    public static CgroupValue.NestedKeyed parseNestedKeyed(String file, String content) {
        String raw = stripNewline(content);
        Map<String, Map<String, String>> values = new LinkedHashMap<>();
        for (Line l : lines(file, raw)) {
            if (l.tokens[0].indexOf('=') >= 0) {
                throw new CgroupException(l.where + ": expected 'key sub=value ...', the key is missing in '" + l.text + "'");
            }
            values.put(l.tokens[0], Map.copyOf(l.fields("sub=value", " in '" + l.text + "'")));
        }
        return new CgroupValue.NestedKeyed(raw, values);
    }

    /**
     * Pressure stall information: lines {@code some|full avg10=A avg60=B avg300=C total=T}; each of the two
     * lines may be absent, all four fields are required in a line that is present.
     */
    public static CgroupValue.Pressure parsePressure(String file, String content) {
        String raw = stripNewline(content);
        CgroupValue.Psi some = null;
        CgroupValue.Psi full = null;
        for (Line l : lines(file, raw)) {
            String[] t = l.tokens;
            String where = l.where;
            if (!t[0].equals("some") && !t[0].equals("full")) {
                throw new CgroupException(where + ": expected 'some' or 'full' first, got '" + l.text + "'");
            }
            Map<String, String> fields = l.fields("name=value", "");
            CgroupValue.Psi psi = new CgroupValue.Psi(percent(where, fields, "avg10"), percent(where, fields, "avg60"),
                    percent(where, fields, "avg300"), total(where, fields));
            if (t[0].equals("some")) {
                some = psi;
            } else {
                full = psi;
            }
        }
        if (some == null && full == null) {
            throw new CgroupException(file + ": no 'some' or 'full' line in '" + raw + "'");
        }
        return new CgroupValue.Pressure(raw, some, full);
    }

    private static double percent(String where, Map<String, String> fields, String name) {
        String v = fields.get(name);
        if (v == null) {
            throw new CgroupException(where + ": '" + name + "' is missing");
        }
        try {
            double d = Double.parseDouble(v);
            if (d < 0 || Double.isNaN(d) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new CgroupException(where + ": '" + name + "' is not a percentage: '" + v + "'");
        }
    }

    private static long total(String where, Map<String, String> fields) {
        String v = fields.get("total");
        if (v == null) {
            throw new CgroupException(where + ": 'total' is missing");
        }
        OptionalLong l = parseLong(v);
        if (l.isEmpty() || l.getAsLong() < 0) {
            throw new CgroupException(where + ": 'total' is not a count of microseconds: '" + v + "'");
        }
        return l.getAsLong();
    }

    private static boolean looksLikePressure(List<String[]> lines) {
        for (String[] l : lines) {
            if (!(l[0].equals("some") || l[0].equals("full")) || l.length < 2 || !l[1].startsWith("avg")) {
                return false;
            }
        }
        return true;
    }

    private static boolean isNestedLine(String[] t) {
        if (t.length < 2 || t[0].indexOf('=') >= 0) {
            return false;
        }
        for (int i = 1; i < t.length; i++) {
            if (t[i].indexOf('=') <= 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isFlatLine(String[] t) {
        return t.length == 2 && parseLong(t[1]).isPresent() && parseLong(t[0]).isEmpty();
    }

    private static List<String[]> tokenLines(String raw) {
        List<String[]> tokens = new ArrayList<>();
        for (Line l : lines("", raw)) {
            tokens.add(l.tokens);
        }
        return tokens;
    }

    /** The lines of {@code raw} that are not blank, each with its number (from 1) and its blank-separated tokens. */
    private static List<Line> lines(String file, String raw) {
        List<Line> lines = new ArrayList<>();
        String[] all = raw.split("\n", -1);
        for (int i = 0; i < all.length; i++) {
            if (!all[i].isBlank()) {
                lines.add(new Line(file + " line " + (i + 1), all[i], all[i].trim().split("\\s+")));
            }
        }
        return lines;
    }

    /** One line of an interface file: where it is (for errors), its text and its tokens. */
    private static final class Line {
        final String where;
        final String text;
        final String[] tokens;

        Line(String where, String text, String[] tokens) {
            this.where = where;
            this.text = text;
            this.tokens = tokens;
        }

        /** The tokens after the first, each {@code name=value}; {@code shape} and {@code context} go in the error. */
        Map<String, String> fields(String shape, String context) {
            Map<String, String> fields = new LinkedHashMap<>();
            for (int i = 1; i < tokens.length; i++) {
                int eq = tokens[i].indexOf('=');
                if (eq <= 0) {
                    throw new CgroupException(where + ": expected '" + shape + "', got '" + tokens[i] + "'" + context);
                }
                fields.put(tokens[i].substring(0, eq), tokens[i].substring(eq + 1));
            }
            return fields;
        }
    }

    static OptionalLong parseLong(String s) {
        if (s.isEmpty() || s.length() > 20) {
            return OptionalLong.empty();
        }
        int i = s.charAt(0) == '-' ? 1 : 0;
        if (i == s.length()) {
            return OptionalLong.empty();
        }
        for (; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return OptionalLong.empty();
            }
        }
        try {
            return OptionalLong.of(Long.parseLong(s));
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // beyond a long (u64 counters near 2^64): kept as a word
        }
    }

    static String stripNewline(String content) {
        if (content == null) {
            return "";
        }
        return content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
    }
}
