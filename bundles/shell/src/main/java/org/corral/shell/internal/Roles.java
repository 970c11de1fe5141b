package org.corral.shell.internal;

import java.security.AccessControlContext;
import java.security.AccessController;
import java.security.Principal;

import javax.security.auth.Subject;

/**
 * The roles of the user running a command, the way Karaf's own commands see them: the JAAS {@link Subject} that
 * the console runs each command under (the local console's from {@code karaf.local.roles}, a remote user's from
 * the {@code karaf} realm), whose role principals are of class
 * {@code org.apache.karaf.jaas.boot.principal.RolePrincipal} (matched by name: no Karaf JAAS package is imported).
 */
final class Roles {

    /** The role that may see secret values and control daemons, as in the command ACL. */
    static final String ADMIN = "admin";

    static final String KARAF_ROLE_PRINCIPAL = "org.apache.karaf.jaas.boot.principal.RolePrincipal";

    private Roles() {
    }

    /** The subject of the running command, or null (then nobody's roles are known: treated as none). */
    @SuppressWarnings("removal")
    static Subject current() {
        AccessControlContext acc = AccessController.getContext();
        return acc == null ? null : Subject.getSubject(acc);
    }

    /** Whether the user running the command has {@code role}. */
    static boolean currentUserHas(String role) {
        return has(current(), role);
    }

    /** Whether {@code subject} has {@code role} (a Karaf role principal of that name). */
    static boolean has(Subject subject, String role) {
        if (subject == null) {
            return false;
        }
        for (Principal p : subject.getPrincipals()) {
            if (p.getClass().getName().equals(KARAF_ROLE_PRINCIPAL) && role.equals(p.getName())) {
                return true;
            }
        }
        return false;
    }

    /** The user name of the running command (Karaf's UserPrincipal), or null; for log lines. */
    static String currentUser() {
        Subject s = current();
        if (s != null) {
            for (Principal p : s.getPrincipals()) {
                if (p.getClass().getName().equals("org.apache.karaf.jaas.boot.principal.UserPrincipal")) {
                    return p.getName();
                }
            }
        }
        return null;
    }
}
