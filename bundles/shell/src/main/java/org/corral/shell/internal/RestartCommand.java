package org.corral.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.Daemon;

/** {@code corral:restart <name>...}. */
@Command(scope = "corral", name = "restart", description = "Stops daemons gracefully and starts them again at once.")
@Service
public class RestartCommand extends LifecycleCommand {

    @Override
    String apply(Daemon daemon) {
        daemon.restart();
        return "restarted, now " + daemon.state();
    }
}
