package org.corral.supervisor.internal.daemon;

import java.util.function.Consumer;

/**
 * Ready when a line of stdout or stderr matches a regular expression (find semantics), as lines are split, in
 * time linear in the line's length ({@link LinePattern}): the match runs on the program's delivery lane, and a
 * pattern cannot hold it up.
 * It sees every line of its run from the first: a match that comes before {@link #start()} (the output of a
 * program can be delivered before its spawn is handled) passes the check at the start.
 */
final class LogLineCheck extends ReadinessCheck {

    private final LinePattern pattern;
    private final String how;
    private boolean started;
    private boolean early;

    LogLineCheck(LinePattern pattern, Consumer<String> passed) {
        super(passed);
        this.pattern = pattern;
        this.how = "log line matched /" + pattern.pattern() + "/";
    }

    @Override
    void start() {
        boolean matched;
        synchronized (this) {
            started = true;
            matched = early;
        }
        if (matched) {
            pass(how);
        }
    }

    @Override
    void line(String text) {
        if (!active() || !pattern.find(text)) {
            return;
        }
        synchronized (this) {
            if (!started) {
                early = true;
                return;
            }
        }
        pass(how); // outside the lock: the callback takes the daemon's
    }
}
