package org.corral.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.corral.api.Daemon;
import org.osgi.framework.BundleContext;

/** What start, stop and restart share: one or more daemon names, each handled in turn. */
abstract class LifecycleCommand implements Action {

    @Reference
    BundleContext context;

    @Argument(index = 0, name = "names", description = "The daemons", required = true, multiValued = true)
    @Completion(DaemonNameCompleter.class)
    List<String> names;

    /** Acts on one daemon and returns what to print about it. */
    abstract String apply(Daemon daemon) throws Exception;

    @Override
    public Object execute() throws Exception {
        try (Daemons daemons = new Daemons(context)) {
            // resolve every name first: an unknown name fails the whole command before anything changed
            List<Daemons.Entry> entries = new java.util.ArrayList<>();
            for (String n : names) {
                entries.add(daemons.find(n));
            }
            for (Daemons.Entry e : entries) {
                String done;
                try {
                    done = apply(e.daemon);
                } catch (IllegalStateException ex) {
                    // an INVALID daemon cannot start; a removed one cannot be controlled: one line, no trace
                    throw Commands.error("corral: " + ex.getMessage());
                }
                System.out.println("corral: " + e.name + ": " + done);
            }
        }
        return null;
    }
}
