package org.corral.supervisor.internal.engine;

import java.nio.file.Path;
import java.util.Map;

/**
 * A program detached from its helper's control connection, waiting for the next supervisor version to
 * re-attach (protocol version 2, DETACH/ATTACH). Everything here is written to the hand-over file, which
 * only the JVM's user can read: the secret lets the successor in, and the helper also checks that the
 * successor runs as its own user (SO_PEERCRED).
 *
 * @param helperPid the helper's pid
 * @param pid the program's pid
 * @param token the spawn token (hex), repeated in the helper's HELLO on the new connection
 * @param secret the 16-byte attach secret (hex)
 * @param socket the helper's listening socket (absolute)
 * @param leaseMs how long the helper waits for ATTACH before it tears its program down
 * @param stdoutBytes DATA payload bytes sent on stdout since the program started (over all connections)
 * @param stderrBytes the same for stderr
 * @param cgroup the program's cgroup placement ({@link CgroupPlacement#persist}), empty when it has none
 */
public record HandOff(long helperPid, long pid, String token, String secret, Path socket, long leaseMs,
        long stdoutBytes, long stderrBytes, Map<String, String> cgroup) {

    public HandOff {
        cgroup = Map.copyOf(cgroup);
    }
}
