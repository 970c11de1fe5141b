package org.corral.web.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.Principal;

import javax.security.auth.Subject;

import org.junit.jupiter.api.Test;

class RolesTest {

    /** A principal class standing for a role principal of another login module. */
    static final class TestRole implements Principal {
        private final String name;

        TestRole(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }
    }

    @Test
    void rolesAreMatchedByPrincipalClassAndName() {
        Subject s = new Subject();
        s.getPrincipals().add(new TestRole("admin"));
        String cls = TestRole.class.getName();
        assertTrue(Roles.has(s, cls + ":admin"));
        assertFalse(Roles.has(s, cls + ":viewer"));
        // the default class is Karaf's RolePrincipal: a principal of another class named admin is not that role
        assertFalse(Roles.has(s, "admin"));
        assertTrue(Roles.has(s, ""), "no role required: any logged-in user");
        assertFalse(Roles.has(null, ""), "no one logged in");
        assertFalse(Roles.has(null, "admin"));
    }
}
