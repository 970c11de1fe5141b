package org.corral.web.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may read {@code /corral/metrics}: the access mode of {@code metrics.access} and the parsing of HTTP basic
 * credentials. Pure: the JAAS login itself is {@link JaasLogin}'s.
 */
final class MetricsAccess {

    /** The values of {@code metrics.access}. */
    enum Mode {
        /** The endpoint is not registered at all. */
        DISABLED,
        /** Requests from a loopback address (127.0.0.0/8, ::1) only; others get 403. */
        LOCALHOST,
        /** Requests from any address the HTTP service listens on. */
        ANY;

        /** Parses a setting; an unknown value is an error that names the key, the value and the choices. */
        static Mode parse(String value) {
            String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
            switch (v) {
                case "disabled": case "off": case "none": return DISABLED;
                case "localhost": case "loopback": case "local": return LOCALHOST;
                case "any": case "all": return ANY;
                default:
                    throw new IllegalArgumentException(WebConfig.PID + ": metrics.access = '" + value
                            + "': expected disabled, localhost or any");
            }
        }
    }

    /** A user name and password from an {@code Authorization: Basic} header. */
    record Credentials(String user, String password) {
        @Override
        public String toString() {
            return "Credentials[" + user + "]";
        }
    }

    private MetricsAccess() {
    }

    /** Whether {@code remoteAddr} (an IP literal, as {@code ServletRequest.getRemoteAddr()} gives it) is loopback. */
    static boolean isLoopback(String remoteAddr) {
        if (remoteAddr == null || remoteAddr.isBlank()) {
            return false;
        }
        String a = remoteAddr.trim();
        if (a.startsWith("[") && a.endsWith("]")) {
            a = a.substring(1, a.length() - 1);
        }
        // only IP literals: never let a host name trigger a lookup
        if (!(a.indexOf(':') >= 0 || a.matches("[0-9.]+"))) {
            return false;
        }
        try {
            InetAddress ia = InetAddress.getByName(a);
            if (ia.isLoopbackAddress()) {
                return true;
            }
            // IPv4-mapped IPv6 (::ffff:127.0.0.1) as some connectors report it
            byte[] b = ia.getAddress();
            if (b.length == 16) {
                for (int i = 0; i < 10; i++) {
                    if (b[i] != 0) {
                        return false;
                    }
                }
                return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff && (b[12] & 0xff) == 127;
            }
            return false;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The credentials of an {@code Authorization} header value, if it is well-formed HTTP basic. */
    static Optional<Credentials> basic(String header) {
        if (header == null) {
            return Optional.empty();
        }
        String h = header.trim();
        int blank = h.indexOf(' ');
        if (blank <= 0 || !h.substring(0, blank).equalsIgnoreCase("Basic")) {
            return Optional.empty();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(h.substring(blank + 1).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1)));
    }
}
