package org.corral.api;

import java.util.Locale;

/**
 * Where a program's stdout goes.
 *
 * @since 1.2
 */
public enum StdoutMode {
    /** Read by Corral (default): collected, streamed to the consumer, or, for a daemon, logged and kept. */
    CAPTURE("capture"),
    /**
     * Discarded ({@code /dev/null}): never read, so a chatty program costs nothing; stderr is kept as its
     * {@link StderrMode} says (MuonTrap's {@code capture_stderr_only}). Cannot be combined with
     * {@link StderrMode#MERGE}.
     */
    DISCARD("discard");

    private final String word;

    StdoutMode(String word) {
        this.word = word;
    }

    /**
     * The word for this mode in a daemon configuration ({@code stdout = discard}) and at the console
     * ({@code --stdout}): {@code capture} or {@code discard}.
     */
    public String word() {
        return word;
    }

    /**
     * The mode a {@link #word()} names, in any case, blanks around it ignored.
     *
     * @throws IllegalArgumentException for another word (the message lists the words, not the text given)
     */
    public static StdoutMode parse(String word) {
        String w = word == null ? "" : word.trim().toLowerCase(Locale.ROOT);
        for (StdoutMode m : values()) {
            if (m.word.equals(w)) {
                return m;
            }
        }
        throw new IllegalArgumentException("expected capture or discard");
    }
}
