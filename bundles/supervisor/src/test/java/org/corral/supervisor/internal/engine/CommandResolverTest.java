package org.corral.supervisor.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.ProgramNotFoundException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolution against fake /etc/passwd and /etc/group files. */
class CommandResolverTest {

    @TempDir
    Path dir;
    UserDb users;

    @BeforeEach
    void files() throws Exception {
        Files.writeString(dir.resolve("passwd"), String.join("\n",
                "root:x:0:0:root:/root:/bin/bash",
                "# a comment",
                "alice:x:1000:1000::/home/alice:/bin/sh",
                "bob:x:1001:100::/home/bob:/bin/sh",
                "broken:x:notanumber:1::/:/bin/sh",
                "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
                "carol:x:1002:1002::/home/carol:/bin/sh",
                "op:x:11:0:a user whose primary group is root:/:/bin/sh", ""));
        Files.writeString(dir.resolve("group"), String.join("\n",
                "root:x:0:",
                "users:x:100:alice",
                "alice:x:1000:",
                "video:x:44:alice,bob",
                "audio:x:29: bob ",
                "nogroup:x:65534:",
                "disk:x:6:carol",
                "shadow:x:42:",
                "docker:x:999:",
                "carol:x:1002:", ""));
        users = new UserDb(dir.resolve("passwd"), dir.resolve("group"));
    }

    private CommandResolver resolver(Map<String, String> env, int self) {
        return new CommandResolver(env, users, self);
    }

    @Test
    void programsDoNotInheritTheJvmsSdNotifyVariables() {
        // Karaf as a systemd Type=notify service: its NOTIFY_SOCKET names Karaf's unit, not a program's
        Map<String, String> jvm = Map.of("PATH", "/bin", "NOTIFY_SOCKET", "/run/systemd/notify", "WATCHDOG_USEC",
                "30000000", "WATCHDOG_PID", "1", "LANG", "C");
        Map<String, String> inherited = CommandResolver.inherited(jvm);
        assertEquals(Map.of("PATH", "/bin", "LANG", "C"), inherited);
        CommandResolver r = new CommandResolver(inherited, UserDb.system(), 0);
        CommandSpec own = CommandSpec.builder("/bin/true").env("NOTIFY_SOCKET", "/run/x").build();
        assertEquals("/run/x", r.environment(own).get("NOTIFY_SOCKET"), "a spec may still set one");
    }

    @Test
    void userByNameGetsPrimaryAndSupplementaryGroups() {
        ResolvedCommand r = resolver(Map.of("PATH", "/usr/bin:/bin"), 0).resolve(CommandSpec.builder("true").user("alice").build());
        assertEquals(1000, r.uid());
        assertEquals(1000, r.gid());
        assertArrayEquals(new int[] {1000, 100, 44}, r.groups());
        r = resolver(Map.of("PATH", "/usr/bin:/bin"), 0).resolve(CommandSpec.builder("true").user("bob").build());
        assertArrayEquals(new int[] {100, 44, 29}, r.groups());
    }

    @Test
    void numbersAndExplicitGroups() {
        CommandResolver res = resolver(Map.of("PATH", "/usr/bin:/bin"), 0);
        ResolvedCommand r = res.resolve(CommandSpec.builder("true").uid(1001).group("video").supplementaryGroups(List.of("29", "users")).build());
        assertEquals(1001, r.uid());
        assertEquals(44, r.gid());
        assertArrayEquals(new int[] {29, 100}, r.groups());
        r = res.resolve(CommandSpec.builder("true").user("4242").group("4242").build());
        assertEquals(4242, r.uid());
        assertArrayEquals(new int[] {4242}, r.groups(), "unknown uid: only its group");
        r = res.resolve(CommandSpec.builder("true").group("video").build());
        assertEquals(-1, r.uid());
        assertEquals(44, r.gid());
        assertNull(r.groups(), "group only: supplementary groups untouched");
        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> res.resolve(CommandSpec.builder("true").user("broken").build()));
        assertTrue(e.getMessage().contains("unknown user 'broken'"), e.getMessage());
    }

    @Test
    void rootIsRefusedUnlessAllowed() {
        CommandResolver res = resolver(Map.of("PATH", "/usr/bin:/bin"), 0);
        assertThrows(InvalidCommandException.class, () -> res.resolve(CommandSpec.builder("true").user("root").build()));
        assertThrows(InvalidCommandException.class, () -> res.resolve(CommandSpec.builder("true").uid(0).build()));
        assertEquals(0, res.resolve(CommandSpec.builder("true").user("root").allowRoot(true).build()).uid());
    }

    /** Issue 12.9: gid 0, disk, kmem, shadow, docker and lxd are root-equivalent: refused unless allowRoot. */
    @Test
    void rootEquivalentGroupsAreRefusedUnlessRootIsAllowed() {
        CommandResolver res = resolver(Map.of("PATH", "/usr/bin:/bin"), 0);
        for (CommandSpec.Builder b : List.of(CommandSpec.builder("true").user("nobody").group("0"),
                CommandSpec.builder("true").user("nobody").group("root"),
                CommandSpec.builder("true").user("nobody").supplementaryGroups(List.of("root", "disk", "shadow")),
                CommandSpec.builder("true").user("nobody").supplementaryGroups(List.of("users", "docker")),
                CommandSpec.builder("true").user("carol"), // disk from /etc/group
                CommandSpec.builder("true").user("op"), // primary group 0
                CommandSpec.builder("true").group("shadow"))) {
            InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> res.resolve(b.build()));
            assertTrue(e.getMessage().contains("is root-equivalent") && e.getMessage().contains("refused unless allowRoot"
                    + " is set"), e.getMessage());
            res.resolve(b.allowRoot(true).build()); // allowed with allowRoot
        }
        InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> res.resolve(CommandSpec
                .builder("true").user("nobody").group("0").build()));
        assertEquals("group 'root' (gid 0) is root-equivalent (root's group): refused unless allowRoot is set (allow.root"
                + " = true in a daemon configuration), or leave it out (group, groups); root-equivalent groups: gid 0,"
                + " root, disk, kmem, shadow, docker, lxd", e.getMessage());
        e = assertThrows(InvalidCommandException.class, () -> res.resolve(CommandSpec.builder("true").user("carol")
                .build()));
        assertTrue(e.getMessage().startsWith("group 'disk' (gid 6) is root-equivalent (raw access to the disks)"),
                e.getMessage());
        // carol without disk: fine
        assertArrayEquals(new int[] {1002}, res.resolve(CommandSpec.builder("true").user("carol")
                .supplementaryGroups(List.of("carol")).build()).groups());
    }

    @Test
    void switchingNeedsRoot() {
        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> resolver(Map.of("PATH", "/usr/bin:/bin"), 1000).resolve(CommandSpec.builder("true").user("bob").build()));
        assertTrue(e.getMessage().contains("needs root") && e.getMessage().contains("uid 1000"), e.getMessage());
    }

    @Test
    void environmentInheritedSetUnsetCleared() {
        Map<String, String> base = Map.of("PATH", "/usr/bin:/bin", "HOME", "/root", "LANG", "C");
        CommandResolver res = resolver(base, 0);
        assertSame(res.baseEnvironment(), res.resolve(CommandSpec.of("true")).env(), "unchanged environment is shared");
        Map<String, String> env = res.resolve(CommandSpec.builder("true").env("A", "1").unsetEnv("HOME").build()).env();
        assertEquals(Map.of("PATH", "/usr/bin:/bin", "LANG", "C", "A", "1"), env);
        env = res.resolve(CommandSpec.builder("/bin/true").clearEnv(true).env("B", "2").build()).env();
        assertEquals(Map.of("B", "2"), env);
    }

    @Test
    void programLookupUsesTheEffectivePath() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Path tool = bin.resolve("tool");
        Files.copy(Path.of("/bin/true"), tool);
        CommandResolver res = resolver(Map.of("PATH", "/usr/bin"), 0);
        ProgramNotFoundException e = assertThrows(ProgramNotFoundException.class, () -> res.resolve(CommandSpec.of("tool")));
        assertTrue(e.getMessage().contains("PATH=/usr/bin"), e.getMessage());
        assertEquals(tool, res.resolve(CommandSpec.builder("tool").env("PATH", bin.toString()).build()).executable());
        // cached, and the cache notices a removed file
        assertEquals(tool, res.resolve(CommandSpec.builder("tool").env("PATH", bin.toString()).build()).executable());
        Files.delete(tool);
        assertThrows(ProgramNotFoundException.class,
                () -> res.resolve(CommandSpec.builder("tool").env("PATH", bin.toString()).build()));
        // no PATH at all: the default is searched and named
        e = assertThrows(ProgramNotFoundException.class,
                () -> res.resolve(CommandSpec.builder("no-such-tool").clearEnv(true).build()));
        assertTrue(e.getMessage().contains("has no PATH"), e.getMessage());
        assertEquals(Path.of("/usr/bin/true").toRealPath().getFileName(),
                res.resolve(CommandSpec.builder("true").clearEnv(true).build()).executable().getFileName());
    }

    @Test
    void arg0ReplacesArgvZero() {
        ResolvedCommand r = resolver(Map.of("PATH", "/usr/bin:/bin"), 0).resolve(CommandSpec.builder("true", "x").arg0("name").build());
        assertEquals(List.of("name", "x"), r.argv());
        assertTrue(r.executable().isAbsolute());
    }
}
