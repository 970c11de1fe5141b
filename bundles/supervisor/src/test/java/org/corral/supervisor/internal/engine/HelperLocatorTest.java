package org.corral.supervisor.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.corral.api.ProcessException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HelperLocatorTest {

    @Test
    void architectureFromOsArch() {
        assertEquals("x86_64", HelperLocator.architecture("amd64"));
        assertEquals("x86_64", HelperLocator.architecture("x86_64"));
        assertEquals("aarch64", HelperLocator.architecture("aarch64"));
        assertEquals("armhf", HelperLocator.architecture("arm"));
        assertNull(HelperLocator.architecture("riscv64"));
        assertEquals("corral-native/aarch64/corral-helper", HelperLocator.resourcePath("aarch64"));
    }

    @Test
    void installCopiesOwnerOnlyAndVerifies(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("packaged");
        Files.write(src, new byte[] {1, 2, 3, 4, 5});
        URL url = src.toUri().toURL();
        Path target = HelperLocator.install(url, dir.resolve("data"));
        assertEquals(dir.resolve("data").resolve("corral-helper"), target);
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(target));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));

        // a copy that differs (same size, other bytes) is replaced
        Files.write(target, new byte[] {9, 9, 9, 9, 9});
        HelperLocator.install(url, dir.resolve("data"));
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(target));
        // and an identical one is kept as it is
        long before = Files.getLastModifiedTime(target).toMillis();
        Files.setLastModifiedTime(target, java.nio.file.attribute.FileTime.fromMillis(before - 100_000));
        HelperLocator.install(url, dir.resolve("data"));
        assertEquals(before - 100_000, Files.getLastModifiedTime(target).toMillis());
        try (var s = Files.list(dir.resolve("data"))) {
            assertEquals(1, s.count(), "no temporary files left");
        }
    }

    @Test
    void unreadableResourceIsAClearError(@TempDir Path dir) throws Exception {
        URL missing = dir.resolve("nope").toUri().toURL();
        ProcessException e = assertThrows(ProcessException.class, () -> HelperLocator.install(missing, dir));
        assertTrue(e.getMessage().contains("cannot read the helper"), e.getMessage());
        Path notExec = dir.resolve("plain");
        Files.write(notExec, new byte[] {1});
        e = assertThrows(ProcessException.class, () -> HelperLocator.checkExecutable(notExec, "test"));
        assertTrue(e.getMessage().contains("not executable") && e.getMessage().contains("test"), e.getMessage());
    }

    @Test
    void elfArchitecture(@TempDir Path dir) throws Exception {
        assertEquals(java.util.Optional.of("x86_64"), HelperLocator.elfArchitecture(Path.of("/bin/true")));
        Path f = dir.resolve("notelf");
        Files.writeString(f, "#!/bin/sh\n");
        assertTrue(HelperLocator.elfArchitecture(f).isEmpty());
    }

    @Test
    void packagedHelperIsOnTheTestClassPath() {
        assertTrue(HelperLocator.fromClassLoader(getClass().getClassLoader(), "x86_64").isPresent(),
                "the org.corral.native.x86_64 jar carries corral-native/x86_64/corral-helper");
    }
}
