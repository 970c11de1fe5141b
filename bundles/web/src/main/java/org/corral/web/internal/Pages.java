package org.corral.web.internal;

import static org.corral.web.internal.Html.text;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.corral.api.CgroupStats;
import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.SupervisorStatus;
import org.corral.api.values.Values;

/**
 * The HTML of the plugin's pages, as pure functions of what was read. Every value from outside (names, argv,
 * output lines, configuration values, the doctor's text) passes through {@link Html#text}.
 */
final class Pages {

    /** What every page needs to know about the request. */
    record Ctx(String root, boolean admin, String csrf, Instant now, int refreshSeconds) {
    }

    /**
     * One daemon's page: the daemon as read, its spec and cgroup, its configuration, its last lines, the last
     * sd_notify STATUS= text of its program.
     */
    record Detail(DaemonView view, DaemonSpec spec, Optional<String> cgroupPath, Map<String, String> limits,
            Optional<ConfigView> config, List<String> lines, String owner, Optional<String> statusText) {
    }

    /** Engine-wide figures shown above the table. */
    record Summary(Containment.Mode mode, int helpersRunning, long runs) {
    }

    private static final String BUTTON = "ui-state-default ui-corner-all corral-button";

    private Pages() {
    }

    // ---------------------------------------------------------------- the table

    /** The page around the daemons table (the table itself refreshes through {@link #tableBody}). */
    static String tablePage(Ctx c, String body, String message) {
        return "<div class='corral'>" + message(message)
                + "<div id='corral-live' data-fragment='" + text(c.root() + "/table.frag") + "' data-refresh='"
                + c.refreshSeconds() + "'>" + body + "</div>" + script(c) + "</div>";
    }

    /** The statistics line and the daemons table. */
    static String tableBody(Ctx c, List<DaemonView> daemons, List<ConfigView> inactive, Optional<Summary> summary) {
        StringBuilder sb = new StringBuilder(4096);
        long running = daemons.stream().filter(DaemonView::up).count();
        sb.append("<p class='statline ui-state-highlight'>");
        sb.append(daemons.size()).append(daemons.size() == 1 ? " daemon, " : " daemons, ").append(running)
                .append(" running");
        if (!inactive.isEmpty()) {
            sb.append(", ").append(inactive.size()).append(inactive.size() == 1 ? " configuration" : " configurations")
                    .append(" without a daemon");
        }
        if (summary.isPresent()) {
            Summary s = summary.get();
            sb.append(" · containment ").append(text(s.mode().name())).append(" · ").append(s.helpersRunning())
                    .append(s.helpersRunning() == 1 ? " helper" : " helpers").append(" · ").append(s.runs())
                    .append(" one-shot runs");
        } else {
            sb.append(" · the Corral supervisor is not running");
        }
        sb.append(" · <a href='").append(text(c.root() + "/doctor")).append("'>doctor</a>");
        sb.append("</p>");
        sb.append("<table class='nicetable corral-daemons'><thead><tr>");
        for (String h : List.of("Name", "State", "PID", "Uptime", "Restarts", "Memory", "CPU", "Last exit")) {
            sb.append("<th>").append(h).append("</th>");
        }
        if (c.admin()) {
            sb.append("<th>Actions</th>");
        }
        sb.append("</tr></thead><tbody>");
        if (daemons.isEmpty() && inactive.isEmpty()) {
            sb.append("<tr><td colspan='").append(c.admin() ? 9 : 8).append("'>No daemons. Add one as")
                    .append(" etc/org.corral.daemon-&lt;name&gt;.cfg or with corral:create.</td></tr>");
        }
        for (DaemonView d : daemons) {
            CgroupStats s = d.stats().orElse(null);
            sb.append("<tr data-name='").append(text(d.name())).append("' data-state='").append(d.state()).append("'>");
            cell(sb, "Name", "<a href='" + text(daemonHref(c, d.name())) + "'>" + text(d.name()) + "</a>");
            cell(sb, "State", state(d.state().name()) + hint(d));
            cell(sb, "PID", d.up() ? Long.toString(d.pid().getAsLong()) : Fmt.NONE);
            cell(sb, "Uptime", d.up() ? d.startedAt().map(t -> Fmt.since(t, c.now()))
                    .orElse(Fmt.NONE) : Fmt.NONE);
            cell(sb, "Restarts", Integer.toString(d.restarts()));
            cell(sb, "Memory", s == null ? Fmt.NONE : Fmt.bytes(s.memoryCurrent()));
            cell(sb, "CPU", s == null ? Fmt.NONE : Fmt.cpu(s.cpuUsageMicros()));
            cell(sb, "Last exit", d.lastExit().map(x -> text(x.toString()) + " <span class='corral-ago'>"
                    + Fmt.since(x.at(), c.now()) + " ago</span>").orElse(Fmt.NONE));
            if (c.admin()) {
                cell(sb, "Actions", d.state() == DaemonState.INVALID ? "" : actions(c, d.name(), "table"));
            }
            sb.append("</tr>");
        }
        for (ConfigView cv : inactive) {
            sb.append("<tr data-name='").append(text(cv.name())).append("' data-state='NO_DAEMON'>");
            cell(sb, "Name", "<a href='" + text(daemonHref(c, cv.name())) + "'>" + text(cv.name()) + "</a>");
            cell(sb, "State", state("NO_DAEMON") + " <span class='corral-hint'>configuration " + text(cv.pid())
                    + " is not running: invalid, or its name is taken (see its page and the log)</span>");
            for (int i = 0; i < 6; i++) {
                cell(sb, List.of("PID", "Uptime", "Restarts", "Memory", "CPU", "Last exit").get(i), Fmt.NONE);
            }
            if (c.admin()) {
                cell(sb, "Actions", "");
            }
            sb.append("</tr>");
        }
        sb.append("</tbody></table>");
        return sb.toString();
    }

    /**
     * What the row of a daemon says besides its state: why it is INVALID (its first problem), that an edit of its
     * configuration was refused while it runs on, or what it waits for while STARTING.
     */
    static String hint(DaemonView d) {
        String text = null;
        if (d.state() == DaemonState.INVALID && !d.problems().isEmpty()) {
            text = d.problems().get(0) + (d.problems().size() > 1 ? " (and " + (d.problems().size() - 1) + " more)" : "");
        } else if (!d.problems().isEmpty()) {
            text = "configuration refused, runs the previous one: " + d.problems().get(0);
        } else if (d.state() == DaemonState.STARTING && !d.waitingFor().isEmpty()) {
            text = "waits for " + String.join(", ", d.waitingFor());
        }
        return text == null ? "" : " <span class='corral-hint'>" + text(text) + "</span>";
    }

    // ---------------------------------------------------------------- one daemon

    /** The page around one daemon (its body refreshes through {@link #daemonBody}). */
    static String daemonPage(Ctx c, String name, String body, String message) {
        return "<div class='corral'>" + message(message) + "<p class='corral-nav'><a href='" + text(c.root())
                + "'>&larr; all daemons</a></p><div id='corral-live' data-fragment='"
                + text(c.root() + "/daemon.frag?name=" + Html.query(name)) + "' data-refresh='" + c.refreshSeconds()
                + "'>" + body + "</div>" + script(c) + "</div>";
    }

    /** What {@code corral:status} shows, and the last output lines. */
    static String daemonBody(Ctx c, Detail d) {
        DaemonView v = d.view();
        if (v.state() == DaemonState.INVALID && d.config().isPresent()
                && v.problems().stream().noneMatch(p -> p.startsWith("depends.on cycle"))) {
            return invalidBody(c, v, d.config().get());
        }
        DaemonSpec spec = d.spec();
        CommandSpec cmd = spec.command();
        StringBuilder sb = new StringBuilder(8192);
        sb.append("<h2 class='corral-title'>").append(text(v.name())).append(' ').append(state(v.state().name()))
                .append("</h2>");
        if (c.admin()) {
            sb.append("<div class='corral-actions'>").append(actions(c, v.name(), "daemon")).append("</div>");
        }
        sb.append("<table class='nicetable corral-status'><tbody>");
        problems(sb, v.state() == DaemonState.INVALID ? "problems" : "refused edit", v.problems());
        if (!v.waitingFor().isEmpty()) {
            row(sb, "waiting for", text(String.join(", ", v.waitingFor())));
        }
        row(sb, "command", argv(cmd.argv()));
        cmd.directory().ifPresent(dir -> row(sb, "directory", text(dir.toString())));
        cmd.user().ifPresent(u -> row(sb, "user", text(u + cmd.group().map(g -> ":" + g).orElse(""))));
        if (v.up()) {
            row(sb, "pid", v.pid().getAsLong() + v.helperPid().stream().mapToObj(h -> " (helper " + h + ")")
                    .findFirst().orElse("") + v.startedAt().map(t -> ", up " + Fmt.since(t, c.now())
                            + " since " + t.truncatedTo(ChronoUnit.SECONDS)).orElse(""));
        } else {
            row(sb, "pid", Fmt.NONE);
        }
        row(sb, "restarts", v.restarts() + " (policy " + spec.restart().name().toLowerCase(Locale.ROOT) + ", delay "
                + Values.format(spec.restartDelay()) + " &times;" + spec.backoffFactor() + " up to "
                + Values.format(spec.maxRestartDelay()) + ", FAILED after more than " + spec.maxRestarts() + " in "
                + Values.format(spec.restartWindow()) + ")");
        row(sb, "last exit", v.lastExit().map(x -> text(x.toString()) + " (pid " + x.pid() + ") at "
                + text(x.at().truncatedTo(ChronoUnit.SECONDS).toString())).orElse(Fmt.NONE));
        row(sb, "readiness", text(spec.readiness() + ", timeout " + Values.format(spec.readiness().timeout())));
        if (!spec.watchdog().isZero()) {
            row(sb, "watchdog", text(Values.format(spec.watchdog()) + " (sd_notify WATCHDOG=1; then SIGABRT)"));
        }
        d.statusText().ifPresent(t -> row(sb, "status", text(t)));
        if (!spec.dependsOn().isEmpty()) {
            row(sb, "depends on", text(String.join(", ", spec.dependsOn())));
        }
        row(sb, "kill", text(cmd.killSignal() + ", then SIGKILL after " + Values.format(cmd.grace())));
        row(sb, "cgroup", d.cgroupPath().map(Html::text).orElse(Fmt.NONE));
        if (!d.limits().isEmpty()) {
            StringBuilder l = new StringBuilder();
            d.limits().forEach((k, val) -> l.append(l.length() == 0 ? "" : ", ").append(text(k + "=" + val)));
            row(sb, "limits", l.toString());
        }
        v.stats().ifPresent(s -> row(sb, "usage", "memory " + Fmt.bytes(s.memoryCurrent())
                + (s.memoryPeak().isPresent() ? " (peak " + Fmt.bytes(s.memoryPeak()) + ")" : "") + ", cpu "
                + Fmt.cpu(s.cpuUsageMicros()) + ", pids " + s.pidsCurrent().stream().mapToObj(Long::toString)
                .findFirst().orElse(Fmt.NONE) + ", OOM kills " + s.oomKills()));
        row(sb, "output", "stdout " + Values.formatSize(v.stdoutBytes()) + " (logged at " + spec.stdoutLevel()
                + "), stderr " + Values.formatSize(v.stderrBytes()) + " (logged at " + spec.stderrLevel() + "), logger "
                + text("org.corral.daemon." + v.name()));
        if (d.config().isPresent()) {
            config(sb, c, d.config().get());
        } else {
            row(sb, "config", "none: started programmatically by bundle " + text(d.owner()));
        }
        sb.append("</tbody></table>");
        sb.append("<h3>Last output lines (").append(d.lines().size()).append(")</h3><pre class='corral-lines'>");
        for (String line : d.lines()) {
            sb.append(text(line)).append('\n');
        }
        sb.append("</pre>");
        return sb.toString();
    }

    /** The page of an INVALID daemon: a configuration that cannot run; every problem, its file and its keys. */
    static String invalidBody(Ctx c, DaemonView v, ConfigView cv) {
        StringBuilder sb = new StringBuilder(2048);
        sb.append("<h2 class='corral-title'>").append(text(v.name())).append(' ').append(state("INVALID"))
                .append("</h2><p class='corral-problem'>The configuration ").append(text(cv.pid()))
                .append(" cannot run; nothing runs from it. It starts by itself once it is fixed.</p>")
                .append("<table class='nicetable corral-status'><tbody>");
        problems(sb, "problems", v.problems());
        config(sb, c, cv);
        sb.append("</tbody></table>");
        return sb.toString();
    }

    private static void problems(StringBuilder sb, String label, List<String> problems) {
        String l = label;
        if (!problems.isEmpty() && label.equals("refused edit")) {
            row(sb, l, "the last edit of its configuration was refused; it runs with the previous one:");
            l = "";
        }
        for (String p : problems) {
            row(sb, l, "<span class='corral-problem'>" + text(p) + "</span>");
            l = "";
        }
    }

    /** The page of a configuration that has no daemon. */
    static String configOnlyBody(Ctx c, ConfigView cv) {
        StringBuilder sb = new StringBuilder(2048);
        sb.append("<h2 class='corral-title'>").append(text(cv.name())).append(' ').append(state("NO_DAEMON"))
                .append("</h2><p class='corral-problem'>The configuration ").append(text(cv.pid()))
                .append(" has no daemon: it is invalid, its name is taken by another daemon, or its daemon has not")
                .append(" started yet. The ERROR line in the log (log:display) names each key that is wrong.</p>")
                .append("<table class='nicetable corral-status'><tbody>");
        problems(sb, "problems", cv.problems());
        config(sb, c, cv);
        sb.append("</tbody></table>");
        return sb.toString();
    }

    private static void config(StringBuilder sb, Ctx c, ConfigView cv) {
        row(sb, "config", text(cv.pid()) + cv.file().map(f -> " (" + text(f) + ")").orElse(""));
        for (Map.Entry<String, Object> e : cv.properties().entrySet()) {
            Object val = e.getValue();
            String shown = val instanceof Object[] ? List.of((Object[]) val).toString() : String.valueOf(val);
            if (!c.admin() && (DaemonConfigValidator.isSecretKey(e.getKey()) || cv.unknownKeys().contains(e.getKey()))) {
                shown = DaemonConfigValidator.MASK;
            }
            row(sb, "", text(e.getKey()) + " = " + text(shown));
        }
    }

    // ---------------------------------------------------------------- doctor

    /** The doctor's findings (or why there are none). */
    static String doctorPage(Ctx c, Optional<List<SupervisorStatus.Finding>> findings) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("<div class='corral'><p class='corral-nav'><a href='").append(text(c.root()))
                .append("'>&larr; all daemons</a></p><h2 class='corral-title'>Doctor</h2>");
        if (findings.isEmpty()) {
            sb.append("<p class='corral-problem'>The Corral supervisor is not running (no SupervisorStatus service):")
                    .append(" feature:install corral, then check bundle:list | grep -i corral and log:display.</p>");
            return sb.append("</div>").toString();
        }
        List<SupervisorStatus.Finding> fs = findings.get();
        long fails = fs.stream().filter(f -> f.severity() == SupervisorStatus.Severity.FAIL).count();
        long warns = fs.stream().filter(f -> f.severity() == SupervisorStatus.Severity.WARN).count();
        sb.append("<p class='statline ui-state-highlight'>").append(fails == 0 && warns == 0 ? "all checks passed"
                : fails + (fails == 1 ? " problem, " : " problems, ") + warns + (warns == 1 ? " warning" : " warnings"))
                .append("</p><table class='nicetable corral-doctor'><thead><tr><th></th><th>Check</th><th>Finding</th>")
                .append("<th>Fix</th></tr></thead><tbody>");
        for (SupervisorStatus.Finding f : fs) {
            sb.append("<tr class='corral-").append(f.severity().name().toLowerCase(Locale.ROOT)).append("'>");
            cell(sb, "", "<span class='corral-sev corral-sev-" + f.severity() + "'>" + f.severity() + "</span>");
            cell(sb, "Check", text(f.subject()));
            cell(sb, "Finding", text(f.detail()));
            cell(sb, "Fix", f.fix().map(Html::text).orElse(""));
            sb.append("</tr>");
        }
        return sb.append("</tbody></table></div>").toString();
    }

    // ---------------------------------------------------------------- pieces

    static String daemonHref(Ctx c, String name) {
        return c.root() + "/daemon?name=" + Html.query(name);
    }

    /** Start, stop and restart as one POST form with the CSRF token (buttons only for admins). */
    static String actions(Ctx c, String name, String back) {
        return "<form method='post' action='" + text(c.root() + "/action") + "' class='corral-form'>"
                + "<input type='hidden' name='name' value='" + text(name) + "'>"
                + "<input type='hidden' name='" + Csrf.FIELD + "' value='" + text(c.csrf()) + "'>"
                + "<input type='hidden' name='back' value='" + text(back) + "'>"
                + "<button type='submit' name='action' value='start' class='" + BUTTON + "'>Start</button>"
                + "<button type='submit' name='action' value='stop' class='" + BUTTON + "'>Stop</button>"
                + "<button type='submit' name='action' value='restart' class='" + BUTTON + "'>Restart</button>"
                + "</form>";
    }

    private static String state(String s) {
        return "<span class='corral-state corral-state-" + text(s) + "'>" + text(s) + "</span>";
    }

    private static String argv(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            sb.append("<code class='corral-arg'>").append(text(a)).append("</code> ");
        }
        return sb.toString().trim();
    }

    private static void cell(StringBuilder sb, String label, String html) {
        sb.append("<td data-label='").append(text(label)).append("'>").append(html).append("</td>");
    }

    private static void row(StringBuilder sb, String label, String html) {
        sb.append("<tr><th>").append(text(label)).append("</th><td>").append(html).append("</td></tr>");
    }

    private static String message(String m) {
        return m == null || m.isEmpty() ? "" : "<p class='corral-message ui-state-highlight'>" + text(m) + "</p>";
    }

    private static String script(Ctx c) {
        return "<link rel='stylesheet' href='" + text(c.root() + "/res/corral.css") + "'>"
                + "<script src='" + text(c.root() + "/res/corral.js") + "'></script>";
    }
}
