package org.corral.api;

/** The program does not exist, is not a regular file, or is not executable. Nothing was started. */
public class ProgramNotFoundException extends ProcessException {
    private static final long serialVersionUID = 1L;

    private final String program;

    public ProgramNotFoundException(String program, String message) {
        super(message);
        this.program = program;
    }

    /** The program as it was given (path or name). */
    public String program() {
        return program;
    }
}
