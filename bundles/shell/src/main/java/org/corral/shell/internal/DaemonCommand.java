package org.corral.shell.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.support.CommandException;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/** What the commands about one daemon share: its name (completed with Tab), the framework and Config Admin. */
abstract class DaemonCommand implements Action {

    @Argument(index = 0, name = "name", description = "The daemon", required = true)
    @Completion(DaemonNameCompleter.class)
    String name;

    @Reference
    BundleContext context;

    @Reference(optional = true)
    ConfigurationAdmin configAdmin;

    /** What a command does with the daemon it names. */
    interface OnDaemon {
        void run(Daemons.Entry daemon) throws Exception;
    }

    /**
     * Runs {@code action} on the daemon named {@link #name}.
     *
     * @throws CommandException when there is none, naming the daemons there are
     */
    void onDaemon(OnDaemon action) throws Exception {
        try (Daemons daemons = new Daemons(context)) {
            action.run(daemons.find(name));
        }
    }

    /** Checks a {@code -n} option. */
    static int lines(int n) throws CommandException {
        if (n < 0) {
            throw Commands.error("corral: -n must be >= 0, got " + n);
        }
        return n;
    }

    /** Config Admin, or the one-line error that daemon configurations cannot be changed without it. */
    static ConfigurationAdmin configAdmin(ConfigurationAdmin admin) throws CommandException {
        if (admin == null) {
            throw Commands.error("corral: Config Admin is not running: daemon configurations cannot be changed");
        }
        return admin;
    }
}
