package org.corral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The words of the stdout and stderr keys and console options, read in one place. */
class OutputModeWordsTest {

    @Test
    void eachModeReadsBackFromItsWordInAnyCase() {
        for (StdoutMode m : StdoutMode.values()) {
            assertEquals(m, StdoutMode.parse(m.word()));
            assertEquals(m, StdoutMode.parse(" " + m.word().toUpperCase() + " "));
        }
        for (StderrMode m : StderrMode.values()) {
            assertEquals(m, StderrMode.parse(m.word()));
            assertEquals(m, StderrMode.parse("\t" + m.word().toUpperCase()));
        }
        assertEquals(StderrMode.MERGE, StderrMode.parse("stdout"));
        assertEquals(StderrMode.SEPARATE, StderrMode.parse("capture"));
        assertEquals(StdoutMode.DISCARD, StdoutMode.parse("discard"));
    }

    @Test
    void otherWordsAreRefusedWithoutEchoingThem() {
        for (String bad : new String[] {"", "null", "merge", "separate", "stdout2", "/dev/null"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StderrMode.parse(bad));
            assertEquals("expected capture, stdout or discard", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> StderrMode.parse(null));
        assertEquals("expected capture or discard", assertThrows(IllegalArgumentException.class,
                () -> StdoutMode.parse("stderr")).getMessage());
    }
}
