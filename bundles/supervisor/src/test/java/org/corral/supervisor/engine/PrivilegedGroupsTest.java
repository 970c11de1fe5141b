package org.corral.supervisor.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.ProcessResult;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 12.9 on this machine's /etc/group (the tests run as root): nobody with group 0, or with the groups root,
 * disk and shadow, was accepted without allowRoot, although membership of any of them is as good as root. Now
 * refused before anything runs; with allowRoot the program runs with those groups.
 */
@ExtendWith(NoLeftovers.class)
class PrivilegedGroupsTest {

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    @Test
    void nobodyWithRootsGroupIsRefusedUnlessRootIsAllowed() throws Exception {
        for (CommandSpec.Builder b : List.of(CommandSpec.builder("id", "-G").user("nobody").group("0"),
                CommandSpec.builder("id", "-G").user("nobody").supplementaryGroups(List.of("root", "disk", "shadow")))) {
            InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> corral.run(b.build()));
            assertTrue(e.getMessage().contains("is root-equivalent"), e.getMessage());
        }
        ProcessResult r = corral.run(CommandSpec.builder("id", "-g").user("nobody").group("0").allowRoot(true).build());
        assertEquals("0", r.stdoutText().trim(), "allowed explicitly, it runs in group 0");
    }
}
