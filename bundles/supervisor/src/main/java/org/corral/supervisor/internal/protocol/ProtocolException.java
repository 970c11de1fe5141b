package org.corral.supervisor.internal.protocol;

/** A peer sent a frame that breaks the protocol (bad length, unknown type, wrong payload size). */
public class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
