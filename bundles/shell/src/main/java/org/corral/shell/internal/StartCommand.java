package org.corral.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.Daemon;

/** {@code corral:start <name>...}. */
@Command(scope = "corral", name = "start", description = "Starts STOPPED or FAILED daemons again (and resets their restart intensity).")
@Service
public class StartCommand extends LifecycleCommand {

    @Override
    String apply(Daemon daemon) {
        daemon.start();
        return "started, now " + daemon.state();
    }
}
