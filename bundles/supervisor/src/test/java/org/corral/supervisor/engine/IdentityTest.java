package org.corral.supervisor.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.CommandResolver;
import org.corral.supervisor.internal.engine.UserDb;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** User, group and supplementary groups, resolved in Java from /etc/passwd and /etc/group. Tests run as root. */
@ExtendWith(NoLeftovers.class)
class IdentityTest {

    static Corral corral;
    static UserDb.User nobody;
    static int nogroup;

    @BeforeAll
    static void open() throws Exception {
        assumeTrue(CommandResolver.selfUid() == 0, "user switching needs root");
        corral = TestSupport.open();
        nobody = UserDb.system().userByName("nobody").orElseThrow();
        nogroup = nobody.gid();
    }

    @AfterAll
    static void close() {
        if (corral != null) {
            corral.close();
        }
    }

    private static String id(CommandSpec.Builder b) throws InterruptedException {
        ProcessResult r = corral.run(b.build());
        assertEquals(0, r.exitCode(), r.stderrText());
        return r.stdoutText().trim();
    }

    @Test
    void switchesToNobodyByName() throws Exception {
        assertEquals(65534, nobody.uid());
        assertEquals("65534", id(CommandSpec.builder("id", "-u").user("nobody")));
        assertEquals(Integer.toString(nogroup), id(CommandSpec.builder("id", "-g").user("nobody")));
        // supplementary groups from /etc/group: nobody is in none, so only its primary group
        assertEquals(Integer.toString(nogroup), id(CommandSpec.builder("id", "-G").user("nobody")));
    }

    @Test
    void switchesByNumberWithGroupAndSupplementaryGroups() throws Exception {
        assertEquals("65534", id(CommandSpec.builder("id", "-u").uid(65534)));
        assertEquals("1", id(CommandSpec.builder("id", "-g").user("65534").group("daemon")));
        assertEquals("1 2 3", id(CommandSpec.builder("id", "-G").user("nobody").group("1")
                .supplementaryGroups(java.util.List.of("bin", "3"))));
    }

    @Test
    void programNotExecutableByTheTargetUserIsRefused() throws Exception {
        Path dir = Files.createTempDirectory(TestSupport.runtimeParent().getParent(), "corral-idtest");
        try {
            Path f = dir.resolve("rootonly");
            Files.copy(Path.of("/bin/true"), f);
            Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            ProcessException e = assertThrows(ProcessException.class,
                    () -> corral.run(CommandSpec.builder(f.toString()).user("nobody").build()));
            assertTrue(e.getMessage().contains("not executable by uid 65534"), e.getMessage());
        } finally {
            try (var s = Files.list(dir)) {
                s.forEach(p -> p.toFile().delete());
            }
            Files.delete(dir);
        }
    }

    @Test
    void stdinFileMustBeReadableByTheTargetUser() throws Exception {
        Path f = Files.createTempFile(TestSupport.runtimeParent().getParent(), "corral-idtest", ".txt");
        try {
            Files.writeString(f, "secret");
            Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> corral.run(
                    CommandSpec.builder("cat").user("nobody").stdin(org.corral.api.Stdin.file(f)).build()));
            assertTrue(e.getMessage().contains("not readable by uid 65534"), e.getMessage());
            Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            assertEquals("secret", id(CommandSpec.builder("cat").user("nobody").stdin(org.corral.api.Stdin.file(f))));
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void rootTargetIsRefusedUnlessAllowed() throws Exception {
        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> corral.run(CommandSpec.builder("id", "-u").user("root").build()));
        assertTrue(e.getMessage().contains("uid 0") && e.getMessage().contains("allowRoot"), e.getMessage());
        assertThrows(InvalidCommandException.class, () -> corral.run(CommandSpec.builder("id", "-u").uid(0).build()));
        assertEquals("0", id(CommandSpec.builder("id", "-u").user("root").allowRoot(true)));
    }

    @Test
    void unknownNamesAreClearErrors() {
        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> corral.run(CommandSpec.builder("id").user("no-such-user-corral").build()));
        assertTrue(e.getMessage().contains("unknown user 'no-such-user-corral'") && e.getMessage().contains("/etc/passwd"),
                e.getMessage());
        e = assertThrows(InvalidCommandException.class,
                () -> corral.run(CommandSpec.builder("id").user("nobody").group("no-such-group-corral").build()));
        assertTrue(e.getMessage().contains("unknown group 'no-such-group-corral'"), e.getMessage());
        e = assertThrows(InvalidCommandException.class,
                () -> corral.run(CommandSpec.builder("id").user("4000000").build()));
        assertTrue(e.getMessage().contains("no entry in /etc/passwd"), e.getMessage());
    }
}
