package org.corral.supervisor.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ArgsSplitterTest {

    private static List<String> split(String s) {
        return ArgsSplitter.split(s);
    }

    @Test
    void blanksSeparate() {
        assertEquals(List.of("-c", "/etc/x.conf", "-v"), split("  -c /etc/x.conf\t-v \n"));
        assertEquals(List.of(), split(""));
        assertEquals(List.of(), split("   "));
    }

    @Test
    void singleQuotesAreLiteral() {
        assertEquals(List.of("a b", "c\\d", "$HOME", "\"x\""), split("'a b' 'c\\d' '$HOME' '\"x\"'"));
    }

    @Test
    void doubleQuotesEscapeOnlyTheirSpecials() {
        assertEquals(List.of("a \"b\" c", "back\\slash", "\\n stays", "$X", "`y`"),
                split("\"a \\\"b\\\" c\" \"back\\\\slash\" \"\\n stays\" \"\\$X\" \"\\`y\\`\""));
    }

    @Test
    void backslashOutsideQuotes() {
        assertEquals(List.of("a b", "c'd", "e\"f", "g"), split("a\\ b c\\'d e\\\"f g"));
        assertEquals(List.of("ab"), split("a\\\nb"));
    }

    @Test
    void adjacentPartsJoin() {
        assertEquals(List.of("--name=hello world", "x"), split("--name='hello world' x"));
        assertEquals(List.of("abc"), split("a'b'\"c\""));
    }

    @Test
    void emptyQuotesAreEmptyArguments() {
        assertEquals(List.of("", "x", ""), split("'' x \"\""));
    }

    @Test
    void noExpansionWhatsoever() {
        assertEquals(List.of("$HOME", "~", "*.txt", "a;b", "|", "#comment", "$(id)", "`id`", "&&", ">out"),
                split("$HOME ~ *.txt a;b | #comment $(id) `id` && >out"));
    }

    @Test
    void unterminatedQuotesAreNamedWithPosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> split("a 'b c"));
        assertTrue(e.getMessage().contains("single quote at character 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> split("x \"y\\\""));
        assertTrue(e.getMessage().contains("double quote at character 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> split("abc\\"));
        assertTrue(e.getMessage().contains("trailing backslash at character 4"), e.getMessage());
    }
}
