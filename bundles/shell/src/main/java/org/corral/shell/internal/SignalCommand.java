package org.corral.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.Signal;

/** {@code corral:signal [-g] <name> <signal>}: what {@code systemctl kill -s} is for a unit. */
@Command(scope = "corral", name = "signal", description = "Sends a signal to a daemon's running program (its main"
        + " process; with -g its whole process group). Only for users with the admin role.",
        detailedDescription = "Examples: corral:signal mqtt HUP, corral:signal -g worker USR1, corral:signal web 10")
@Service
public class SignalCommand extends DaemonCommand {

    @Argument(index = 1, name = "signal", description = "The signal: a name (HUP, SIGUSR1, usr2) or a number",
            required = true)
    @Completion(SignalCompleter.class)
    String signal;

    @Option(name = "-g", aliases = "--group", description = "Send it to the program's whole process group")
    boolean group;

    @Override
    public Object execute() throws Exception {
        Signal s;
        try {
            s = Signal.parse(signal);
        } catch (IllegalArgumentException e) {
            throw Commands.error("corral: " + e.getMessage());
        }
        onDaemon(e -> {
            try {
                if (group) {
                    e.daemon.signalGroup(s);
                } else {
                    e.daemon.signal(s);
                }
            } catch (IllegalStateException | UnsupportedOperationException ex) {
                throw Commands.error("corral: " + ex.getMessage());
            }
            System.out.println("corral: " + e.name + ": sent " + s + " to " + (group ? "the process group of " : "")
                    + "pid " + Format.pid(e.daemon.pid()));
        });
        return null;
    }
}
