package org.corral.web.internal;

import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AccountException;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

/**
 * A login through a JAAS realm (Karaf's {@code karaf} realm: {@code etc/users.properties} unless configured
 * otherwise), with the JDK's JAAS API only. Karaf's login module classes are boot-delegated, so they load from
 * any bundle's class loader; this bundle's is set as the thread's context class loader for the login.
 */
final class JaasLogin {

    private JaasLogin() {
    }

    /**
     * The logged-in Subject, or null when the realm refused the user or the password.
     *
     * @throws IllegalStateException the realm could not be used at all (unknown realm, a login module missing)
     */
    static Subject login(String realm, String user, String password) {
        Subject subject = new Subject();
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(JaasLogin.class.getClassLoader());
        try {
            LoginContext lc = new LoginContext(realm, subject, callbacks -> {
                for (Callback cb : callbacks) {
                    if (cb instanceof NameCallback) {
                        ((NameCallback) cb).setName(user);
                    } else if (cb instanceof PasswordCallback) {
                        ((PasswordCallback) cb).setPassword(password.toCharArray());
                    } else {
                        throw new UnsupportedCallbackException(cb);
                    }
                }
            });
            lc.login();
            return subject;
        } catch (FailedLoginException | AccountException e) {
            return null;
        } catch (LoginException e) {
            throw new IllegalStateException("JAAS realm '" + realm + "' cannot log users in: " + e.getMessage(), e);
        } finally {
            t.setContextClassLoader(before);
        }
    }
}
