package org.corral.supervisor.internal.daemon;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * The regular expression of a {@code ready.log} check, matched in time linear in the line's length whatever
 * the pattern (RE2/J, embedded privately in this bundle): a pattern that backtracks catastrophically in
 * {@code java.util.regex}, such as {@code (.*,){8}X} against a line of commas, costs nothing special here. The
 * syntax is RE2's, which is Java's without the constructs that need backtracking: backreferences, lookahead and
 * lookbehind, atomic groups, possessive quantifiers (and {@code \Z}: use {@code \z}). Immutable.
 */
public final class LinePattern {

    private final Pattern pattern;

    private LinePattern(Pattern pattern) {
        this.pattern = pattern;
    }

    /**
     * Compiles {@code regex} (searched with find semantics, like {@code Matcher.find}).
     *
     * @throws IllegalArgumentException naming what the linear-time matcher cannot do
     */
    public static LinePattern compile(String regex) {
        try {
            return new LinePattern(Pattern.compile(regex));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(explain(regex, e));
        }
    }

    /** Whether {@code regex} can be matched, or why not (null when it can). */
    public static String problem(String regex) {
        try {
            compile(regex);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static final java.util.regex.Pattern BACKREFERENCE = java.util.regex.Pattern.compile("\\\\([1-9]|k<)");
    private static final java.util.regex.Pattern POSSESSIVE = java.util.regex.Pattern.compile("(?<!\\\\)[*+?}]\\+");

    private static String explain(String regex, PatternSyntaxException e) {
        String what;
        if (BACKREFERENCE.matcher(regex).find()) {
            what = "backreferences (\\1, \\k<name>) are not supported";
        } else if (regex.contains("(?=") || regex.contains("(?!") || regex.contains("(?<=") || regex.contains("(?<!")) {
            what = "lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported";
        } else if (regex.contains("(?>")) {
            what = "atomic groups ((?>...)) are not supported";
        } else if (POSSESSIVE.matcher(regex).find()) {
            what = "possessive quantifiers (*+, ++, ?+) are not supported";
        } else if (regex.contains("\\Z")) {
            what = "\\Z is not supported (\\z is)";
        } else {
            what = e.getDescription() + (e.getPattern() == null || e.getPattern().isEmpty() ? ""
                    : " at `" + e.getPattern() + "`");
        }
        return "cannot be matched in linear time: " + what + " (ready.log uses RE2 syntax, which has no construct"
                + " that needs backtracking)";
    }

    /** Whether {@code line} contains a match. */
    public boolean find(CharSequence line) {
        return pattern.matcher(line).find();
    }

    /** The regular expression as written. */
    public String pattern() {
        return pattern.pattern();
    }

    @Override
    public String toString() {
        return pattern.pattern();
    }
}
