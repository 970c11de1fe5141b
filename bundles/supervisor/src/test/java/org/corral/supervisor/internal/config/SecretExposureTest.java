package org.corral.supervisor.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretExposureTest {

    @TempDir
    Path tmp;

    private Map<String, Object> props(Path file) {
        Map<String, Object> p = new HashMap<>();
        p.put("name", "web");
        p.put("command", "/bin/true");
        p.put("env.API_TOKEN", "s3cr3t");
        p.put("env.DB_PASS", "hunter2");
        p.put("env.clear", "true");
        p.put(DaemonConfigParser.FILEINSTALL_FILENAME, file.toUri().toString());
        return p;
    }

    @Test
    void aWorldReadableFileWithEnvValuesIsNamedWithItsKeysButNoValue() throws Exception {
        Path cfg = Files.writeString(tmp.resolve("org.corral.daemon-web.cfg"), "x");
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-r--r--"));
        Optional<String> w = SecretExposure.warning(props(cfg), SecretExposure.SYSTEM);
        assertEquals(Optional.of("Daemon configuration " + cfg + " holds env.API_TOKEN, env.DB_PASS and every local"
                + " user may read it (mode 0644): chmod 600 " + cfg), w);
        assertFalse(w.get().contains("s3cr3t") || w.get().contains("hunter2"));
    }

    @Test
    void nothingToSayForA0600Or0640FileNoSecretsOrNoFile() throws Exception {
        Path cfg = Files.writeString(tmp.resolve("org.corral.daemon-web.cfg"), "x");
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-------"));
        assertTrue(SecretExposure.warning(props(cfg), SecretExposure.SYSTEM).isEmpty());
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-r-----"));
        assertTrue(SecretExposure.warning(props(cfg), SecretExposure.SYSTEM).isEmpty());
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-r--r--"));
        Map<String, Object> p = props(cfg);
        p.remove("env.API_TOKEN");
        p.put("env.DB_PASS", "");
        assertTrue(SecretExposure.warning(p, SecretExposure.SYSTEM).isEmpty(), "env.clear and empty values");
        p = props(cfg);
        p.remove(DaemonConfigParser.FILEINSTALL_FILENAME);
        assertTrue(SecretExposure.warning(p, SecretExposure.SYSTEM).isEmpty(), "made through Config Admin only");
        assertTrue(SecretExposure.warning(props(tmp.resolve("gone.cfg")), SecretExposure.SYSTEM).isEmpty());
    }
}
