package org.corral.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.security.auth.Subject;

import org.corral.api.Daemon;
import org.corral.itests.support.Await;
import org.corral.itests.support.KarafOptions;
import org.corral.itests.support.DaemonTestBase;
import org.corral.itests.support.Procs;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The distribution's {@code etc/org.apache.karaf.command.acl.corral.cfg}: a user without the admin role
 * (logged in through the karaf realm from {@code etc/users.properties}) may look but is refused the
 * commands that change or run programs, and nothing changes when refused; an admin may run them.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class CommandAclIT extends DaemonTestBase {

    @Configuration
    public Option[] config() {
        return KarafOptions.corralDistribution(users());
    }

    private static boolean refused(CommandResult r) {
        String text = r.all();
        return r.failed() && (text.contains("Insufficient credentials") || text.contains("Command not found"));
    }

    @Test
    public void theAclFileShipsWithTheDistribution() {
        Path acl = karafEtc().resolve("org.apache.karaf.command.acl.corral.cfg");
        assertTrue(acl + " exists", Files.isRegularFile(acl));
    }

    @Test
    public void aViewerMayLookButIsRefusedTheAdminCommands() {
        Path progs = progs("CommandAclIT-viewer");
        Path sleep = progs.resolve("sleep_ms");
        cfg("acl-daemon", sleep.toString(), "3600000");
        Daemon d = awaitDaemon("acl-daemon", "running", RUNNING, Await.SECONDS);
        long pid = d.pid().getAsLong();

        Subject viewer = login(VIEWER, VIEWER_PASSWORD);

        CommandResult list = run(viewer, "corral:list");
        assertFalse("a viewer may list:\n" + list, list.failed());
        assertTrue("and sees the daemon:\n" + list, list.output.contains("acl-daemon"));
        CommandResult status = run(viewer, "corral:status acl-daemon");
        assertFalse("a viewer may see a daemon's status:\n" + status, status.failed());

        for (String command : List.of("corral:stop acl-daemon", "corral:start acl-daemon",
                "corral:restart acl-daemon", "corral:delete acl-daemon",
                "corral:create acl-viewer-made -- " + sleep + " 1000",
                "corral:run -- " + progs.resolve("print_args") + " should-not-run")) {
            CommandResult r = run(viewer, command);
            assertTrue("the viewer is refused `" + command + "`:\n" + r, refused(r));
            assertFalse("a refused command prints nothing of its own:\n" + r, r.output.contains("should-not-run"));
        }
        // nothing changed
        Daemon after = awaitDaemon("acl-daemon", "still running", RUNNING, Await.SECONDS);
        assertEquals("same program after the refused stop/restart", pid, after.pid().getAsLong());
        assertTrue("its configuration is still there", Files.exists(daemonCfg("acl-daemon")));
        assertFalse("no configuration was created", Files.exists(daemonCfg("acl-viewer-made")));
    }

    @Test
    public void anAdminMayRunTheAdminCommands() {
        Path progs = progs("CommandAclIT-admin");
        cfg("acl-admin", progs.resolve("sleep_ms").toString(), "3600000");
        Daemon d = awaitDaemon("acl-admin", "running", RUNNING, Await.SECONDS);
        ProcessHandle program = ProcessHandle.of(d.pid().getAsLong()).orElseThrow();

        Subject admin = login(ADMIN, ADMIN_PASSWORD);
        CommandResult stop = run(admin, "corral:stop acl-admin");
        assertFalse("an admin may stop:\n" + stop, stop.failed());
        assertTrue("stopped", Procs.awaitGone(List.of(program), Await.SECONDS).isEmpty());
        CommandResult start = run(admin, "corral:start acl-admin");
        assertFalse("an admin may start:\n" + start, start.failed());
        awaitDaemon("acl-admin", "running again", RUNNING, Await.SECONDS);
        CommandResult ran = run(admin, "corral:run -- " + progs.resolve("print_args") + " admin-ran");
        assertFalse("an admin may run:\n" + ran, ran.failed());
        assertTrue(ran.output, ran.output.contains("admin-ran"));
    }
}
