package org.corral.shell.internal;

import java.io.PrintStream;
import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.corral.api.Daemon;
import org.corral.api.values.Values;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;

/** {@code corral:logs [-f] [-n N] <name>}. */
@Command(scope = "corral", name = "logs", description = "Shows a daemon's recent output lines (stdout and stderr)."
        + " With -f, keeps printing new lines as they come, across restarts, until Ctrl-C.")
@Service
public class LogsCommand extends DaemonCommand {

    /** The property of the bytes one {@code corral:logs -f} may hold while the console falls behind. */
    static final String FOLLOWER_PROPERTY = "org.corral.output.memory.follower";
    /** The property of the bytes all {@code corral:logs -f} of this console may hold together. */
    static final String FOLLOWERS_PROPERTY = "org.corral.output.memory.followers";
    /** 1 MiB per follower (a few thousand typical lines; a 1 MiB line fits), 4 MiB for all. */
    static final long FOLLOWER_DEFAULT = 1024 * 1024;
    static final long FOLLOWERS_DEFAULT = 4 * 1024 * 1024;

    /** What all followers of this console hold together. */
    static final ConsoleQueue.Pool FOLLOWERS = new ConsoleQueue.Pool(FOLLOWERS_DEFAULT);

    @Option(name = "-f", aliases = "--follow", description = "Keep printing new lines until Ctrl-C")
    boolean follow;

    @Option(name = "-n", aliases = "--lines", description = "How many recent lines to show first (default 50)")
    int lines = 50;

    /** Following writes to the session's terminal directly (as log:tail does): System.out is flushed only at the end. */
    @Reference
    Session session;

    @Override
    public Object execute() throws Exception {
        lines(lines);
        onDaemon(e -> {
            if (follow) {
                follow(e, session.getConsole());
                return;
            }
            for (String l : e.daemon.recentLines(lines)) {
                System.out.println(l);
            }
        });
        return null;
    }

    private void follow(Daemons.Entry e, PrintStream out) throws Exception {
        FOLLOWERS.total(size(FOLLOWERS_PROPERTY, FOLLOWERS_DEFAULT));
        LineQueue queue = new LineQueue(size(FOLLOWER_PROPERTY, FOLLOWER_DEFAULT), FOLLOWERS);
        ServiceListener gone = event -> {
            if (event.getType() == ServiceEvent.UNREGISTERING) {
                queue.end("corral: daemon '" + e.name + "' went away (its configuration was deleted or the supervisor"
                        + " stopped)");
            }
        };
        context.addServiceListener(gone, "(" + org.osgi.framework.Constants.SERVICE_ID + "="
                + e.ref.getProperty(org.osgi.framework.Constants.SERVICE_ID) + ")");
        Daemon.Subscription sub;
        try {
            sub = e.daemon.followLines(lines, queue::offer);
        } catch (UnsupportedOperationException ex) {
            context.removeServiceListener(gone);
            for (String l : e.daemon.recentLines(lines)) {
                out.println(l);
            }
            throw Commands.error("corral: cannot follow '" + e.name + "': " + ex.getMessage());
        }
        try {
            String line;
            while ((line = queue.take()) != null) {
                out.println(line);
                out.flush();
            }
            out.println(queue.endReason());
        } catch (InterruptedException interrupted) {
            // Ctrl-C: the normal way to stop following
        } finally {
            sub.close();
            queue.close();
            context.removeServiceListener(gone);
        }
    }

    /** A size property of the framework, or its default (a bad value is named on the console). */
    private long size(String property, long dflt) {
        String v = context.getProperty(property);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            long n = Values.size(v);
            if (n > 0) {
                return n;
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        System.err.println("corral: " + property + " = '" + v + "' is not a size such as 1M; using " + dflt + " bytes");
        return dflt;
    }
}
