package org.corral.api;

/** Where a program's stderr goes. */
public enum StderrMode {
    /** Kept apart from stdout (default). */
    SEPARATE,
    /** Merged into stdout, in the order the program wrote it (one pipe). */
    MERGE,
    /** Discarded ({@code /dev/null}). */
    DISCARD
}
