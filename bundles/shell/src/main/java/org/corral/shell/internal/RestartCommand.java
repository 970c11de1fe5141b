package org.corral.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.Daemon;

/** {@code corral:restart <name>...}. */
@Command(scope = "corral", name = "restart", description = "Stops daemons gracefully and starts them again at once.")
@Service
public class RestartCommand extends LifecycleCommand {

    @Argument(index = 0, name = "names", description = "The daemons", required = true, multiValued = true)
    @Completion(DaemonNameCompleter.class)
    List<String> names;

    @Override
    List<String> names() {
        return names;
    }

    @Override
    String apply(Daemon daemon) {
        daemon.restart();
        return "restarted, now " + daemon.state();
    }
}
