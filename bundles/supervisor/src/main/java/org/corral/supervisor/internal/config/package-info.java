/**
 * Daemons from Config Admin: each factory configuration of {@code org.corral.daemon} (in Karaf the file
 * {@code etc/org.corral.daemon-<name>.cfg}) is one
 * {@link org.corral.supervisor.internal.config.DaemonComponent}, which parses it
 * ({@link org.corral.supervisor.internal.config.DaemonConfigParser}: every key checked, every problem in one
 * ERROR line naming the file, key and value; unknown keys are WARN lines), runs the daemon and registers it
 * as an {@link org.corral.api.Daemon} service with {@code daemon.name}, {@code daemon.state},
 * {@code daemon.pid} (and {@code daemon.helper.pid}) kept current. The keys are described as metatype by
 * {@link org.corral.supervisor.internal.config.DaemonConfiguration}.
 *
 * <p>Example:
 * <pre>
 * command = /usr/sbin/mosquitto
 * args = -c /etc/mosquitto/mosquitto.conf
 * env.TZ = UTC
 * user = mosquitto
 * restart = permanent
 * restart.delay = 500ms
 * intensity = 5
 * intensity.period = 1m
 * cgroup.base = corral
 * cgroup.memory.max = 64M
 * cgroup.cpu.max = 50%
 * ready.port = 1883
 * log.stderr = warn
 * </pre>
 *
 * <p>Value forms: those of {@link org.corral.api.values.Values} (durations {@code 500ms}, {@code 2s},
 * {@code 1m30s}, a bare number other than 0 refused: its unit would be a guess; sizes {@code 4096},
 * {@code 64K}, {@code 256M}, {@code 1.5G}, binary), shared with the console and the API; lists (env.unset,
 * groups, depends.on) comma-separated or as arrays; {@code args} as an array (each element one argument) or
 * one string split like a shell splits words (quotes and backslashes) with no expansion at all. A blank
 * value means the key's default. {@code env.clear} and {@code env.unset} are reserved: they cannot name
 * variables. Problems never show the value of an {@code env.<NAME>} key or of an unknown key.
 *
 * <p>{@link org.corral.supervisor.internal.config.ConfigValidator} offers the same checks as the service
 * {@link org.corral.api.DaemonConfigValidator}, which the console's {@code corral:create} runs before it
 * writes a file.
 *
 * <p>Deleting the configuration, disabling the component or shutting the framework down stops the daemon
 * and everything its program spawned. Stopping, updating or refreshing the supervisor bundle while the
 * framework runs on (deactivation reason 6) hands the running daemon over to the next version of the bundle
 * instead ({@link org.corral.supervisor.internal.daemon.HandOverStore}): its program keeps running detached
 * for a lease and is re-attached by name; without a next version within the lease, it is stopped. Events of
 * every daemon (configured or programmatic) go to Event Admin when it is present
 * ({@link org.corral.supervisor.internal.config.EventAdminBridge}); it is optional.
 */
package org.corral.supervisor.internal.config;
