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
                .rlimit(Rlimit.NOFILE, null).rlimit(Rlimit.CORE, null).nice(null).oomScoreAdj(null).umask(null).build();
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

    @Test
    void resourceLimitText() {
        assertEquals("1024:4096", ResourceLimit.of(1024, 4096).toString());
        assertEquals("unlimited", ResourceLimit.UNLIMITED.toString());
        assertEquals("0:unlimited", ResourceLimit.of(0, Rlimit.UNLIMITED).toString());
        assertEquals("64", ResourceLimit.of(64).toString());
    }
}
