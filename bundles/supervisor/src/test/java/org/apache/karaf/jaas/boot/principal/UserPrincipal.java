package org.apache.karaf.jaas.boot.principal;

import java.security.Principal;

/**
 * A stand-in, for tests only, for the class of Karaf's user principal: Corral recognizes the user of a JAAS Subject
 * by this class name without importing Karaf.
 */
public final class UserPrincipal implements Principal {

    private final String name;

    public UserPrincipal(String name) {
        this.name = name;
    }

    @Override
    public String getName() {
        return name;
    }
}
