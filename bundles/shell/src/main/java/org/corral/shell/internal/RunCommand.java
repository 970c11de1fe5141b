package org.corral.shell.internal;

import java.io.PrintStream;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.CommandException;
import org.corral.api.Capability;
import org.corral.api.CgroupLimits;
import org.corral.api.CommandSpec;
import org.corral.api.ProcessException;
import org.corral.api.ProcessResult;
import org.corral.api.ProcessService;
import org.corral.api.ResourceLimit;
import org.corral.api.Rlimit;
import org.corral.api.Signal;
import org.corral.api.StderrMode;
import org.corral.api.StdoutMode;
import org.corral.api.Stdin;
import org.corral.api.values.Values;

/** {@code corral:run [options] -- <command> [args]}: one contained run, output streamed to the console. */
@Command(scope = "corral", name = "run", description = "Runs a program once, contained like a daemon (own process"
        + " group, cgroup when available, every descendant killed at the end), prints its output as it comes and"
        + " then its exit status. Ctrl-C kills it.",
        detailedDescription = "Example: corral:run --timeout 5s --memory-max 64M -- sh -c 'echo hello; sleep 1'")
@Service
public class RunCommand extends ProgramOptions {

    /** Output waiting for the console, beyond which it is dropped (and counted). */
    static final long CONSOLE_BUFFER = 4L << 20;

    @Argument(index = 0, name = "command", description = "The program (path or name in PATH) and its arguments,"
            + " best after '--'", required = true, multiValued = true)
    List<String> argv;

    @Option(name = "--", description = "Ends the options: the program and its arguments follow")
    boolean endOfOptions;

    @Option(name = "-t", aliases = "--timeout", description = "Kill the program after this long, e.g. 10s")
    String timeout;

    @Option(name = "--stdin", description = "Text given to the program on stdin (default: none, /dev/null)")
    String stdin;

    @Option(name = "--merge", description = "Send stderr into stdout (as --stderr stdout)")
    boolean merge;

    @Option(name = "-q", aliases = "--quiet", description = "Do not print the exit status line")
    boolean quiet;

    @Reference(optional = true)
    ProcessService processes;

    /** Output goes to the session's terminal as it comes (System.out would show it only at the end). */
    @Reference
    Session session;

    @Override
    public Object execute() throws Exception {
        if (processes == null) {
            throw Commands.error("corral: no ProcessService is registered: is the supervisor running? (corral:doctor)");
        }
        Commands.Split split = Commands.split(argv);
        List<String> program = split.after();
        if (split.separated() && !split.before().isEmpty()) {
            Commands.applyLateOptions(this, split.before());
        }
        if (program.isEmpty() || program.get(0).isBlank()) {
            throw Commands.error("corral: no program given: corral:run [options] -- <command> [args]");
        }
        if (!Values.isProgram(program.get(0))) {
            throw Commands.error("corral: the program '" + Format.text(program.get(0)) + "' " + Values.PROGRAM_RULE
                    + " (Karaf's working directory is not yours)");
        }
        ChunkQueue queue = new ChunkQueue(CONSOLE_BUFFER);
        CommandSpec spec = spec(program, queue);
        PrintStream out = session.getConsole();
        PrintStream err = out;
        CompletableFuture<ProcessResult> future;
        try {
            future = processes.runAsync(spec);
        } catch (ProcessException | IllegalArgumentException e) {
            throw Commands.error("corral: " + e.getMessage());
        }
        future.whenComplete((r, t) -> queue.end());
        try {
            ChunkQueue.Chunk c;
            while ((c = queue.take()) != null) {
                PrintStream to = c.stream() == org.corral.api.StreamKind.STDOUT ? out : err;
                to.write(c.bytes());
                to.flush();
            }
        } catch (InterruptedException interrupted) {
            future.cancel(true);
            err.println();
            err.println("corral: interrupted: " + program.get(0) + " and its descendants were killed");
            return null;
        }
        ProcessResult result;
        try {
            result = future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw Commands.error("corral: " + cause.getMessage());
        } catch (CancellationException e) {
            throw Commands.error("corral: the run was cancelled");
        }
        if (!quiet) {
            err.println(status(result));
        }
        return null;
    }

    /** The status line printed after the output. */
    static String status(ProcessResult r) {
        StringBuilder sb = new StringBuilder("corral: ");
        sb.append(r.signal().map(s -> "killed by " + s).orElse("exit " + r.exitCode()));
        sb.append(" (pid ").append(r.pid()).append(", ").append(Format.duration(r.duration()));
        if (r.timedOut()) {
            sb.append(", timed out");
        }
        if (r.oomKilled()) {
            sb.append(", OOM-killed");
        }
        sb.append(')');
        return sb.toString();
    }

    /**
     * The spec these options stand for. Values are read as in a daemon configuration: durations, signals
     * and sizes by the API's parsers ({@link Values}, {@link Signal#parse}), limits as the
     * {@code cgroup.<file>} keys ({@link CgroupLimits.Builder#set}).
     */
    CommandSpec spec(List<String> program, ChunkQueue queue) throws CommandException {
        try {
            CommandSpec.Builder b = CommandSpec.builder(program).collectOutput(false).consumer(queue)
                    .stdout(stdoutMode()).stderr(stderrMode()).clearEnv(Boolean.TRUE.equals(clearEnv));
            if (timeout != null) {
                b.timeout(duration("--timeout", timeout));
            }
            if (directory != null) {
                b.directory(Paths.get(directory));
            }
            if (env != null) {
                for (String e : env) {
                    String[] kv = option("--env", () -> Commands.keyValue(e, "an environment variable"));
                    b.env(kv[0], kv[1]);
                }
            }
            if (envFile != null) {
                b.envFile(option("--env-file", () -> Paths.get(envFile)));
            }
            b.user(user).group(group);
            if (stdin != null) {
                b.stdin(Stdin.text(stdin));
            }
            if (killSignal != null) {
                b.killSignal(option("--kill-signal", () -> Signal.parse(killSignal)));
            }
            if (killGrace != null) {
                b.grace(duration("--kill-grace", killGrace));
            }
            b.cgroupBase(cgroupBase);
            CgroupLimits.Builder limits = CgroupLimits.builder();
            String[][] given = {{"--memory-max", "memory.max", memoryMax}, {"--cpu-max", "cpu.max", cpuMax},
                {"--pids-max", "pids.max", pidsMax}};
            boolean anyLimit = false;
            for (String[] g : given) {
                if (g[2] != null) {
                    option(g[0], () -> limits.set(g[1], g[2]));
                    anyLimit = true;
                }
            }
            if (anyLimit) {
                b.limits(limits.build());
            }
            hardening(b);
            return b.build();
        } catch (IllegalArgumentException | ProcessException e) {
            // InvalidCommandException and the API's own checks name the value
            throw Commands.error("corral: " + e.getMessage());
        }
    }

    /** --stdout, read as the stdout key of a .cfg file ({@link StdoutMode#parse}): capture or discard. */
    private StdoutMode stdoutMode() throws CommandException {
        try {
            return stdout == null ? StdoutMode.CAPTURE : StdoutMode.parse(stdout);
        } catch (IllegalArgumentException e) {
            throw Commands.error("corral: --stdout '" + Format.text(stdout) + "': expected capture (shown here)"
                    + " or discard (/dev/null)");
        }
    }

    /**
     * --stderr, read as the stderr key of a .cfg file ({@link StderrMode#parse}: capture, stdout or discard);
     * --merge is --stderr stdout.
     */
    private StderrMode stderrMode() throws CommandException {
        if (merge && stderr != null && !stderr.trim().equalsIgnoreCase(StderrMode.MERGE.word())) {
            throw Commands.error("corral: --merge is --stderr stdout: it cannot be combined with --stderr "
                    + Format.text(stderr));
        }
        try {
            return stderr == null ? (merge ? StderrMode.MERGE : StderrMode.SEPARATE) : StderrMode.parse(stderr);
        } catch (IllegalArgumentException e) {
            throw Commands.error("corral: --stderr '" + Format.text(stderr) + "': expected capture (shown here),"
                    + " stdout (merged into stdout) or discard (/dev/null)");
        }
    }

    /** The hardening options, read as the .cfg keys they stand for are read. */
    private void hardening(CommandSpec.Builder b) throws CommandException {
        b.noNewPrivileges(Boolean.TRUE.equals(noNewPrivileges));
        if (capabilities != null) {
            b.capabilities(option("--capabilities", () -> Capability.parseSet(capabilities)));
        }
        for (String r : rlimits == null ? List.<String>of() : rlimits) {
            String[] kv = option("--rlimit", () -> Commands.keyValue(r, "a resource limit"));
            Rlimit resource = option("--rlimit", () -> Rlimit.parse(kv[0]));
            b.rlimit(resource, option("--rlimit", () -> ResourceLimit.parse(resource, kv[1])));
        }
        option("--nice", () -> b.nice(nice));
        option("--oom-score-adj", () -> b.oomScoreAdj(oomScoreAdj));
        option("--umask", () -> b.umask(umask));
    }

    /** A duration option; the message names the option and the text (Values' messages do not repeat it). */
    private static Duration duration(String option, String text) throws CommandException {
        try {
            return Values.duration(text);
        } catch (IllegalArgumentException e) {
            throw Commands.error("corral: " + option + " '" + text + "': " + e.getMessage());
        }
    }

    private interface Parse<T> {
        T get();
    }

    private static <T> T option(String option, Parse<T> parse) throws CommandException {
        try {
            return parse.get();
        } catch (IllegalArgumentException | ProcessException e) {
            throw Commands.error("corral: " + option + ": " + e.getMessage());
        }
    }
}
