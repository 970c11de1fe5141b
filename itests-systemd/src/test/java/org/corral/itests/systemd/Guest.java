package org.corral.itests.systemd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The guest seen from the test: commands, processes (by pid and start time), cgroups. */
final class Guest {

    static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    private Guest() {
    }

    /** A command's exit status and its output (stdout and stderr merged). */
    record Result(int status, String output) {
    }

    /** Runs a command; fails when it does not end within {@code bound}. */
    static Result run(Duration bound, String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            byte[][] out = new byte[1][];
            Thread reader = new Thread(() -> {
                try {
                    out[0] = p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    out[0] = ("<cannot read the output: " + e + ">").getBytes(StandardCharsets.UTF_8);
                }
            }, "guest-command-output");
            reader.start();
            if (!p.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("`" + String.join(" ", argv) + "` did not end within " + bound.toSeconds() + " s");
            }
            reader.join(10_000);
            return new Result(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", argv), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs a command that must succeed; returns its output. */
    static String ok(Duration bound, String... argv) {
        Result r = run(bound, argv);
        if (r.status() != 0) {
            throw new AssertionError("`" + String.join(" ", argv) + "` failed with status " + r.status() + ":\n" + r.output());
        }
        return r.output();
    }

    /** Waits until {@code condition} holds; fails after {@code bound} with {@code what} and the diagnosis. */
    static long await(String what, Duration bound, BooleanSupplier condition, Supplier<String> diagnosis) {
        long t0 = System.nanoTime();
        long deadline = t0 + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + bound.toSeconds() + " s waiting for " + what + "\n"
                        + diagnosis.get());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();        // a process or cgroup that just went away
        }
    }

    /** A {@code user.} extended attribute of a file, e.g. systemd's {@code user.delegate} mark on a cgroup. */
    static Optional<String> xattr(Path file, String name) {
        try {
            var view = Files.getFileAttributeView(file, java.nio.file.attribute.UserDefinedFileAttributeView.class);
            if (view == null || !view.list().contains(name)) {
                return Optional.empty();
            }
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(view.size(name));
            view.read(name, buf);
            return Optional.of(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of("(unreadable: " + e + ")");
        }
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    // ------------------------------------------------------------------ processes

    /** A process identified by pid and start time (clock ticks since boot), so a reused pid is another process. */
    record Proc(long pid, long startTicks, String comm) {
        boolean alive() {
            return Proc.of(pid).map(p -> p.startTicks == startTicks).orElse(false);
        }

        static Optional<Proc> of(long pid) {
            Optional<String> stat = read(Path.of("/proc/" + pid + "/stat"));
            if (stat.isEmpty()) {
                return Optional.empty();
            }
            String s = stat.get();
            int open = s.indexOf('(');
            int close = s.lastIndexOf(')');
            if (open < 0 || close < 0) {
                return Optional.empty();
            }
            String[] rest = s.substring(close + 2).trim().split(" ");
            // rest[0] is field 3 (state): field 22 (starttime) is rest[19]; a zombie is as good as gone
            if (rest.length < 20 || rest[0].equals("Z")) {
                return Optional.empty();
            }
            return Optional.of(new Proc(pid, Long.parseLong(rest[19]), s.substring(open + 1, close)));
        }

        @Override
        public String toString() {
            return pid + "(" + comm + ")";
        }
    }

    /** The session id of a process, empty when it is gone. */
    static Optional<Long> sessionOf(long pid) {
        return read(Path.of("/proc/" + pid + "/stat")).flatMap(stat -> {
            String[] rest = stat.substring(stat.lastIndexOf(')') + 1).trim().split(" ");
            return rest.length > 3 ? Optional.of(Long.parseLong(rest[3])) : Optional.empty();
        });
    }

    static List<Long> allPids() {
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong).collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Live processes whose executable lies under {@code dir} (the test programs fork without exec). */
    static List<Proc> runningFrom(Path dir) {
        List<Proc> out = new ArrayList<>();
        for (long pid : allPids()) {
            try {
                Path exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe"));
                if (exe.startsWith(dir)) {
                    Proc.of(pid).ifPresent(out::add);
                }
            } catch (IOException | UnsupportedOperationException e) {
                // a kernel thread, or gone
            }
        }
        return out;
    }

    static List<Proc> alive(Set<Proc> procs) {
        return procs.stream().filter(Proc::alive).collect(Collectors.toList());
    }

    static String describe(List<Proc> procs) {
        StringBuilder sb = new StringBuilder();
        for (Proc p : procs) {
            sb.append("  ").append(p).append(" cgroup ").append(cgroupOf(p.pid()).orElse("?")).append(" cmdline ")
                    .append(read(Path.of("/proc/" + p.pid() + "/cmdline")).orElse("").replace('\0', ' ').trim())
                    .append('\n');
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ cgroups

    /** The cgroup v2 path of a process ("/system.slice/x.service/..."), empty when it is gone. */
    static Optional<String> cgroupOf(long pid) {
        return read(Path.of("/proc/" + pid + "/cgroup")).flatMap(text -> text.lines()
                .filter(l -> l.startsWith("0::")).map(l -> l.substring(3).trim()).findFirst());
    }

    static Path dir(String cgroup) {
        return CGROUP_ROOT.resolve(cgroup.startsWith("/") ? cgroup.substring(1) : cgroup);
    }

    /** True when {@code cgroup} is {@code ancestor} or lies below it. */
    static boolean within(String cgroup, String ancestor) {
        return cgroup.equals(ancestor) || cgroup.startsWith(ancestor.endsWith("/") ? ancestor : ancestor + "/");
    }

    /** Every live process in a cgroup and the cgroups below it. */
    static Set<Proc> procsInTree(String cgroup) {
        Set<Proc> out = new LinkedHashSet<>();
        Path top = dir(cgroup);
        if (!Files.isDirectory(top)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(top)) {
            for (Path d : s.filter(Files::isDirectory).collect(Collectors.toList())) {
                read(d.resolve("cgroup.procs")).ifPresent(text -> text.lines().filter(l -> !l.isBlank())
                        .forEach(l -> Proc.of(Long.parseLong(l.trim())).ifPresent(out::add)));
            }
        } catch (IOException | UncheckedIOException e) {
            // a cgroup removed while walking: the rest still counts
        }
        return out;
    }

    /** The cgroup tree below {@code cgroup}, one line per cgroup with its processes (for failure messages). */
    static String tree(String cgroup) {
        StringBuilder sb = new StringBuilder();
        Path top = dir(cgroup);
        if (!Files.isDirectory(top)) {
            return "  (" + cgroup + " does not exist)\n";
        }
        try (Stream<Path> s = Files.walk(top)) {
            for (Path d : s.filter(Files::isDirectory).sorted().collect(Collectors.toList())) {
                String procs = read(d.resolve("cgroup.procs")).orElse("").trim().replace('\n', ' ');
                sb.append("  /").append(CGROUP_ROOT.relativize(d)).append("  [").append(procs).append("]  memory.max=")
                        .append(read(d.resolve("memory.max")).orElse("-").trim()).append('\n');
            }
        } catch (IOException | UncheckedIOException e) {
            sb.append("  (walk failed: ").append(e).append(")\n");
        }
        return sb.toString();
    }
}
