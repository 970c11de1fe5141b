/**
 * Daemon supervision on the {@link org.corral.supervisor.internal.engine.Engine}: no OSGi needed.
 *
 * <h2>Pieces</h2>
 * <ul>
 * <li>{@link org.corral.supervisor.internal.daemon.SupervisedDaemon}: one daemon's identity, counters and
 *     state machine (the {@link org.corral.api.Daemon} handed out), independent of its owner so that a
 *     configuration component can be replaced (bundle update) without touching the program.</li>
 * <li>{@link org.corral.supervisor.internal.daemon.RestartPlanner}: pure restart policy, back-off and
 *     intensity on a caller-supplied clock.</li>
 * <li>{@link org.corral.supervisor.internal.daemon.LineSplitter} and
 *     {@link org.corral.supervisor.internal.daemon.RecentLines}: output to lines (max length, invalid UTF-8
 *     replaced, last partial line flushed at exit) and the ring of recent lines for the console.</li>
 * <li>{@link org.corral.supervisor.internal.daemon.DaemonSupervisor}: creates and owns daemons for one owner
 *     (a consumer bundle's ProcessService, a configuration); daemon names are unique per engine
 *     ({@link org.corral.supervisor.internal.daemon.DaemonRegistry}); one JMX MBean per daemon
 *     ({@code org.corral:type=Daemon,name=<name>}).</li>
 * </ul>
 *
 * <h2>Life cycle</h2>
 * <pre>
 * STOPPED/FAILED --start()--&gt; STARTING --(depends.on READY)--&gt; launch --spawned--&gt; RUNNING --check--&gt; READY
 * RUNNING/READY --program ended--&gt; RestartPlanner: BACKING_OFF (delay) --&gt; STARTING | STOPPED | FAILED
 * any live state --stop()--&gt; STOPPING --program and descendants gone--&gt; STOPPED
 * </pre>
 * <ul>
 * <li><b>Restart policy</b>: {@code permanent} restarts every end, {@code transient} only a non-zero exit or a
 *     signal, {@code temporary} none. A failed start (exec failed, helper lost, readiness not passed within
 *     its timeout) is an abnormal end; under {@code temporary} it makes the daemon FAILED.</li>
 * <li><b>Back-off</b>: {@code restart.delay}, times {@code restart.backoff} per consecutive restart, capped
 *     at {@code restart.delay.max}; a run that lasted at least {@code restart.delay.max} resets it. A zero
 *     delay relaunches at once.</li>
 * <li><b>Intensity</b>: a restart due when {@code intensity} restarts already happened within
 *     {@code intensity.period} makes the daemon FAILED; it stays down until started by hand or
 *     reconfigured.</li>
 * <li><b>Readiness</b>: immediately, a log line matching a regex (matched as lines are split), a TCP port
 *     on 127.0.0.1 (non-blocking connect attempts on the engine's timers, 10 ms doubling to 500 ms), or a
 *     file (checked on the engine's timers, 10 ms doubling to 250 ms).</li>
 * <li><b>Dependencies</b> ({@code depends.on}): every start and restart waits until the named daemons are
 *     READY. A running daemon is <em>not</em> stopped when a dependency leaves READY (a restarting broker
 *     must not cascade into restarting every client that reconnects by itself); if it ends meanwhile, its
 *     restart waits for the dependency again.</li>
 * <li><b>Reconfiguration</b>: a change of the program (argv, environment, directory, user, groups, cgroup,
 *     window) restarts it; logging, restart policy, back-off, intensity, kill signal and grace, readiness
 *     and dependencies apply without a restart. A FAILED or STOPPED daemon is started by a new
 *     configuration.</li>
 * <li><b>Output</b>: each line goes to the SLF4J logger {@code org.corral.daemon.<name>} at the stream's
 *     level (or not at all: {@code off}), with the prefix ({@code [<name>] } by default), and into the ring of
 *     recent lines.</li>
 * <li><b>Events</b> (listeners; Event Admin in OSGi): STARTED, READY, EXITED (exit code or signal),
 *     RESTARTING, FAILED (reason), STOPPED, OOM (when the cgroup's {@code memory.events oom_kill} rose; seen
 *     when the program ends).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * None of its own: state changes run under the daemon's lock on the thread that reports them; listener
 * calls, output logging and relaunches run on the engine's delivery thread; timers (back-off, readiness) on
 * its IO thread.
 */
package org.corral.supervisor.internal.daemon;
