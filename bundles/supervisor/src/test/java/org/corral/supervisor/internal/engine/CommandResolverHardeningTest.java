package org.corral.supervisor.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.corral.api.Capability;
import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.Rlimit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the resolver checks of the hardening options before the helper tries. */
class CommandResolverHardeningTest {

    @TempDir
    Path dir;

    private CommandResolver resolver(int selfUid) throws Exception {
        Files.writeString(dir.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        Files.writeString(dir.resolve("group"), "root:x:0:\n");
        return new CommandResolver(Map.of("PATH", "/usr/bin:/bin"), new UserDb(dir.resolve("passwd"),
                dir.resolve("group")), selfUid);
    }

    @Test
    void capabilitiesNeedARootJvm() throws Exception {
        CommandSpec spec = CommandSpec.builder("true").capabilities(Capability.NET_BIND_SERVICE).build();
        InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> resolver(1000).resolve(spec));
        assertEquals("capabilities need the JVM to run as root (it runs as uid 1000): only root can give capabilities"
                + " to a program or limit its bounding set", e.getMessage());
        assertEquals(spec, resolver(0).resolve(spec).spec());
    }

    @Test
    void theRestIsLeftToTheHelper() throws Exception {
        // a non-root JVM may lower its limits, raise its nice value and its oom_score_adj, set a umask
        CommandSpec spec = CommandSpec.builder("true").noNewPrivileges(true).rlimit(Rlimit.NOFILE, 10, 20).nice(5)
                .oomScoreAdj(100).umask(077).build();
        assertEquals(spec, resolver(1000).resolve(spec).spec());
    }

    @Test
    void keysForMessages() {
        assertEquals("no.new.privileges, capabilities, rlimit.core, rlimit.nofile, nice, oom.score.adj, umask",
                CommandResolver.hardeningKeys(CommandSpec.builder("x").umask(0).oomScoreAdj(0).nice(0)
                        .rlimit(Rlimit.NOFILE, 1, 1).rlimit(Rlimit.CORE, 0, 0).capabilities()
                        .noNewPrivileges(true).build()));
        assertEquals("", CommandResolver.hardeningKeys(CommandSpec.of("x")));
    }
}
