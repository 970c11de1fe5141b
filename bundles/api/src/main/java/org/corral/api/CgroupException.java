package org.corral.api;

/**
 * A cgroup operation failed: no cgroup2 mount, a missing controller (the message names it and the
 * command that enables it), a path that escapes its base, a write the kernel refused.
 */
public class CgroupException extends ProcessException {
    private static final long serialVersionUID = 1L;

    public CgroupException(String message) {
        super(message);
    }

    public CgroupException(String message, Throwable cause) {
        super(message, cause);
    }
}
