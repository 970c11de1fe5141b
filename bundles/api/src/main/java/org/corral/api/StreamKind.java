package org.corral.api;

/** The output streams of a program. */
public enum StreamKind {
    STDOUT, STDERR
}
