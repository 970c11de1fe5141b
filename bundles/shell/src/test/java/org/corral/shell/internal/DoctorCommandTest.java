package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;

import org.corral.api.SupervisorStatus.Finding;
import org.corral.api.SupervisorStatus.Severity;
import org.junit.jupiter.api.Test;

class DoctorCommandTest {

    @Test
    void findingsPrintWithTheirFix() {
        assertEquals("[FAIL] memory controller  missing\n                          fix: reboot",
                DoctorCommand.line(new Finding(Severity.FAIL, "memory controller", "missing", Optional.of("reboot"))));
        assertEquals("[ok]   helper             fine",
                DoctorCommand.line(new Finding(Severity.OK, "helper", "fine", Optional.empty())));
        assertEquals("[warn] io controller      absent",
                DoctorCommand.line(new Finding(Severity.WARN, "io controller", "absent", Optional.empty())));
    }
}
