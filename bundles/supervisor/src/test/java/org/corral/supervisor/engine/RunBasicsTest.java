package org.corral.supervisor.engine;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.InvalidCommandException;
import org.corral.api.ProcessResult;
import org.corral.api.ProgramNotFoundException;
import org.corral.api.Signal;
import org.corral.api.StderrMode;
import org.corral.api.Stdin;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What a run reports and how a spec reaches the program: exit, signal, argv, env, directory, stdin, stdio. */
@ExtendWith(NoLeftovers.class)
class RunBasicsTest {

    static Corral corral;

    @BeforeAll
    static void open() {
        corral = TestSupport.open();
    }

    @AfterAll
    static void close() {
        corral.close();
    }

    @Test
    void echoIsCollected() throws Exception {
        ProcessResult r = corral.run("echo", "hello", "world");
        assertEquals(0, r.exitCode());
        assertTrue(r.success());
        assertEquals("hello world\n", r.stdoutText());
        assertEquals("", r.stderrText());
        assertEquals(12, r.stdoutBytes());
        assertTrue(r.pid() > 0);
        assertFalse(r.timedOut());
        assertFalse(r.killed());
    }

    @Test
    void containmentIsTheHelper() {
        Containment c = corral.containment();
        assertTrue(c.mode() != Containment.Mode.JAVA_FALLBACK, c.toString());
        assertTrue(c.helperPath().isPresent());
        assertEquals("x86_64", c.architecture());
    }

    @Test
    void exitCodesAreReported() throws Exception {
        for (int code : new int[] {0, 1, 3, 127, 255}) {
            ProcessResult r = corral.run(prog("exit_with"), Integer.toString(code));
            assertEquals(code, r.exitCode(), "exit_with " + code);
            assertTrue(r.signal().isEmpty());
            assertEquals(code, r.exitStatus());
        }
    }

    @Test
    void terminatingSignalIsReported() throws Exception {
        ProcessResult r = corral.run(prog("kill_self"), "9");
        assertEquals(Signal.KILL, r.signal().orElseThrow());
        assertEquals(-1, r.exitCode());
        assertEquals(137, r.exitStatus());
        assertFalse(r.killed(), "the program killed itself, Corral did not");
        r = corral.run(prog("kill_self"), "15");
        assertEquals(Signal.TERM, r.signal().orElseThrow());
        r = corral.run(prog("kill_self"), "11");
        assertEquals(Signal.SEGV, r.signal().orElseThrow());
    }

    @Test
    void missingProgramIsRefusedBeforeStart() {
        ProgramNotFoundException e = assertThrows(ProgramNotFoundException.class,
                () -> corral.run("no-such-program-corral"));
        assertEquals("no-such-program-corral", e.program());
        assertTrue(e.getMessage().contains("no-such-program-corral") && e.getMessage().contains("PATH="), e.getMessage());
        e = assertThrows(ProgramNotFoundException.class, () -> corral.run("/nonexistent/dir/prog"));
        assertTrue(e.getMessage().contains("/nonexistent/dir/prog") && e.getMessage().contains("does not exist"),
                e.getMessage());
        e = assertThrows(ProgramNotFoundException.class,
                () -> corral.run(CommandSpec.builder("true").clearEnv(true).env("PATH", "/nonexistent").build()));
        assertTrue(e.getMessage().contains("PATH=/nonexistent"), e.getMessage());
    }

    @Test
    void nonExecutableAndDirectoriesAreRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("script");
        Files.writeString(f, "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        ProgramNotFoundException e = assertThrows(ProgramNotFoundException.class, () -> corral.run(f.toString()));
        assertTrue(e.getMessage().contains("not executable") && e.getMessage().contains(f.toString()), e.getMessage());
        e = assertThrows(ProgramNotFoundException.class, () -> corral.run(dir.toString()));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        // found in PATH but not executable: named in the message
        e = assertThrows(ProgramNotFoundException.class,
                () -> corral.run(CommandSpec.builder("script").env("PATH", dir.toString()).build()));
        assertTrue(e.getMessage().contains(f + " is not executable"), e.getMessage());
    }

    @Test
    void environmentSetUnsetAndClear() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder(prog("print_env")).env("CORRAL_A", "1 2")
                .env("CORRAL_EMPTY", "").unsetEnv("HOME").build());
        List<String> lines = Arrays.asList(r.stdoutText().split("\n"));
        assertTrue(lines.contains("CORRAL_A=1 2"), lines.toString());
        assertTrue(lines.contains("CORRAL_EMPTY="), lines.toString());
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("HOME=")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("PATH=")), "inherited PATH: " + lines);

        r = corral.run(CommandSpec.builder(prog("print_env")).clearEnv(true).env("ONLY", "x").build());
        assertEquals("ONLY=x\n", r.stdoutText());
        r = corral.run(CommandSpec.builder(prog("print_env")).clearEnv(true).build());
        assertEquals("", r.stdoutText());
    }

    @Test
    void workingDirectory(@TempDir Path dir) throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder(prog("print_cwd")).directory(dir).build());
        assertEquals(dir.toRealPath() + "\n", r.stdoutText());
        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> corral.run(CommandSpec.builder(prog("print_cwd")).directory(dir.resolve("missing")).build()));
        assertTrue(e.getMessage().contains("working directory") && e.getMessage().contains("missing"), e.getMessage());
        // a relative program is found relative to the working directory
        Files.copy(Path.of(prog("print_cwd")), dir.resolve("here"));
        r = corral.run(CommandSpec.builder("./here").directory(dir).build());
        assertEquals(dir.toRealPath() + "\n", r.stdoutText());
    }

    @Test
    void arg0AndArguments() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder(prog("print_args"), "a b", "", "ü").arg0("custom-name").build());
        assertEquals("custom-name\na b\n\nü\n", r.stdoutText());
        r = corral.run(prog("print_args"), "x");
        assertEquals(prog("print_args") + "\nx\n", r.stdoutText());
    }

    @Test
    void stdinBytesAndFile(@TempDir Path dir) throws Exception {
        assertEquals("0\n", corral.run(prog("cat_stdin_count")).stdoutText(), "default stdin is /dev/null");
        assertEquals("5\n", corral.run(CommandSpec.builder(prog("cat_stdin_count")).stdin(Stdin.text("hello")).build())
                .stdoutText());
        byte[] big = new byte[3_000_001];
        Arrays.fill(big, (byte) 'x');
        assertEquals("3000001\n", corral.run(CommandSpec.builder(prog("cat_stdin_count")).stdin(Stdin.bytes(big)).build())
                .stdoutText());
        Path f = dir.resolve("input");
        Files.write(f, new byte[123_456]);
        assertEquals("123456\n", corral.run(CommandSpec.builder(prog("cat_stdin_count")).stdin(Stdin.file(f)).build())
                .stdoutText());
        // stdin bytes echoed back: what goes in comes out, also when larger than a pipe
        byte[] text = new byte[200_000];
        for (int i = 0; i < text.length; i++) {
            text[i] = (byte) ('a' + i % 26);
        }
        ProcessResult r = corral.run(CommandSpec.builder("cat").stdin(Stdin.bytes(text)).build());
        assertTrue(Arrays.equals(text, r.stdout()), "cat echoes its stdin");
        InvalidCommandException e = assertThrows(InvalidCommandException.class,
                () -> corral.run(CommandSpec.builder("cat").stdin(Stdin.file(dir.resolve("nope"))).build()));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void stdoutAndStderrSeparateMergedDiscarded() throws Exception {
        ProcessResult r = corral.run(prog("interleave"), "3");
        assertEquals("out 1\nout 2\nout 3\n", r.stdoutText());
        assertEquals("err 1\nerr 2\nerr 3\n", r.stderrText());
        r = corral.run(CommandSpec.builder(prog("interleave"), "200").stderr(StderrMode.MERGE).build());
        StringBuilder want = new StringBuilder();
        for (int i = 1; i <= 200; i++) {
            want.append("out ").append(i).append('\n').append("err ").append(i).append('\n');
        }
        assertEquals(want.toString(), r.stdoutText(), "merged in the order written");
        assertEquals("", r.stderrText());
        r = corral.run(CommandSpec.builder(prog("interleave"), "3").stderr(StderrMode.DISCARD).build());
        assertEquals("out 1\nout 2\nout 3\n", r.stdoutText());
        assertEquals(0, r.stderrBytes());
        r = corral.run(prog("echo_stderr"), "only on stderr");
        assertEquals("", r.stdoutText());
        assertEquals("only on stderr\n", r.stderrText());
    }

    @Test
    void partialLastLineIsKept() throws Exception {
        assertEquals("no newline at end", corral.run(prog("partial_line")).stdoutText());
    }

    @Test
    void outputCapTruncatesButDrains() throws Exception {
        ProcessResult r = corral.run(CommandSpec.builder(prog("print_a_lot"), "1000000").maxOutputBytes(1000).build());
        assertEquals(0, r.exitCode(), "the program was not blocked or killed by the cap");
        assertEquals(1000, r.stdout().length);
        assertEquals(1_000_000, r.stdoutBytes());
        assertTrue(r.truncated());
        assertEquals(PrintALot.expected(0, 1000), new String(r.stdout(), StandardCharsets.US_ASCII));
    }

    @Test
    void programSeesOnlyItsStdioFds() throws Exception {
        ProcessResult r = corral.run(prog("fd_check"));
        assertEquals(0, r.exitCode(), r.stdoutText());
        assertTrue(r.stdoutText().contains("0 /dev/null"), r.stdoutText());
    }

    @Test
    void execFailureInTheChildIsAClearError(@TempDir Path dir) throws IOException {
        // passes the Java checks (regular, executable) but cannot be exec'ed: no valid format
        Path f = dir.resolve("garbage");
        Files.write(f, new byte[] {1, 2, 3, 4});
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
        org.corral.api.ProcessException e = assertThrows(org.corral.api.ProcessException.class,
                () -> corral.run(f.toString()));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("exec"), e.getMessage());
    }
}
