package org.corral.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.Daemon;

/** {@code corral:start <name>...}. */
@Command(scope = "corral", name = "start", description = "Starts STOPPED or FAILED daemons again (and resets their restart intensity).")
@Service
public class StartCommand extends LifecycleCommand {

    @Argument(index = 0, name = "names", description = "The daemons", required = true, multiValued = true)
    @Completion(DaemonNameCompleter.class)
    List<String> names;

    @Override
    List<String> names() {
        return names;
    }

    @Override
    String apply(Daemon daemon) {
        daemon.start();
        return "started, now " + daemon.state();
    }
}
