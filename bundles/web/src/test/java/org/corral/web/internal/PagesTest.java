package org.corral.web.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.SupervisorStatus;
import org.junit.jupiter.api.Test;

class PagesTest {

    static Pages.Ctx ctx(boolean admin) {
        return new Pages.Ctx("/system/console/corral", admin, admin ? "TOKEN123" : "", MetricsTest.T0.plusSeconds(65), 3);
    }

    static final DaemonView EVIL = new DaemonView("evil", DaemonState.READY, OptionalLong.of(9), OptionalLong.of(8),
            Optional.of(MetricsTest.T0), 0, Optional.empty(), 10, 0, Optional.of(MetricsTest.stats()));

    static String table(boolean admin) {
        return Pages.tableBody(ctx(admin), List.of(EVIL), List.of(new ConfigView("org.corral.daemon~broken", "broken",
                Optional.of("/etc/org.corral.daemon-broken.cfg"), Map.of())),
                Optional.of(new Pages.Summary(Containment.Mode.HELPER_CGROUP, 1, 4)));
    }

    static String detail(boolean admin) {
        Map<String, Object> props = new TreeMap<>(Map.of("command", "/bin/sh", "env.API_TOKEN", "hunter2"));
        return Pages.daemonBody(ctx(admin), new Pages.Detail(EVIL, DaemonSpec.builder("evil",
                CommandSpec.of("/bin/sh", "-c", "printf '\\033]0;x\\007'")).build(), Optional.empty(), Map.of(),
                Optional.of(new ConfigView("org.corral.daemon~evil", "evil", Optional.empty(), props)),
                List.of("<script>alert(1)</script>", "\u001b]0;retitled\u0007", "${brand.name}"), "x",
                Optional.of("serving <b>3</b> clients")));
    }

    @Test
    void aViewerSeesNoButtonsAndNoToken() {
        for (String html : List.of(table(false), detail(false))) {
            assertFalse(html.contains("<form"), html);
            assertFalse(html.contains("<button"), html);
            assertFalse(html.contains("csrf"), html);
        }
        assertFalse(table(false).contains("<th>Actions</th>"));
    }

    @Test
    void anAdminGetsPostFormsWithTheToken() {
        for (String html : List.of(table(true), detail(true))) {
            assertTrue(html.contains("<form method='post' action='/system/console/corral/action'"), html);
            assertTrue(html.contains("name='csrf' value='TOKEN123'"), html);
            for (String a : List.of("start", "stop", "restart")) {
                assertTrue(html.contains("name='action' value='" + a + "'"), html);
            }
        }
    }

    @Test
    void theTableShowsEachDaemonAndEachConfigurationWithoutOne() {
        String t = table(false);
        assertTrue(t.contains("data-name='evil' data-state='READY'"), t);
        assertTrue(t.contains("<td data-label='Uptime'>1m05s</td>"), t);
        assertTrue(t.contains("<td data-label='Memory'>5.0 MiB</td>"), t);
        assertTrue(t.contains("<td data-label='CPU'>1.235s</td>"), t);
        assertTrue(t.contains("data-name='broken' data-state='NO_DAEMON'"), t);
        assertTrue(t.contains("configuration org.corral.daemon~broken is not running"), t);
        assertTrue(t.contains("1 configuration without a daemon"), t);
    }

    @Test
    void outputAndConfigurationAreEscapedAndSecretsMaskedForViewers() {
        String v = detail(false);
        assertTrue(v.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), v);
        assertFalse(v.contains("<script>alert"), v);
        assertTrue(v.contains("\\x1b]0;retitled\\x07"), v);
        assertFalse(v.contains("\u001b"), "no raw ESC reaches the page");
        assertTrue(v.contains("&#36;{brand.name}"), v);
        assertTrue(v.contains("env.API_TOKEN = ****"), v);
        assertFalse(v.contains("hunter2"), v);
        assertTrue(detail(true).contains("env.API_TOKEN = hunter2"), "an admin sees the value");
        assertTrue(v.contains("<code class='corral-arg'>printf &#39;\\033]0;x\\007&#39;</code>"), v);
        assertTrue(v.contains("serving &lt;b&gt;3&lt;/b&gt; clients"), "the sd_notify STATUS= text, escaped: " + v);
    }

    @Test
    void theDoctorPageListsFindingsWithTheirFix() {
        String d = Pages.doctorPage(ctx(false), Optional.of(List.of(
                new SupervisorStatus.Finding(SupervisorStatus.Severity.OK, "helper", "x86_64 helper", Optional.empty()),
                new SupervisorStatus.Finding(SupervisorStatus.Severity.FAIL, "memory controller", "missing <here>",
                        Optional.of("add cgroup_enable=memory")))));
        assertTrue(d.contains("1 problem, 0 warnings"), d);
        assertTrue(d.contains("missing &lt;here&gt;"), d);
        assertTrue(d.contains("add cgroup_enable=memory"), d);
        assertTrue(Pages.doctorPage(ctx(false), Optional.empty()).contains("supervisor is not running"));
        Instant.now();
    }

    // ---------------------------------------------------------------- issue 12.3: INVALID configurations

    static final DaemonView INVALID = new DaemonView("broken", DaemonState.INVALID, OptionalLong.empty(),
            OptionalLong.empty(), Optional.empty(), 0, Optional.empty(), 0, 0, Optional.empty(),
            List.of("restart = 'sometimes': unknown restart policy", "kill.grace = '5': a duration needs a unit"),
            List.of(), Optional.of("org.corral.daemon~broken"));

    @Test
    void anInvalidDaemonHasARowWithItsFirstProblemAndNoButtons() {
        String html = Pages.tableBody(ctx(true), List.of(EVIL, INVALID), List.of(), Optional.empty());
        String row = html.substring(html.indexOf("<tr data-name='broken'"));
        row = row.substring(0, row.indexOf("</tr>"));
        assertTrue(row.contains("data-state='INVALID'") && row.contains("corral-state-INVALID"), row);
        assertTrue(row.contains("restart = &#39;sometimes&#39;: unknown restart policy (and 1 more)"), row);
        assertFalse(row.contains("<button"), "an INVALID daemon cannot be started: " + row);
    }

    @Test
    void anInvalidDaemonsPageListsEveryProblemAndItsKeys() {
        Map<String, Object> props = new TreeMap<>(Map.of("command", "/bin/web", "restart", "sometimes",
                "env.API_TOKEN", "hunter2", "evn.TOKEN", "hunter3"));
        ConfigView cv = new ConfigView("org.corral.daemon~broken", "broken", Optional.of("/etc/x.cfg"), props,
                List.of(), java.util.Set.of("evn.TOKEN"));
        String html = Pages.daemonBody(ctx(false), new Pages.Detail(INVALID, DaemonSpec.builder("broken",
                CommandSpec.of("/bin/web")).build(), Optional.empty(), Map.of(), Optional.of(cv), List.of(), "x",
                Optional.empty()));
        assertTrue(html.contains("corral-state-INVALID"), html);
        assertTrue(html.contains("restart = &#39;sometimes&#39;: unknown restart policy"), html);
        assertTrue(html.contains("kill.grace = &#39;5&#39;: a duration needs a unit"), html);
        assertTrue(html.contains("env.API_TOKEN = ****") && html.contains("evn.TOKEN = ****"), html);
        assertFalse(html.contains("hunter2") || html.contains("hunter3"), html);
    }

    @Test
    void aConfigurationWithoutADaemonShowsWhatTheValidatorFinds() {
        ConfigView cv = new ConfigView("org.corral.daemon~x", "x", Optional.empty(), Map.of("command", "/nope"),
                List.of("command = '/nope': program /nope does not exist"), java.util.Set.of());
        assertTrue(Pages.configOnlyBody(ctx(false), cv).contains("program /nope does not exist"));
    }

    /** Configured durations as a configuration writes them (Values.format, as corral:status shows them). */
    @Test
    void settingsAreShownAsTheConfigurationWritesThem() {
        DaemonSpec spec = DaemonSpec.builder("evil", CommandSpec.builder("/bin/sh").grace(Duration.ofSeconds(90))
                .build()).restartDelay(Duration.ofMillis(1500)).maxRestartDelay(Duration.ofMinutes(2))
                .intensity(5, Duration.ofSeconds(90)).build();
        String html = Pages.daemonBody(ctx(false), new Pages.Detail(EVIL, spec, Optional.empty(), Map.of(),
                Optional.empty(), List.of(), "x", Optional.empty()));
        assertTrue(html.contains("delay 1500ms &times;"), html);
        assertTrue(html.contains("up to 2m, FAILED after more than"), html);
        assertTrue(html.contains(" in 90s)"), html);
        assertTrue(html.contains("then SIGKILL after 90s"), html);
        assertTrue(html.contains(", up 1m05s since "), html);
    }

    @Test
    void aWaitingDaemonSaysWhatFor() {
        DaemonView waiting = new DaemonView("client", DaemonState.STARTING, OptionalLong.empty(), OptionalLong.empty(),
                Optional.empty(), 0, Optional.empty(), 0, 0, Optional.empty(), List.of(), List.of("broker"),
                Optional.empty());
        assertTrue(Pages.hint(waiting).contains("waits for broker"));
    }
}
