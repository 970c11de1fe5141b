package org.corral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The hardening options of {@link CommandSpec}: defaults, values kept, refusals that name the option. */
class HardeningOptionsTest {

    private static String refused(Runnable r) {
        return assertThrows(InvalidCommandException.class, r::run).getMessage();
    }

    @Test
    void noneByDefault() {
        CommandSpec s = CommandSpec.of("true");
        assertFalse(s.noNewPrivileges());
        assertTrue(s.capabilities().isEmpty());
        assertTrue(s.rlimits().isEmpty());
        assertTrue(s.nice().isEmpty() && s.oomScoreAdj().isEmpty() && s.umask().isEmpty());
        assertFalse(s.usesHardening());
    }

    @Test
    void valuesAreKeptAndCopiedByToBuilder() {
        CommandSpec s = CommandSpec.builder("true").noNewPrivileges(true)
                .capabilities(Capability.NET_BIND_SERVICE, Capability.CHOWN)
                .rlimit(Rlimit.NOFILE, 1024, 4096).rlimit(Rlimit.CORE, 0, Rlimit.UNLIMITED)
                .nice(-20).oomScoreAdj(1000).umask(0027).build();
        for (CommandSpec c : List.of(s, s.toBuilder().build())) {
            assertTrue(c.noNewPrivileges());
            assertEquals(Set.of(Capability.CHOWN, Capability.NET_BIND_SERVICE), c.capabilities().orElseThrow());
            assertEquals(Map.of(Rlimit.NOFILE, ResourceLimit.of(1024, 4096), Rlimit.CORE, ResourceLimit.of(0, -1)),
                    c.rlimits());
            assertEquals(List.of(Rlimit.CORE, Rlimit.NOFILE), List.copyOf(c.rlimits().keySet()), "kernel order");
            assertEquals(-20, c.nice().getAsInt());
            assertEquals(1000, c.oomScoreAdj().getAsInt());
            assertEquals(0027, c.umask().getAsInt());
            assertTrue(c.usesHardening());
        }
        CommandSpec cleared = s.toBuilder().noNewPrivileges(false).capabilities((Set<Capability>) null)
                .rlimit(Rlimit.NOFILE, null).rlimit(Rlimit.CORE, null).nice(null).oomScoreAdj(null).umask((Integer) null).build();
        assertFalse(cleared.usesHardening());
    }

    @Test
    void anEmptyCapabilitySetIsNotUnset() {
        CommandSpec s = CommandSpec.builder("true").capabilities().build();
        assertEquals(Set.of(), s.capabilities().orElseThrow());
        assertTrue(s.usesHardening());
        EnumSet<Capability> mine = EnumSet.of(Capability.KILL);
        CommandSpec c = CommandSpec.builder("true").capabilities(mine).build();
        mine.add(Capability.SYS_ADMIN);
        assertEquals(Set.of(Capability.KILL), c.capabilities().orElseThrow(), "the builder copies the set");
        assertThrows(UnsupportedOperationException.class, () -> c.capabilities().orElseThrow().add(Capability.BPF));
    }

    @Test
    void refusalsNameTheOptionAndTheValue() {
        assertEquals("nice must be between -20 and 19, got 20", refused(() -> CommandSpec.builder("x").nice(20)));
        assertEquals("nice must be between -20 and 19, got -21", refused(() -> CommandSpec.builder("x").nice(-21)));
        assertEquals("oomScoreAdj must be between -1000 and 1000, got 1001",
                refused(() -> CommandSpec.builder("x").oomScoreAdj(1001)));
        assertEquals("oomScoreAdj must be between -1000 and 1000, got -1001",
                refused(() -> CommandSpec.builder("x").oomScoreAdj(-1001)));
        assertEquals("umask must be between 0000 and 0777 (octal), got 01000",
                refused(() -> CommandSpec.builder("x").umask(01000)));
        assertEquals("umask must be between 0000 and 0777 (octal), got -1",
                refused(() -> CommandSpec.builder("x").umask(-1)));
        assertEquals("rlimit nofile: the soft limit 4097 is above the hard limit 4096",
                refused(() -> CommandSpec.builder("x").rlimit(Rlimit.NOFILE, 4097, 4096)));
        assertEquals("rlimit core: the soft limit unlimited is above the hard limit 0",
                refused(() -> CommandSpec.builder("x").rlimit(Rlimit.CORE, Rlimit.UNLIMITED, 0)));
        assertEquals("rlimit as: a resource limit is 0 or more, or unlimited (-1); got -2:5",
                refused(() -> CommandSpec.builder("x").rlimit(Rlimit.AS, -2, 5)));
        Set<Capability> withNull = new java.util.HashSet<>();
        withNull.add(null);
        assertEquals("capabilities: a capability is null", refused(() -> CommandSpec.builder("x").capabilities(withNull)));
    }

    @Test
    void capabilityNames() {
        assertEquals(Capability.NET_BIND_SERVICE, Capability.parse("CAP_NET_BIND_SERVICE"));
        assertEquals(Capability.NET_BIND_SERVICE, Capability.parse(" cap_net_bind_service "));
        assertEquals(Capability.NET_BIND_SERVICE, Capability.parse("net-bind-service"));
        assertEquals(Capability.SYS_ADMIN, Capability.parse("sys_admin"));
        assertEquals(10, Capability.NET_BIND_SERVICE.number());
        assertEquals("CAP_NET_BIND_SERVICE", Capability.NET_BIND_SERVICE.toString());
        assertEquals(Capability.CHECKPOINT_RESTORE, Capability.of(40));
        for (int i = 0; i < Capability.values().length; i++) {
            assertEquals(i, Capability.values()[i].number(), "numbers are the kernel's, without gaps");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Capability.parse("CAP_NET_BIND_SERVCE"));
        assertEquals("unknown capability 'CAP_NET_BIND_SERVCE' (did you mean CAP_NET_BIND_SERVICE?)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Capability.parse("everything"));
        assertEquals("unknown capability 'everything' (expected e.g. CAP_NET_BIND_SERVICE)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Capability.of(41));
    }

    @Test
    void rlimitNames() {
        assertEquals(Rlimit.NOFILE, Rlimit.parse("nofile"));
        assertEquals(Rlimit.NOFILE, Rlimit.parse("RLIMIT_NOFILE"));
        assertEquals(Rlimit.AS, Rlimit.parse("As"));
        assertEquals("memlock", Rlimit.MEMLOCK.key());
        for (int i = 0; i < Rlimit.values().length; i++) {
            assertEquals(i, Rlimit.values()[i].number(), "numbers are the kernel's (asm-generic), in order");
        }
        assertEquals(7, Rlimit.NOFILE.number());
        assertEquals(Rlimit.Unit.BYTES, Rlimit.MEMLOCK.unit());
        assertEquals(Rlimit.Unit.SECONDS, Rlimit.CPU.unit());
        assertEquals(Rlimit.Unit.MICROSECONDS, Rlimit.RTTIME.unit());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rlimit.parse("nofiles"));
        assertTrue(e.getMessage().startsWith("unknown resource limit 'nofiles' (did you mean nofile?) (one of cpu, "),
                e.getMessage());
    }

    private static String parseError(Rlimit r, String text) {
        return assertThrows(IllegalArgumentException.class, () -> ResourceLimit.parse(r, text)).getMessage();
    }

    @Test
    void resourceLimitsAsTheConfigurationWritesThem() {
        assertEquals(ResourceLimit.of(1024, 4096), ResourceLimit.parse(Rlimit.NOFILE, "1024:4096"));
        assertEquals(ResourceLimit.of(1024), ResourceLimit.parse(Rlimit.NOFILE, " 1024 "));
        assertEquals(ResourceLimit.UNLIMITED, ResourceLimit.parse(Rlimit.NPROC, "unlimited"));
        assertEquals(ResourceLimit.UNLIMITED, ResourceLimit.parse(Rlimit.NPROC, "Infinity"));
        assertEquals(ResourceLimit.of(0, Rlimit.UNLIMITED), ResourceLimit.parse(Rlimit.CORE, "0:unlimited"));
        assertEquals(ResourceLimit.of(64L << 20, 1L << 30), ResourceLimit.parse(Rlimit.MEMLOCK, "64M:1G"));
        assertEquals(ResourceLimit.of(8 << 20), ResourceLimit.parse(Rlimit.STACK, "8M"));
        assertEquals(ResourceLimit.of(4096), ResourceLimit.parse(Rlimit.AS, "4096"), "a bare size is bytes");
        assertEquals(ResourceLimit.of(90, 3600), ResourceLimit.parse(Rlimit.CPU, "1m30s:1h"));
        assertEquals(ResourceLimit.of(60), ResourceLimit.parse(Rlimit.CPU, "60"), "bare cpu: seconds, as ulimit -t");
        assertEquals(ResourceLimit.of(500_000), ResourceLimit.parse(Rlimit.RTTIME, "500ms"));
        assertEquals(ResourceLimit.of(200), ResourceLimit.parse(Rlimit.RTTIME, "200"), "bare rttime: microseconds");

        assertEquals("the soft limit 4097 is above the hard limit 4096", parseError(Rlimit.NOFILE, "4097:4096"));
        assertEquals("the soft limit unlimited is above the hard limit 0", parseError(Rlimit.CORE, "unlimited:0"));
        assertEquals("not a whole number (expected a whole number, unlimited, or soft:hard such as 1024:4096)",
                parseError(Rlimit.NOFILE, "1K"));
        assertEquals("a limit cannot be negative (unlimited: no limit)", parseError(Rlimit.NOFILE, "-1"));
        assertEquals("more than one ':' (expected a whole number, unlimited, or soft:hard such as 1024:4096)",
                parseError(Rlimit.NOFILE, "1:2:3"));
        assertEquals("the hard value is empty (expected a whole number, unlimited, or soft:hard such as 1024:4096)",
                parseError(Rlimit.NOFILE, "1:"));
        assertEquals("empty limit (expected a size such as 64M, unlimited, or soft:hard such as 8M:64M)",
                parseError(Rlimit.STACK, " "));
        assertEquals("not a size (expected e.g. 4096, 64K, 256M, 1G)", parseError(Rlimit.STACK, "lots"));
        assertEquals("the limit counts whole seconds", parseError(Rlimit.CPU, "1500ms"));
        assertEquals("number too large", parseError(Rlimit.NOFILE, "99999999999999999999"));
    }

    @Test
    void capabilitySetsAsTheConfigurationWritesThem() {
        assertEquals(Set.of(Capability.NET_BIND_SERVICE, Capability.CHOWN),
                Capability.parseSet("CAP_NET_BIND_SERVICE, cap_chown"));
        assertEquals(Set.of(Capability.NET_BIND_SERVICE, Capability.KILL), Capability.parseSet("net_bind_service kill"));
        assertEquals(Set.of(), Capability.parseSet("none"));
        assertEquals(Set.of(), Capability.parseSet(" NONE "));
        assertEquals("none means no capability at all: it cannot be given with others",
                assertThrows(IllegalArgumentException.class, () -> Capability.parseSet("none, CAP_KILL")).getMessage());
        assertEquals("unknown capability 'CAP_SYS_ADMN' (did you mean CAP_SYS_ADMIN?)", assertThrows(
                IllegalArgumentException.class, () -> Capability.parseSet("CAP_KILL, CAP_SYS_ADMN")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Capability.parseSet(""));
    }

    @Test
    void umaskInOctal() {
        assertEquals(0027, CommandSpec.builder("x").umask("027").build().umask().getAsInt());
        assertEquals(0027, CommandSpec.builder("x").umask("0027").build().umask().getAsInt());
        assertEquals(0, CommandSpec.builder("x").umask("0").build().umask().getAsInt());
        assertTrue(CommandSpec.builder("x").umask(" ").build().umask().isEmpty());
        assertEquals("umask must be octal digits, 0000 to 0777 (e.g. 0027 or 077)",
                refused(() -> CommandSpec.builder("x").umask("0o27")));
        assertEquals("umask must be octal digits, 0000 to 0777 (e.g. 0027 or 077)",
                refused(() -> CommandSpec.builder("x").umask("089")));
        assertEquals("umask must be between 0000 and 0777 (octal), got 01000",
                refused(() -> CommandSpec.builder("x").umask("1000")));
    }

    @Test
    void resourceLimitText() {
        assertEquals("1024:4096", ResourceLimit.of(1024, 4096).toString());
        assertEquals("unlimited", ResourceLimit.UNLIMITED.toString());
        assertEquals("0:unlimited", ResourceLimit.of(0, Rlimit.UNLIMITED).toString());
        assertEquals("64", ResourceLimit.of(64).toString());
    }
}
