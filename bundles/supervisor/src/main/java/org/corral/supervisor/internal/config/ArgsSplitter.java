package org.corral.supervisor.internal.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one string into arguments the way a POSIX shell splits words, and nothing more: blanks
 * (space, tab, newline) separate words; {@code '...'} keeps everything literally; {@code "..."} keeps
 * everything except that a backslash escapes {@code " \ $ `} and a backslash-newline is removed; outside
 * quotes a backslash escapes any character (backslash-newline is removed). Adjacent quoted and unquoted
 * parts form one word; {@code ''} or {@code ""} is an empty argument.
 *
 * <p>There is <em>no</em> expansion of any kind: {@code $VAR}, {@code ~}, {@code *}, {@code ;},
 * {@code |}, {@code #} and friends are ordinary characters.
 */
public final class ArgsSplitter {

    private ArgsSplitter() {
    }

    /**
     * Splits {@code text}.
     *
     * @throws IllegalArgumentException for an unterminated quote or a trailing backslash, naming the
     *     position (1-based character index)
     */
    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                if (inWord) {
                    out.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated single quote at character " + (i + 1));
                }
                word.append(text, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                int start = i;
                i++;
                boolean closed = false;
                while (i < n) {
                    char d = text.charAt(i);
                    if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (d == '\\' && i + 1 < n) {
                        char e = text.charAt(i + 1);
                        if (e == '"' || e == '\\' || e == '$' || e == '`') {
                            word.append(e);
                            i += 2;
                            continue;
                        }
                        if (e == '\n') {
                            i += 2;
                            continue;
                        }
                    }
                    word.append(d);
                    i++;
                }
                if (!closed) {
                    throw new IllegalArgumentException("unterminated double quote at character " + (start + 1));
                }
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 >= n) {
                    throw new IllegalArgumentException("trailing backslash at character " + (i + 1));
                }
                char e = text.charAt(i + 1);
                if (e != '\n') {
                    word.append(e);
                    inWord = true;
                }
                i += 2;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            out.add(word.toString());
        }
        return out;
    }
}
