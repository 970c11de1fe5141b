package org.corral.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.Daemon;

/** {@code corral:stop <name>...}. */
@Command(scope = "corral", name = "stop", description = "Stops daemons gracefully (kill signal, grace, SIGKILL) with every process they spawned. They stay STOPPED until started again, their configuration changes or Karaf restarts.")
@Service
public class StopCommand extends LifecycleCommand {

    @Override
    String apply(Daemon daemon) {
        daemon.stop();
        return "stopped, now " + daemon.state();
    }
}
