package org.corral.api;

/** A command or daemon spec was refused: the message names the option, its value and why. Nothing ran. */
public class InvalidCommandException extends ProcessException {
    private static final long serialVersionUID = 1L;

    public InvalidCommandException(String message) {
        super(message);
    }

    public InvalidCommandException(String message, Throwable cause) {
        super(message, cause);
    }
}
