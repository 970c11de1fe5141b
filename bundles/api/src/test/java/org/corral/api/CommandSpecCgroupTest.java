package org.corral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The cgroup options of a spec: empty limits are no limits, and the opt-out of the default cgroup. */
class CommandSpecCgroupTest {

    @Test
    void emptyLimitsAreNoLimits() {
        CommandSpec empty = CommandSpec.builder("true").limits(CgroupLimits.builder().build()).build();
        assertFalse(empty.usesCgroup(), "an empty CgroupLimits asks for no cgroup (MuonTrap treats it as none)");
        assertEquals(Optional.empty(), empty.limits());
        assertFalse(CommandSpec.of("true").usesCgroup());
        CommandSpec some = CommandSpec.builder("true").limits(CgroupLimits.builder().pidsMax(10).build()).build();
        assertTrue(some.usesCgroup());
        assertTrue(CommandSpec.builder("true").cgroupBase("apps").build().usesCgroup());
        assertTrue(CommandSpec.builder("true").cgroupPath("apps/x").build().usesCgroup());
        // and it can be combined with the opt-out
        assertFalse(CommandSpec.builder("true").limits(CgroupLimits.builder().build()).defaultCgroup(false).build()
                .usesCgroup());
    }

    @Test
    void theDefaultCgroupIsOnUnlessOptedOut() {
        assertTrue(CommandSpec.of("true").defaultCgroup());
        CommandSpec out = CommandSpec.builder("true").defaultCgroup(false).build();
        assertFalse(out.defaultCgroup());
        assertFalse(out.toBuilder().build().defaultCgroup(), "toBuilder keeps it");
    }

    @Test
    void theOptOutIsRefusedTogetherWithACgroupOption() {
        for (CommandSpec.Builder b : new CommandSpec.Builder[] {CommandSpec.builder("true").cgroupBase("apps"),
                CommandSpec.builder("true").cgroupPath("apps/x"),
                CommandSpec.builder("true").limits(CgroupLimits.builder().memoryMax(1 << 20).build())}) {
            InvalidCommandException e = assertThrows(InvalidCommandException.class, () -> b.defaultCgroup(false).build());
            assertTrue(e.getMessage().startsWith("defaultCgroup(false) opts out of cgroups, but "), e.getMessage());
        }
    }
}
