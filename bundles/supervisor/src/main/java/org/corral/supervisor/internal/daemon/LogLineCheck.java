package org.corral.supervisor.internal.daemon;

import java.util.function.Consumer;
import java.util.regex.Pattern;

/** Ready when a line of stdout or stderr matches a regular expression ({@code Matcher.find}), as lines are split. */
final class LogLineCheck extends ReadinessCheck {

    private final Pattern pattern;

    LogLineCheck(Pattern pattern, Consumer<String> passed) {
        super(passed);
        this.pattern = pattern;
    }

    @Override
    void start() {
        // lines come to line()
    }

    @Override
    void line(String text) {
        if (active() && pattern.matcher(text).find()) {
            pass("log line matched /" + pattern.pattern() + "/");
        }
    }
}
