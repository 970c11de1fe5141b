package org.corral.api;

import java.util.Locale;

/** Where a program's stderr goes. */
public enum StderrMode {
    /** Kept apart from stdout (default). */
    SEPARATE("capture"),
    /** Merged into stdout, in the order the program wrote it (one pipe). */
    MERGE("stdout"),
    /** Discarded ({@code /dev/null}). */
    DISCARD("discard");

    private final String word;

    StderrMode(String word) {
        this.word = word;
    }

    /**
     * The word for this mode in a daemon configuration ({@code stderr = stdout}) and at the console
     * ({@code --stderr}): {@code capture}, {@code stdout} or {@code discard}.
     *
     * @since 1.2
     */
    public String word() {
        return word;
    }

    /**
     * The mode a {@link #word()} names, in any case, blanks around it ignored.
     *
     * @throws IllegalArgumentException for another word (the message lists the words, not the text given)
     * @since 1.2
     */
    public static StderrMode parse(String word) {
        String w = word == null ? "" : word.trim().toLowerCase(Locale.ROOT);
        for (StderrMode m : values()) {
            if (m.word.equals(w)) {
                return m;
            }
        }
        throw new IllegalArgumentException("expected capture, stdout or discard");
    }
}
