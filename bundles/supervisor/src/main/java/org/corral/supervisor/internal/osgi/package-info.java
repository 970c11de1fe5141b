/**
 * The supervisor's DS components: the singleton {@link org.corral.supervisor.internal.osgi.CoreComponent}
 * (service {@link org.corral.supervisor.internal.Core}: the engine, the hand-over store, the default cgroup base
 * and the start-up sweep, with the bases used before remembered by
 * {@link org.corral.supervisor.internal.osgi.UsedCgroupBases}), the bundle-scoped
 * {@link org.corral.api.ProcessService} ({@link org.corral.supervisor.internal.osgi.ProcessServiceComponent}: one
 * instance per consumer bundle, whose programs and daemons end with it) and
 * {@link org.corral.api.SupervisorStatus} ({@link org.corral.supervisor.internal.osgi.SupervisorStatusComponent}:
 * containment, counts, the doctor). The daemons of {@code .cfg} files are in
 * {@code org.corral.supervisor.internal.config}. Internal (not exported).
 */
package org.corral.supervisor.internal.osgi;
