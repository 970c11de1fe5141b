package org.corral.supervisor.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.corral.api.DaemonSpec;
import org.corral.api.StderrMode;
import org.corral.api.StdoutMode;
import org.corral.supervisor.internal.config.DaemonConfigParser.Result;
import org.junit.jupiter.api.Test;

/**
 * The keys of issue 12 (stdout, stderr, env.file, reload.signal ...): each applied, each refused with one clear
 * problem naming the key and value, each with a "did you mean", each in the README's key table.
 */
class OperatorKeysTest {

    static Map<String, Object> base() {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "org.corral.daemon~web");
        p.put("felix.fileinstall.filename", "file:/opt/karaf/etc/org.corral.daemon-web.cfg");
        p.put("command", "/usr/bin/sleep");
        return p;
    }

    static DaemonSpec ok(Map<String, Object> p) {
        Result r = DaemonConfigParser.parse(p);
        assertTrue(r.ok(), r::errorLine);
        return r.spec().orElseThrow();
    }

    static String errors(Map<String, Object> p) {
        Result r = DaemonConfigParser.parse(p);
        assertFalse(r.ok(), "expected an error for " + p);
        return r.errorLine();
    }

    static Map<String, Object> with(String... keyValues) {
        Map<String, Object> p = base();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    // ---------------------------------------------------------------- stdout, stderr (12.8)

    @Test
    void stdoutCanBeDiscardedWhileStderrIsKept() {
        DaemonSpec s = ok(with("stdout", "discard"));
        assertEquals(StdoutMode.DISCARD, s.command().stdoutMode());
        assertEquals(StderrMode.SEPARATE, s.command().stderrMode());
        assertEquals(StdoutMode.CAPTURE, ok(with("stdout", "Capture")).command().stdoutMode());
        assertEquals(StderrMode.MERGE, ok(with("stderr", "stdout")).command().stderrMode());
        assertEquals(StderrMode.DISCARD, ok(with("stderr", "discard")).command().stderrMode());
        assertEquals(StdoutMode.CAPTURE, ok(base()).command().stdoutMode());
    }

    @Test
    void badStdoutAndStderrValues() {
        assertTrue(errors(with("stdout", "null")).contains("stdout = 'null': expected capture (read, logged at"
                + " log.stdout) or discard (/dev/null)"), errors(with("stdout", "null")));
        assertTrue(errors(with("stderr", "journal")).contains("stderr = 'journal': expected capture"));
        String both = errors(with("stdout", "discard", "stderr", "stdout"));
        assertTrue(both.contains("stderr = 'stdout': stderr cannot go into stdout while stdout = discard"), both);
        String ready = errors(with("stdout", "discard", "stderr", "discard", "ready.log", "^up"));
        assertTrue(ready.contains("ready.log = '^up': matches output lines, but stdout and stderr are both discarded"),
                ready);
    }

    // ---------------------------------------------------------------- env.file, env names (12.1, 12.9)

    @Test
    void envFileIsAnAbsolutePathAndNoSecret() {
        assertEquals(Path.of("/etc/corral/web.env"), ok(with("env.file", "/etc/corral/web.env")).command().envFile()
                .orElseThrow());
        assertTrue(errors(with("env.file", "web.env")).contains("env.file = 'web.env': must be an absolute path"),
                errors(with("env.file", "web.env")));
        assertFalse(DaemonConfigParser.secret("env.file"));
        assertTrue(DaemonConfigParser.secret("env.TOKEN"));
    }

    @Test
    void aControlCharacterInAVariableNameIsRefused() {
        String e = errors(with("env.A\nB", "x"));
        assertTrue(e.contains("env.A\\x0aB: invalid environment variable name 'A\\x0aB': it contains a control"
                + " character"), e);
        assertFalse(e.contains("\n"), "the log line stays one line: " + e);
        for (String name : new String[] {"A\rB", "A\u001bB", "A\u0085B", "A\u202eB", "A\u2028B", "A\u007fB"}) {
            String bad = errors(with("env." + name, "x"));
            assertTrue(bad.contains("': it contains a control character"), bad);
        }
        assertTrue(ok(with("env.GRÜSSE", "x")).command().env().containsKey("GRÜSSE"), "letters are not controls");
    }

    @Test
    void aTypoOfAnEnvKeyIsAVariableWithAWarning() {
        Result r = DaemonConfigParser.parse(with("env.fiel", "/etc/x.env"));
        assertTrue(r.ok());
        assertEquals("/etc/x.env", r.spec().orElseThrow().command().env().get("fiel"));
        assertEquals("[env.fiel: sets the environment variable 'fiel' (did you mean env.file?)]", r.warnings()
                .toString());
        assertTrue(DaemonConfigParser.parse(with("env.API_TOKEN", "x")).warnings().isEmpty());
    }

    // ---------------------------------------------------------------- command (12.9)

    @Test
    void aRelativeCommandIsRefused() {
        String e = errors(with("command", "../../../../bin/sh"));
        assertTrue(e.contains("command = '../../../../bin/sh': must be an absolute path (/usr/bin/foo) or a name looked"
                + " up in PATH (foo), not a relative path"), e);
        assertTrue(errors(with("command", "bin/sh")).contains("not a relative path"));
        assertEquals("/bin/sh", ok(with("command", "/bin/sh")).command().argv().get(0));
        assertEquals("sh", ok(with("command", "sh")).command().argv().get(0));
        String pre = errors(with("start.pre", "../../bin/sh -c 'id'"));
        assertTrue(pre.contains("start.pre = '../../bin/sh -c 'id'': the program '../../bin/sh' must be an absolute path"
                + " (/usr/bin/foo) or a name looked up in PATH (foo), not a relative path"), pre);
        assertTrue(ok(with("start.pre", "sh -c true")).beforeStart().isPresent());
    }

    // ---------------------------------------------------------------- reload.signal (12.5)

    @Test
    void reloadSignalDefaultsToHup() {
        assertEquals(org.corral.api.Signal.HUP, ok(base()).reloadSignal());
        assertEquals(org.corral.api.Signal.USR1, ok(with("reload.signal", "SIGUSR1")).reloadSignal());
        assertEquals(org.corral.api.Signal.USR2, ok(with("reload.signal", "12")).reloadSignal());
        String e = errors(with("reload.signal", "SIGRELOAD"));
        assertTrue(e.contains("reload.signal = 'SIGRELOAD': unknown signal 'SIGRELOAD' (expected e.g. TERM, SIGKILL or 9)"),
                e);
        assertEquals("reload.signal", DaemonConfigParser.closest("relaod.signal"));
    }

    // ---------------------------------------------------------------- every key: a did-you-mean, a README row

    @Test
    void typosOfTheNewKeysGetADidYouMean() {
        assertEquals("stdout", DaemonConfigParser.closest("stdot"));
        assertEquals("stderr", DaemonConfigParser.closest("sdterr"));
        assertEquals("env.file", DaemonConfigParser.closest("env_file"));
    }

    /** The README's key table ("### Keys") names every key the parser knows (a new key gets a row). */
    @Test
    void everyKeyHasAReadmeRow() throws IOException {
        Path readme = Path.of("../../README.md");
        String text = Files.readString(readme);
        int start = text.indexOf("### Keys");
        int end = text.indexOf("\n### ", start + 1);
        Matcher m = Pattern.compile("(?m)^\\| `([a-z0-9.<>A-Z]+)`").matcher(text.substring(start, end));
        TreeSet<String> rows = new TreeSet<>();
        while (m.find()) {
            rows.add(m.group(1));
        }
        TreeSet<String> missing = new TreeSet<>(DaemonConfigParser.KEYS);
        missing.removeAll(rows);
        assertEquals(new TreeSet<>(List.of()), missing, "keys without a row in the README's key table");
    }
}
