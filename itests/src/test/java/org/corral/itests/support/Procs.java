package org.corral.itests.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The process table, read from {@code /proc}. The test programs fork without exec, so every process of a
 * test program tree (setsid'd and double-forked members included) has its executable under the directory
 * the program was started from: {@link #runningFrom} finds survivors that no pid list knows about.
 */
public final class Procs {

    private Procs() {
    }

    /** The executable of a live process ({@code /proc/<pid>/exe}); empty for zombies and vanished pids. */
    public static Optional<Path> exe(long pid) {
        try {
            String target = Files.readSymbolicLink(Paths.get("/proc", Long.toString(pid), "exe")).toString();
            if (target.endsWith(" (deleted)")) {
                target = target.substring(0, target.length() - " (deleted)".length());
            }
            return Optional.of(Paths.get(target));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** Every live (non-zombie) process whose executable lies under {@code dir}. */
    public static List<ProcessHandle> runningFrom(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(p -> p.isAlive() && exe(p.pid()).map(e -> e.startsWith(abs)).orElse(false))
                    .collect(Collectors.toList());
        }
    }

    /** pids of live processes whose executable is exactly {@code program}. */
    public static List<ProcessHandle> running(Path program) {
        Path abs = program.toAbsolutePath().normalize();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(p -> p.isAlive() && exe(p.pid()).map(abs::equals).orElse(false))
                    .collect(Collectors.toList());
        }
    }

    /** The process's command line, arguments separated by spaces (for messages). */
    public static String cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Paths.get("/proc", Long.toString(pid), "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The session id (field 6 of /proc/pid/stat), or -1. */
    public static long sessionId(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** One line per process: pid, parent, session and command line. */
    public static String describe(Collection<ProcessHandle> processes) {
        if (processes.isEmpty()) {
            return "(none)";
        }
        return processes.stream()
                .map(p -> "pid " + p.pid() + " ppid " + p.parent().map(ProcessHandle::pid).orElse(-1L) + " sid "
                        + sessionId(p.pid()) + (p.isAlive() ? "" : " (gone)") + ": " + cmdline(p.pid()))
                .collect(Collectors.joining("\n  ", "  ", ""));
    }

    /** The live ones among {@code processes}. */
    public static List<ProcessHandle> alive(Collection<ProcessHandle> processes) {
        return processes.stream().filter(ProcessHandle::isAlive).collect(Collectors.toList());
    }

    /**
     * Waits (bounded) until every one of {@code processes} has exited; returns those still alive at the
     * bound (empty when all are gone). A {@link ProcessHandle} remembers the start time, so a reused pid
     * does not count as the old process.
     */
    public static List<ProcessHandle> awaitGone(Collection<ProcessHandle> processes, Duration bound) {
        CompletableFuture<?>[] exits = processes.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(exits).get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // reported through the return value
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for processes to exit", e);
        }
        return alive(processes);
    }

    /** SIGKILLs whatever of {@code processes} still runs (test cleanup only; never the product's job). */
    public static List<ProcessHandle> killSurvivors(Collection<ProcessHandle> processes) {
        List<ProcessHandle> killed = new ArrayList<>();
        for (ProcessHandle p : processes) {
            if (p.isAlive() && p.destroyForcibly()) {
                killed.add(p);
            }
        }
        return killed;
    }

    /** Handles of the given pids that are alive right now (a vanished pid is left out). */
    public static List<ProcessHandle> handles(Collection<Long> pids) {
        List<ProcessHandle> out = new ArrayList<>();
        for (long pid : pids) {
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(out::add);
        }
        return out;
    }
}
