package org.corral.shell.internal;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.corral.api.Signal;

/** Completes signal names (HUP, TERM, USR1, ...). */
@Service
public class SignalCompleter implements Completer {

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        List<String> names = new ArrayList<>();
        for (Signal s : Signal.values()) {
            names.add(s.name());
        }
        return new StringsCompleter(names).complete(session, commandLine, candidates);
    }
}
