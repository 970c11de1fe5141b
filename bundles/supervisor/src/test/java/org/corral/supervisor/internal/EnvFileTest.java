package org.corral.supervisor.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;
import org.corral.supervisor.internal.fs.PrivateFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** env.file (issue 12.1): the format, and the file refused unless private; no message ever shows a value. */
class EnvFileTest {

    private static final String SECRET = "s3cr3t-v4lue";

    @TempDir
    Path dir;

    private Path file(String text, String mode) throws IOException {
        Path f = dir.resolve("app.env");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    private static String refusal(Path f) {
        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> EnvFile.read(f, PrivateFiles.selfUid()));
        assertFalse(e.getMessage().contains(SECRET), "never the value: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("env.file " + f + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void linesCommentsBlanksAndQuotes() throws IOException {
        Path f = file("# a comment\n\nTOKEN=" + SECRET + "\n  SPACED = a b  \nDQ=\"x \\\"y\\\" \\\\ z\"\r\n"
                + "SQ='it''s'\nEMPTY=\nEQ=a=b\nTOKEN2='  kept  '\n   # indented comment\nTOKEN=later wins\n", "rw-------");
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("TOKEN", "later wins");
        expected.put("SPACED", "a b");
        expected.put("DQ", "x \"y\" \\ z");
        expected.put("SQ", "it''s");
        expected.put("EMPTY", "");
        expected.put("EQ", "a=b");
        expected.put("TOKEN2", "  kept  ");
        assertEquals(expected, EnvFile.read(f, PrivateFiles.selfUid()));
    }

    @Test
    void badLinesNameTheLineNotTheValue() throws IOException {
        assertEquals("env.file " + dir.resolve("app.env") + ": line 2: expected NAME=value",
                refusal(file("A=1\n" + SECRET + "\n", "rw-------")));
        assertTrue(refusal(file("=" + SECRET, "rw-------")).endsWith("line 1: the name before '=' is empty"));
        assertTrue(refusal(file("MY VAR=" + SECRET, "rw-------")).endsWith("line 1: the name contains a blank or a"
                + " control character"));
        assertTrue(refusal(file("A=\"" + SECRET, "rw-------")).endsWith("line 1: the value's opening quote is not"
                + " closed at the end of the line"));
        Path latin = dir.resolve("latin.env");
        Files.write(latin, new byte[] {'A', '=', (byte) 0xe9});
        Files.setPosixFilePermissions(latin, PosixFilePermissions.fromString("rw-------"));
        assertTrue(refusal(latin).endsWith(": is not UTF-8 text"));
    }

    @Test
    void aFileOthersMayReadOrWriteIsRefused() throws IOException {
        assertEquals("env.file " + dir.resolve("app.env") + ": is readable by group or others (mode 0644); it holds"
                + " secrets: chmod 600 " + dir.resolve("app.env"), refusal(file("T=" + SECRET, "rw-r--r--")));
        assertTrue(refusal(file("T=" + SECRET, "rw-r-----")).contains("is readable by group or others (mode 0640)"));
        assertTrue(refusal(file("T=" + SECRET, "rw-----w-")).contains("is writable by group or others (mode 0602)"));
        assertTrue(refusal(file("T=" + SECRET, "rw-rw-rw-")).contains("is readable and writable by group or others"));
        assertEquals(Map.of("T", SECRET), EnvFile.read(file("T=" + SECRET, "r--------"), PrivateFiles.selfUid()));
    }

    @Test
    void aFileOfAnotherUserIsRefused() throws IOException {
        Path f = file("T=" + SECRET, "rw-------");
        Files.setAttribute(f, "unix:uid", 65534); // the tests run as root
        String why = refusal(f);
        assertTrue(why.contains("is owned by uid 65534, not by root or the JVM's user"), why);
        // the JVM's own user may own it (here: pretend the JVM runs as 65534)
        assertEquals(Map.of("T", SECRET), EnvFile.read(f, 65534));
    }

    @Test
    void missingDirectoryOrHugeFiles() throws IOException {
        assertTrue(refusal(dir.resolve("nope.env")).endsWith(": does not exist"));
        assertTrue(refusal(dir).endsWith(": is not a regular file"));
        Path big = file("A=" + "x".repeat((int) EnvFile.MAX_BYTES), "rw-------");
        assertTrue(refusal(big).endsWith(": is larger than 1 MiB"));
    }

    @Test
    void applySetsTheFilesVariablesOverTheSpecsAndNoFileRemains() throws IOException {
        Path f = file("A=from-file\nB=2\n", "rw-------");
        CommandSpec spec = CommandSpec.builder("/bin/true").env("A", "from-key").env("C", "3").unsetEnv("B")
                .envFile(f).build();
        CommandSpec applied = EnvFile.apply(spec);
        assertEquals(Map.of("A", "from-file", "B", "2", "C", "3"), applied.env(), "the file wins, as in systemd");
        assertTrue(applied.envFile().isEmpty());
        assertTrue(applied.unsetEnv().isEmpty());
        CommandSpec none = CommandSpec.of("/bin/true");
        assertTrue(none == EnvFile.apply(none));
        assertThrows(InvalidCommandException.class, () -> CommandSpec.builder("x").envFile(Path.of("rel.env")));
    }
}
