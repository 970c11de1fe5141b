package org.corral.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.Daemon;

/** {@code corral:reload <name>...}: what {@code systemctl reload} is for a unit whose reload is a signal. */
@Command(scope = "corral", name = "reload", description = "Asks daemons' running programs to reload their"
        + " configuration: sends each its reload.signal (default SIGHUP). Only for users with the admin role.")
@Service
public class ReloadCommand extends LifecycleCommand {

    @Override
    String apply(Daemon daemon) {
        daemon.reload();
        return "sent " + daemon.spec().reloadSignal() + " to pid " + Format.pid(daemon.pid()) + " (reload)";
    }
}
