package org.corral.web.internal;

import java.security.Principal;
import java.util.Set;
import java.util.TreeSet;

import javax.security.auth.Subject;

/**
 * Roles of a JAAS {@link Subject} the way Karaf names them: principals of class
 * {@code org.apache.karaf.jaas.boot.principal.RolePrincipal} (matched by class name, so no Karaf package is
 * imported). A role setting is a role name, or {@code class:name} for another principal class, as in Karaf's
 * {@code etc/org.apache.karaf.webconsole.cfg}.
 */
final class Roles {

    static final String KARAF_ROLE_PRINCIPAL = "org.apache.karaf.jaas.boot.principal.RolePrincipal";

    /** The request attribute where Karaf's web console security provider leaves the logged-in Subject. */
    static final String KARAF_SUBJECT_ATTRIBUTE = "karaf.subject.runas";

    private Roles() {
    }

    /** Whether {@code subject} has {@code role} (a name, or {@code class:name}); an empty role: always. */
    static boolean has(Subject subject, String role) {
        if (role == null || role.isBlank()) {
            return subject != null;
        }
        if (subject == null) {
            return false;
        }
        String cls = KARAF_ROLE_PRINCIPAL;
        String name = role.trim();
        int colon = name.indexOf(':');
        if (colon > 0) {
            cls = name.substring(0, colon);
            name = name.substring(colon + 1);
        }
        for (Principal p : subject.getPrincipals()) {
            if (p.getClass().getName().equals(cls) && name.equals(p.getName())) {
                return true;
            }
        }
        return false;
    }

    /** The role names of {@code subject} (Karaf role principals), sorted; for display. */
    static Set<String> names(Subject subject) {
        Set<String> out = new TreeSet<>();
        if (subject != null) {
            for (Principal p : subject.getPrincipals()) {
                if (p.getClass().getName().equals(KARAF_ROLE_PRINCIPAL)) {
                    out.add(p.getName());
                }
            }
        }
        return out;
    }

    /** The user name of {@code subject} (Karaf's UserPrincipal), or null. */
    static String user(Subject subject) {
        if (subject != null) {
            for (Principal p : subject.getPrincipals()) {
                if (p.getClass().getName().equals("org.apache.karaf.jaas.boot.principal.UserPrincipal")) {
                    return p.getName();
                }
            }
        }
        return null;
    }
}
