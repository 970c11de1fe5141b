package org.corral.supervisor.internal.daemon;

import java.security.AccessControlContext;
import java.security.AccessController;
import java.security.Principal;

import javax.security.auth.Subject;

/**
 * Who asks, when a request comes with a JAAS {@link Subject}: Karaf runs console commands and JMX operations
 * under the user's Subject, whose user principal is {@code org.apache.karaf.jaas.boot.principal.UserPrincipal}
 * (matched by name: no Karaf package is imported). For log lines and events, never for a decision.
 */
final class Requester {

    static final String KARAF_USER_PRINCIPAL = "org.apache.karaf.jaas.boot.principal.UserPrincipal";

    private Requester() {
    }

    /** The user name of the current request, or null when there is no Subject with a user. */
    @SuppressWarnings("removal")
    static String current() {
        try {
            AccessControlContext acc = AccessController.getContext();
            Subject s = acc == null ? null : Subject.getSubject(acc);
            if (s != null) {
                for (Principal p : s.getPrincipals()) {
                    if (p.getClass().getName().equals(KARAF_USER_PRINCIPAL)) {
                        return p.getName();
                    }
                }
            }
        } catch (RuntimeException e) {
            // no security context to read: nobody is named
        }
        return null;
    }
}
