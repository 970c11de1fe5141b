/**
 * cgroup v2 for Corral: find the cgroup2 mount ({@link org.corral.cgroup.CgroupMount}), prepare a cgroup
 * for a program with its controllers enabled and its limits written
 * ({@link org.corral.cgroup.CgroupManager#prepare}), read its statistics
 * ({@link org.corral.cgroup.CgroupManager#stats}), kill everything in it and remove it
 * ({@link org.corral.cgroup.CgroupManager#kill}, {@link org.corral.cgroup.CgroupManager#remove}), and sweep
 * cgroups left behind by a crashed JVM ({@link org.corral.cgroup.CgroupManager#sweep}). Where programs go by
 * default: {@link org.corral.cgroup.DefaultBase} ({@link org.corral.cgroup.CgroupManager#chooseDefaultBase}). The
 * parsers for the interface file formats are in {@link org.corral.cgroup.CgroupFiles}.
 *
 * <p>1.1: {@code DefaultBase}, {@code SweepReport}, {@code CgroupManager.chooseDefaultBase}, {@code delegate},
 * {@code delegated}, {@code euid}, {@code removeBasesIfEmpty} and {@code sweep(Collection, Duration)}.
 *
 * <p>Plain Java, no OSGi service: the supervisor creates one {@link org.corral.cgroup.CgroupManager} with
 * {@link org.corral.cgroup.CgroupManager#open()}. Every method is thread-safe.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.corral.cgroup;
