package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import org.corral.supervisor.internal.fs.PrivateFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-over file's I/O: mode 0600, never written or read through a symbolic link, only our own file read. */
class HandOverFileIoTest {

    @TempDir
    Path tmp;

    static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    @Test
    void writtenMode0600AndReadBack() throws IOException {
        Path file = tmp.resolve(HandOverFile.NAME);
        HandOverFile.write(file, "1 2", List.of());
        assertEquals(0600, mode(file));
        HandOverFile.Contents c = HandOverFile.read(file).orElseThrow();
        assertEquals("1 2", c.jvm());
        assertEquals(List.of(), c.errors());
        assertTrue(HandOverFile.read(tmp.resolve("none")).isEmpty());
    }

    @Test
    void aLinkPlantedAtTheTemporaryNameIsReplacedNotFollowed() throws IOException {
        Path victim = Files.writeString(tmp.resolve("victim"), "precious\n");
        Path file = tmp.resolve(HandOverFile.NAME);
        Files.createSymbolicLink(tmp.resolve(HandOverFile.NAME + ".tmp"), victim);
        HandOverFile.write(file, "1 2", List.of());
        assertEquals("precious\n", Files.readString(victim));
        assertFalse(Files.isSymbolicLink(file));
        assertEquals(0600, mode(file));
    }

    @Test
    void aLinkInPlaceOfTheFileIsNotRead() throws IOException {
        Path real = tmp.resolve("elsewhere");
        HandOverFile.write(real, "1 2", List.of());
        Path link = Files.createSymbolicLink(tmp.resolve(HandOverFile.NAME), real);
        IOException e = assertThrows(IOException.class, () -> HandOverFile.read(link));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    }

    @Test
    void anotherUsersFileIsNotRead() throws IOException {
        assumeTrue(PrivateFiles.selfUid() == 0, "chown needs root");
        Path file = tmp.resolve(HandOverFile.NAME);
        HandOverFile.write(file, "1 2", List.of());
        Files.setAttribute(file, "unix:uid", 65534);
        IOException e = assertThrows(IOException.class, () -> HandOverFile.read(file));
        assertTrue(e.getMessage().contains("not to this JVM's user"), e.getMessage());
    }
}
