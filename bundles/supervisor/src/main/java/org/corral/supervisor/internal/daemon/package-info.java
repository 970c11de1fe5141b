/**
 * Daemon supervision on the {@link org.corral.supervisor.internal.engine.Engine}: no OSGi needed.
 *
 * <h2>Pieces</h2>
 * <ul>
 * <li>{@link org.corral.supervisor.internal.daemon.DaemonMachine}: the life cycle of one daemon as a pure state
 *     machine, {@code (phase, event, now) -> (phase, actions)}, with every state named (waiting for dependencies,
 *     launching, attaching, aborting, restarting, closing, closed ...); the API's
 *     {@link org.corral.api.DaemonState} is a projection of its phases. Tested phase by event with fake time.</li>
 * <li>{@link org.corral.supervisor.internal.daemon.SupervisedDaemon}: the imperative shell around it and the
 *     {@link org.corral.api.Daemon} handed out: the lock, the engine and the running program, the timers, the
 *     listeners and the counters; it turns what happens into events and carries out the machine's actions.
 *     Independent of its owner so that a configuration component can be replaced (bundle update) without
 *     touching the program.</li>
 * <li>{@link org.corral.supervisor.internal.daemon.RestartPlanner}: pure restart policy, back-off and
 *     intensity on a caller-supplied clock: the machine's restart policy.</li>
 * <li>{@link org.corral.supervisor.internal.daemon.ReadinessCheck}: one small class per kind of check
 *     ({@link org.corral.supervisor.internal.daemon.LogLineCheck},
 *     {@link org.corral.supervisor.internal.daemon.TcpPortCheck},
 *     {@link org.corral.supervisor.internal.daemon.FileCheck}, immediate).</li>
 * <li>{@link org.corral.supervisor.internal.daemon.DaemonOutput}: a daemon's output, cut into lines by
 *     {@link org.corral.supervisor.internal.daemon.LineSplitter} (max length, last partial line flushed at
 *     exit), made safe to show once ({@link org.corral.api.values.Printable}: control characters visible,
 *     binary lines summarised), logged at the stream's level and kept in the ring of
 *     {@link org.corral.supervisor.internal.daemon.RecentLines} for the console.</li>
 * <li>{@link org.corral.supervisor.internal.daemon.ProgramIdentity}: which {@code CommandSpec} fields make the
 *     program; equal identities need no restart, and its fingerprint tells whether a handed-over program still
 *     matches its configuration.</li>
 * <li>{@link org.corral.supervisor.internal.daemon.DaemonSupervisor}: creates and owns daemons for one owner
 *     (a consumer bundle's ProcessService, a configuration); daemon names are unique per engine
 *     ({@link org.corral.supervisor.internal.daemon.DaemonRegistry}); one JMX MBean per daemon
 *     ({@code org.corral:type=Daemon,name=<name>}).</li>
 * <li>{@link org.corral.supervisor.internal.daemon.DaemonHandOver},
 *     {@link org.corral.supervisor.internal.daemon.HandOverFile} and
 *     {@link org.corral.supervisor.internal.daemon.HandOverStore}: daemons survive updates of the supervisor
 *     bundle.</li>
 * </ul>
 *
 * <h2>Life cycle</h2>
 * <pre>
 * STOPPED/FAILED --start()--&gt; STARTING --(depends.on READY)--&gt; launch --spawned--&gt; RUNNING --check--&gt; READY
 * RUNNING/READY --program ended--&gt; RestartPlanner: BACKING_OFF (delay) --&gt; STARTING | STOPPED | FAILED
 * any live state --stop()--&gt; STOPPING --program and descendants gone--&gt; STOPPED
 * </pre>
 * <ul>
 * <li><b>Restart policy</b>: {@code permanent} restarts every end, {@code transient} only a non-zero exit, a
 *     signal or a lost helper, {@code temporary} none. A failed start (exec failed, readiness not passed within
 *     its timeout) is an abnormal end; under {@code temporary} it makes the daemon FAILED. Each end is recorded
 *     as the last exit with its {@link org.corral.api.DaemonExit.Reason reason}.</li>
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
 * <li><b>Output</b>: each line, with its control characters made visible ({@code ESC} as {@code \x1b}) or
 *     summarised when it is binary, goes to the SLF4J logger {@code org.corral.daemon.<name>} at the stream's
 *     level (or not at all: {@code off}), with the prefix ({@code [<name>] } by default), and into the ring of
 *     recent lines.</li>
 * <li><b>Program</b>: launched (or re-attached) without the command's timeout, output collection or consumer:
 *     a daemon never accumulates output in memory and is never killed for running long.</li>
 * <li><b>Events</b> (listeners; Event Admin in OSGi): STARTED, READY, EXITED (exit code or signal, reason),
 *     RESTARTING, FAILED (reason), STOPPED, OOM (when the cgroup's {@code memory.events oom_kill} rose; seen
 *     when the program ends).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * None of its own: state changes run under the daemon's lock on the thread that reports them; output
 * (splitting, recent lines, logging, the readiness log check) runs in the program's lane of the engine's
 * delivery threads, listener calls in the daemon's lane; program ends and relaunches on the engine's control
 * thread; timers (back-off, readiness) on its IO thread. See {@code docs/architecture.md}, "Threads".
 */
package org.corral.supervisor.internal.daemon;
