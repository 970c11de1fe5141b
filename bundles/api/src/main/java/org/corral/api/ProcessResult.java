package org.corral.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The outcome of a completed run: how it ended, what it wrote, how long it took and, when a cgroup was
 * used, its final statistics. Every byte the program wrote (up to the cap) is here: the exit is only
 * reported after the output was drained.
 */
public final class ProcessResult {

    private static final byte[] NONE = new byte[0];

    private final long pid;
    private final int exitCode;
    private final Signal signal;
    private final byte[] stdout;
    private final byte[] stderr;
    private final long stdoutBytes;
    private final long stderrBytes;
    private final boolean truncated;
    private final Duration duration;
    private final boolean timedOut;
    private final boolean killed;
    private final CgroupStats cgroupStats;

    private ProcessResult(Builder b) {
        this.pid = b.pid;
        this.exitCode = b.exitCode;
        this.signal = b.signal;
        this.stdout = b.stdout == null ? NONE : b.stdout;
        this.stderr = b.stderr == null ? NONE : b.stderr;
        this.stdoutBytes = b.stdoutBytes;
        this.stderrBytes = b.stderrBytes;
        this.truncated = b.truncated;
        this.duration = b.duration == null ? Duration.ZERO : b.duration;
        this.timedOut = b.timedOut;
        this.killed = b.killed;
        this.cgroupStats = b.cgroupStats;
    }

    /** For implementations. */
    public static Builder builder() {
        return new Builder();
    }

    /** The program's pid while it ran. */
    public long pid() { return pid; }

    /** The exit code, or -1 when the program was killed by a signal. */
    public int exitCode() { return exitCode; }

    /** The signal that terminated the program, if one did. */
    public Optional<Signal> signal() { return Optional.ofNullable(signal); }

    /** The shell's view: the exit code, or 128 + signal number. */
    public int exitStatus() { return signal == null ? exitCode : 128 + signal.number(); }

    /** Exited with code 0. */
    public boolean success() { return signal == null && exitCode == 0; }

    /** Collected stdout (a copy; empty when not collected). With {@link StderrMode#MERGE} it holds both. */
    public byte[] stdout() { return stdout.clone(); }

    /** Collected stderr (a copy; empty when merged, discarded or not collected). */
    public byte[] stderr() { return stderr.clone(); }

    /** Collected stdout decoded as UTF-8 (malformed input replaced). */
    public String stdoutText() { return new String(stdout, StandardCharsets.UTF_8); }

    /** Collected stderr decoded as UTF-8 (malformed input replaced). */
    public String stderrText() { return new String(stderr, StandardCharsets.UTF_8); }

    /** Every stdout byte the program wrote, collected or not. */
    public long stdoutBytes() { return stdoutBytes; }

    /** Every stderr byte the program wrote, collected or not. */
    public long stderrBytes() { return stderrBytes; }

    /** Whether collected output was cut at {@link CommandSpec#maxOutputBytes()}. */
    public boolean truncated() { return truncated; }

    /** From start request to the report of the exit. */
    public Duration duration() { return duration; }

    /** Whether the timeout expired and the program was killed for it. */
    public boolean timedOut() { return timedOut; }

    /** Whether Corral sent the kill signal (timeout, cancel, interrupt, owner gone). */
    public boolean killed() { return killed; }

    /** Final cgroup statistics, when the run used a cgroup. */
    public Optional<CgroupStats> cgroupStats() { return Optional.ofNullable(cgroupStats); }

    /** Whether the kernel's OOM killer killed a process of this run (needs a cgroup with a memory controller). */
    public boolean oomKilled() { return cgroupStats != null && cgroupStats.oomKills() > 0; }

    @Override
    public String toString() {
        return "ProcessResult[pid=" + pid + ", " + (signal != null ? "signal=" + signal : "exit=" + exitCode)
                + ", stdout=" + stdoutBytes + "B, stderr=" + stderrBytes + "B, " + duration.toMillis() + " ms"
                + (timedOut ? ", timed out" : "") + (truncated ? ", truncated" : "") + "]";
    }

    /** Builds results (for implementations). */
    public static final class Builder {
        private long pid;
        private int exitCode = -1;
        private Signal signal;
        private byte[] stdout;
        private byte[] stderr;
        private long stdoutBytes;
        private long stderrBytes;
        private boolean truncated;
        private Duration duration;
        private boolean timedOut;
        private boolean killed;
        private CgroupStats cgroupStats;

        private Builder() {
        }

        public Builder pid(long pid) { this.pid = pid; return this; }
        public Builder exitCode(int code) { this.exitCode = code; this.signal = null; return this; }
        public Builder signal(Signal signal) { this.signal = signal; this.exitCode = -1; return this; }
        /** Takes ownership of the array. */
        public Builder stdout(byte[] bytes) { this.stdout = bytes; return this; }
        /** Takes ownership of the array. */
        public Builder stderr(byte[] bytes) { this.stderr = bytes; return this; }
        public Builder stdoutBytes(long n) { this.stdoutBytes = n; return this; }
        public Builder stderrBytes(long n) { this.stderrBytes = n; return this; }
        public Builder truncated(boolean t) { this.truncated = t; return this; }
        public Builder duration(Duration d) { this.duration = d; return this; }
        public Builder timedOut(boolean t) { this.timedOut = t; return this; }
        public Builder killed(boolean k) { this.killed = k; return this; }
        public Builder cgroupStats(CgroupStats s) { this.cgroupStats = s; return this; }
        public ProcessResult build() { return new ProcessResult(this); }
    }
}
