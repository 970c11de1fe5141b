package org.corral.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.corral.api.CgroupLimits;
import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;
import org.junit.jupiter.api.Test;

class CgroupRequestTest {

    @Test
    void fromACommandSpec() {
        assertEquals(Optional.empty(), CgroupRequest.of(CommandSpec.builder("true").build(), "corral"));

        CgroupLimits limits = CgroupLimits.builder().memoryMax("64M").build();
        CgroupRequest base = CgroupRequest.of(CommandSpec.builder("true").cgroupBase("apps").limits(limits).build(), "corral").get();
        assertEquals(Optional.of("apps"), base.base());
        assertEquals(limits, base.limits());

        CgroupRequest path = CgroupRequest.of(CommandSpec.builder("true").cgroupPath("apps/mqtt").allowPopulatedCgroup(true)
                .build(), "corral").get();
        assertEquals(Optional.of("apps/mqtt"), path.path());
        assertTrue(path.allowPopulated());
        assertTrue(path.limits().isEmpty());

        CgroupRequest dflt = CgroupRequest.of(CommandSpec.builder("true").limits(limits).build(), "corral").get();
        assertEquals(Optional.of("corral"), dflt.base());
        assertFalse(dflt.path().isPresent());

        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> CgroupRequest.of(CommandSpec.builder("true").limits(limits).build(), null));
        assertTrue(e.getMessage().contains("cgroupBase or cgroupPath"), e.getMessage());
    }
}
