/**
 * Corral's public API: run OS programs contained (one-shot with {@link org.corral.api.ProcessService#run},
 * supervised with {@link org.corral.api.ProcessService#start}), with cgroup v2 limits and statistics.
 * Only JDK types appear here.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.corral.api;
