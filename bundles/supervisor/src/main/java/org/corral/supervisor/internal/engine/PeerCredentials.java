package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user at the other end of a Unix domain connection ({@code SO_PEERCRED}, through
 * {@code jdk.net.ExtendedSocketOptions}): every helper and broker runs as the JVM's own user, so a connection
 * from anyone else is refused before a byte of it is read or written. Where the {@code jdk.net} module is not
 * available (an OSGi framework that does not export it) the check is skipped, with one warning: the 0700
 * directories around the sockets still keep other users out.
 */
final class PeerCredentials {

    private static final Logger LOG = LoggerFactory.getLogger(PeerCredentials.class);
    private static volatile boolean warned;

    private final UserPrincipal self;

    /** @param ownFile a file this JVM created (its owner is this JVM's effective user) */
    PeerCredentials(Path ownFile) throws IOException {
        this.self = Files.getOwner(ownFile);
    }

    /**
     * The peer's user when it is not this JVM's (a refusal), or empty when it is the same user or the check is
     * unavailable.
     */
    Optional<String> foreignUser(SocketChannel ch) {
        UserPrincipal peer;
        try {
            peer = Access.peerUser(ch);
        } catch (LinkageError | UnsupportedOperationException e) {
            if (!warned) {
                warned = true;
                LOG.warn("corral: the user of peers on Unix sockets cannot be checked here (SO_PEERCRED: {}); only "
                        + "the 0700 directories keep other users away from the helpers", e.toString());
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("unknown (" + e.getMessage() + ")");
        }
        if (peer.equals(self) || peer.getName().equals(self.getName())) {
            return Optional.empty();
        }
        return Optional.of(peer.getName());
    }

    /** This JVM's user. */
    String self() {
        return self.getName();
    }

    /** The only class that touches jdk.net: loaded when first used. */
    private static final class Access {
        static UserPrincipal peerUser(SocketChannel ch) throws IOException {
            return ch.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user();
        }
    }
}
