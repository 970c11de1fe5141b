package org.corral.emulated.probe;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.Daemon;
import org.corral.api.DaemonExit;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ProcessResult;
import org.corral.api.ProcessService;
import org.corral.api.RestartPolicy;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A consumer bundle that uses Corral's {@link ProcessService} the way an application bundle would, on
 * whatever JVM the framework runs on, and hands what it found to the launcher's report service (a JDK
 * {@link Consumer}, so no class is shared but {@code java.*}).
 *
 * <p>Checks: the service appears; it uses the native helper of the expected architecture (the
 * {@code corral.probe.expect} framework property) and that file is an ELF executable for that machine;
 * {@code uname -m} runs and its parent is that helper; a short-lived daemon runs to its end with its
 * output and exit code reported; a long-running daemon stops on request and its program is gone; one more
 * daemon is left running for the launcher to check that stopping the framework ends it.
 */
public final class ProbeActivator implements BundleActivator {

    /** How long to wait for ProcessService (framework property {@code corral.probe.serviceWait}, seconds). */
    private static final Duration DEFAULT_SERVICE_WAIT = Duration.ofSeconds(120);
    private static final Duration STATE_WAIT = Duration.ofSeconds(60);

    private final List<String> lines = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final List<Long> leftRunning = new ArrayList<>();
    private Thread thread;

    @Override
    public void start(BundleContext context) {
        thread = new Thread(() -> probe(context), "corral-probe");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void stop(BundleContext context) throws InterruptedException {
        thread.interrupt();
        thread.join(10_000);
    }

    private void probe(BundleContext context) {
        ServiceTracker<ProcessService, ProcessService> tracker = new ServiceTracker<>(context, ProcessService.class, null);
        tracker.open();
        try {
            String waitProp = context.getProperty("corral.probe.serviceWait");
            Duration wait = waitProp == null ? DEFAULT_SERVICE_WAIT : Duration.ofSeconds(Long.parseLong(waitProp));
            long t0 = System.nanoTime();
            ProcessService ps = tracker.waitForService(wait.toMillis());
            if (ps == null) {
                failures.add("no ProcessService within " + wait.toSeconds() + " s");
            } else {
                info("ProcessService available after %.1f s", (System.nanoTime() - t0) / 1e9);
                checks(ps, context.getProperty("corral.probe.expect"));
            }
        } catch (InterruptedException e) {
            failures.add("interrupted (framework stopping?)");
        } catch (RuntimeException | Error e) {
            failures.add("unexpected " + e);
            e.printStackTrace();
        } finally {
            report(context);
            // keep the service (and the daemon left running) until the framework stops
        }
    }

    private void checks(ProcessService ps, String expectArch) throws InterruptedException {
        Containment containment = ps.containment();
        info("containment: mode=%s architecture=%s helper=%s cgroup=%s", containment.mode(),
                containment.architecture(), containment.helperPath().orElse("-"),
                containment.cgroupMount().orElse("-"));
        for (String limitation : containment.limitations()) {
            info("limitation: %s", limitation);
        }
        if (containment.mode() == Containment.Mode.JAVA_FALLBACK) {
            failures.add("ProcessService is in the pure-Java fallback, not using the " + expectArch + " helper");
        }
        if (!expectArch.equals(containment.architecture())) {
            failures.add("helper architecture is '" + containment.architecture() + "', expected '" + expectArch + "'");
        }
        Optional<String> helper = containment.helperPath();
        if (helper.isEmpty()) {
            failures.add("containment names no helper executable");
        } else {
            checkElf(Path.of(helper.get()), expectArch);
        }

        long t = System.nanoTime();
        ProcessResult uname = ps.run("uname", "-m");
        // uname is the host's own program (a native binary started by the helper), so it names the host's
        // machine even when the JVM and the helper are emulated.
        info("run(uname -m) -> exit %d, stdout '%s', in %.0f ms", uname.exitStatus(), uname.stdoutText().trim(),
                (System.nanoTime() - t) / 1e6);
        if (!uname.success() || uname.stdoutText().isBlank()) {
            failures.add("run(uname -m) failed: " + uname);
        }

        // The program's parent is the helper; its command line (read while it runs) names the helper file
        // (under qemu-user: "qemu-<arch>-static <helper> ...").
        ProcessResult parent = ps.run("sh", "-c", "echo $PPID; tr '\\0' ' ' < /proc/$PPID/cmdline");
        String[] parentLines = parent.stdoutText().split("\n", 2);
        if (!parent.success() || parentLines.length < 2) {
            failures.add("run(sh -c 'cat /proc/$PPID/cmdline') failed: " + parent + " " + parent.stderrText());
        } else {
            String cmdline = parentLines[1].trim();
            info("the program's parent (pid %s): %s", parentLines[0].trim(), cmdline);
            if (helper.isPresent() && !cmdline.contains(helper.get())) {
                failures.add("the program's parent (pid " + parentLines[0].trim() + ", '" + cmdline
                        + "') is not the helper " + helper.get());
            }
        }

        shortLivedDaemon(ps);
        stoppedDaemon(ps);
        daemonLeftRunning(ps);
    }

    private void shortLivedDaemon(ProcessService ps) throws InterruptedException {
        long t = System.nanoTime();
        Daemon d = ps.start(DaemonSpec.builder("arm-short",
                CommandSpec.of("sh", "-c", "echo short-lived daemon on $(uname -m); exit 3"))
                .restart(RestartPolicy.TEMPORARY).build());
        DaemonState end = await(d, EnumSet.of(DaemonState.STOPPED, DaemonState.FAILED));
        Optional<DaemonExit> exit = d.lastExit();
        List<String> recent = d.recentLines(10);
        info("daemon arm-short: %s, last exit %s, output %s, in %.0f ms", end, exit.map(Object::toString).orElse("-"),
                recent, (System.nanoTime() - t) / 1e6);
        if (end != DaemonState.STOPPED) {
            failures.add("daemon arm-short ended " + end + ", expected STOPPED (temporary policy)");
        }
        if (exit.isEmpty() || exit.get().exitCode() != 3) {
            failures.add("daemon arm-short: last exit " + exit + ", expected exit code 3");
        }
        if (recent.stream().noneMatch(l -> l.contains("short-lived daemon on"))) {
            failures.add("daemon arm-short: its output line is missing from recentLines: " + recent);
        }
    }

    private void stoppedDaemon(ProcessService ps) throws InterruptedException {
        Daemon d = ps.start(DaemonSpec.builder("arm-stop", CommandSpec.of("sleep", "600")).build());
        DaemonState state = await(d, EnumSet.of(DaemonState.READY, DaemonState.FAILED, DaemonState.STOPPED));
        long pid = d.pid().orElse(-1);
        info("daemon arm-stop: %s, pid %d, helper pid %d", state, pid, d.helperPid().orElse(-1));
        if (state != DaemonState.READY || pid <= 0) {
            failures.add("daemon arm-stop is " + state + " with pid " + pid + ", expected READY with a pid");
            return;
        }
        long t = System.nanoTime();
        d.stop();
        info("daemon arm-stop: stop() returned after %.0f ms, state %s", (System.nanoTime() - t) / 1e6, d.state());
        if (d.state() != DaemonState.STOPPED) {
            failures.add("daemon arm-stop is " + d.state() + " after stop(), expected STOPPED");
        }
        if (alive(pid)) {
            failures.add("daemon arm-stop: program pid " + pid + " still runs after stop() returned");
        }
    }

    private void daemonLeftRunning(ProcessService ps) throws InterruptedException {
        Daemon d = ps.start(DaemonSpec.builder("arm-left", CommandSpec.of("sleep", "600")).build());
        DaemonState state = await(d, EnumSet.of(DaemonState.READY, DaemonState.FAILED, DaemonState.STOPPED));
        if (state != DaemonState.READY || d.pid().isEmpty()) {
            failures.add("daemon arm-left is " + state + ", expected READY");
            return;
        }
        info("daemon arm-left: %s, pid %d, helper pid %d (left running for the framework stop)", state,
                d.pid().getAsLong(), d.helperPid().orElse(-1));
        leftRunning.add(d.pid().getAsLong());
        d.helperPid().ifPresent(leftRunning::add);
    }

    private DaemonState await(Daemon d, EnumSet<DaemonState> states) throws InterruptedException {
        try {
            return d.await(states, STATE_WAIT);
        } catch (TimeoutException e) {
            failures.add("daemon " + d.name() + " did not reach " + states + " within " + STATE_WAIT.toSeconds()
                    + " s (state " + d.state() + ")");
            return d.state();
        }
    }

    /** ELF header: e_ident[EI_CLASS] at 4 (1 = 32-bit, 2 = 64-bit), e_machine at 18 (little endian). */
    private void checkElf(Path file, String expectArch) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] h = new byte[20];
            f.readFully(h);
            int elfClass = h[4];
            int machine = (h[18] & 0xff) | (h[19] & 0xff) << 8;
            String found = machine == 0xB7 && elfClass == 2 ? "aarch64"
                    : machine == 0x28 && elfClass == 1 ? "armhf"
                    : machine == 0x3E && elfClass == 2 ? "x86_64"
                    : "machine 0x" + Integer.toHexString(machine) + " class " + elfClass;
            info("helper file %s: ELF %s, %d bytes, executable=%s", file, found, Files.size(file),
                    Files.isExecutable(file));
            if (!found.equals(expectArch)) {
                failures.add("helper file " + file + " is ELF " + found + ", expected " + expectArch);
            }
        } catch (IOException e) {
            failures.add("cannot read the helper file " + file + ": " + e);
        }
    }

    private static boolean alive(long pid) throws InterruptedException {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty()) {
            return false;
        }
        try {
            h.get().onExit().get(5, TimeUnit.SECONDS);
            return false;
        } catch (TimeoutException e) {
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            return h.get().isAlive();
        }
    }

    private void info(String format, Object... args) {
        lines.add(String.format(format, args));
    }

    @SuppressWarnings({"rawtypes", "unchecked"}) // the launcher registers a Consumer<Map<String, Object>>
    private void report(BundleContext context) {
        try {
            Collection<ServiceReference<Consumer>> refs = context.getServiceReferences(Consumer.class,
                    "(corral.probe.report=true)");
            if (refs.isEmpty()) {
                System.err.println("probe: no report service; findings: " + lines + " failures: " + failures);
                return;
            }
            ServiceReference<Consumer> ref = refs.iterator().next();
            Consumer<Map<String, Object>> sink = context.getService(ref);
            Map<String, Object> findings = new HashMap<>();
            findings.put("lines", List.copyOf(lines));
            findings.put("failures", List.copyOf(failures));
            findings.put("leftRunning", List.copyOf(leftRunning));
            sink.accept(findings);
            context.ungetService(ref);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
