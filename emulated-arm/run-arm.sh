#!/usr/bin/env bash
# Runs Corral on emulated ARM JVMs: for each architecture given (arm64, armhf),
# fetches Debian's OpenJDK 17 for it (fetch-jre.sh, cached), then runs
# ArmLauncher on that JVM under qemu-user: a plain Felix framework with
# Corral's bundles and the probe bundle; the matching native fragment must
# attach, the others must stay inert, and ProcessService must run programs and
# daemons through that architecture's helper (see ProbeActivator).
#
#   run-arm.sh [arm64] [armhf]          (default: both)
#
# Called by `mvn verify` in this module (integration-test phase) with
# CORRAL_ARM_TARGET (this module's target/) and CORRAL_ARM_PROBE (its jar).
# Each architecture is bounded by CORRAL_ARM_TIMEOUT seconds (default 600; a run takes 1-1.5 min here).
#
# The bundles, the framework storage and java.io.tmpdir are copied to / kept in
# a tmpfs work directory (CORRAL_ARM_WORK, default /dev/shm/corral-arm-<pid>,
# removed at the end): a 32-bit guest under qemu-user cannot read directories
# of ext4 on a 64-bit host (readdir fails with EOVERFLOW: ext4 hands qemu 64-bit
# directory offsets), tmpfs has small ones.
#
# binfmt_misc is not used (the host is not changed): the emulated JVM starts
# processes with VFORK (jspawnhelper is an ARM binary the host kernel cannot
# exec) and the supervisor runs its ARM helper through qemu-user, given by
# the corral.helper.prefix system property.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${CORRAL_ARM_TARGET:-$here/target}
probe=${CORRAL_ARM_PROBE:-$(ls "$target"/corral-emulated-arm-*.jar 2>/dev/null | head -n1)}
limit=${CORRAL_ARM_TIMEOUT:-600}
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(arm64 armhf)

[ -f "$probe" ] || { echo "run-arm.sh: probe bundle not found ('$probe'): build this module first (mvn package)" >&2; exit 1; }
[ -f "$target/lib/org.apache.felix.framework.jar" ] || { echo "run-arm.sh: $target/lib/org.apache.felix.framework.jar missing: build this module first" >&2; exit 1; }

# A work directory on tmpfs that allows exec (the helper is copied there and run):
# CORRAL_ARM_WORK if set, else /dev/shm (CORRAL_ARM_SHM) when usable, else (as
# root) a private tmpfs inside a mount namespace of this script's own.
usable() {  # usable DIR: tmpfs, writable, exec allowed
  [ -d "$1" ] && [ -w "$1" ] && [ "$(stat -f -c %T "$1" 2>/dev/null)" = tmpfs ] || return 1
  local probe="$1/.corral-exec-probe-$$"
  cp /bin/true "$probe" 2>/dev/null && "$probe"; local rc=$?
  rm -f "$probe"
  return $rc
}
if [ -n "${CORRAL_ARM_WORK:-}" ]; then
  work=$CORRAL_ARM_WORK
elif usable "${CORRAL_ARM_SHM:-/dev/shm}"; then
  work=${CORRAL_ARM_SHM:-/dev/shm}/corral-arm-$$
elif [ -n "${CORRAL_ARM_IN_NS:-}" ]; then
  # second pass, inside a private mount namespace: a tmpfs of our own, gone with the namespace
  mkdir -p "$target/arm-tmpfs"
  mount -t tmpfs -o size=1g,mode=0700 corral-arm "$target/arm-tmpfs"
  work=$target/arm-tmpfs/work
elif [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  echo "run-arm.sh: /dev/shm is not a usable tmpfs (missing, read-only or noexec): using a private tmpfs in a mount namespace" >&2
  CORRAL_ARM_IN_NS=1 exec unshare --mount --propagation private "$0" "$@"
else
  work=$target/arm-work
  echo "run-arm.sh: no usable tmpfs (/dev/shm missing or noexec, not root for a private one): using $work; 32-bit ARM may fail to list directories there (EOVERFLOW)" >&2
fi
rm -rf "$work"
mkdir -p "$work/bundles" "$work/lib"
trap 'rm -rf "$work"' EXIT
cp "$target"/bundles/*.jar "$work/bundles/"
cp "$target/lib/org.apache.felix.framework.jar" "$work/lib/"
cp "$probe" "$work/probe.jar"

status=0
summary=()
for arch in "${archs[@]}"; do
  case "$arch" in
    arm64) qemu=qemu-aarch64-static; expect=aarch64 ;;
    armhf) qemu=qemu-arm-static; expect=armhf ;;
    *) echo "run-arm.sh: unknown architecture '$arch' (expected arm64 or armhf)" >&2; exit 2 ;;
  esac
  command -v "$qemu" >/dev/null || { echo "run-arm.sh: $qemu not found: run .ci/install-deps (package qemu-user-static)" >&2; exit 1; }
  qemu=$(command -v "$qemu")

  t0=$(date +%s.%N)
  root=$("$here/fetch-jre.sh" "$arch")
  t1=$(date +%s.%N)
  java=$root/usr/lib/jvm/java-17-openjdk-$arch/bin/java
  storage=$work/felix-$arch
  tmp=$work/tmp-$arch
  rm -rf "$storage" "$tmp"
  mkdir -p "$tmp"

  echo "run-arm.sh: $arch: $("$qemu" --version | head -n1), JRE in $root"
  set +e
  timeout --kill-after=30 "$limit" "$qemu" -L "$root" "$java" \
      -Djdk.lang.Process.launchMechanism=VFORK \
      -Dcorral.helper.prefix="$qemu" \
      -Djava.io.tmpdir="$tmp" \
      -XX:TieredStopAtLevel=1 -Xmx256m \
      ${CORRAL_ARM_JVM_OPTS:-} \
      -cp "$work/lib/org.apache.felix.framework.jar:$work/probe.jar" \
      org.corral.emulated.ArmLauncher --bundles "$work/bundles" --probe "$work/probe.jar" \
      --storage "$storage" --expect "$expect" --timeout "$((limit / 2))" 2>&1 | sed "s/^/[$arch] /"
  rc=${PIPESTATUS[0]}
  set -e
  t2=$(date +%s.%N)
  [ "$rc" = 124 ] && echo "run-arm.sh: $arch: timed out after $limit s" >&2
  line=$(printf '%s: %s (JRE fetch %.1f s, Felix run %.1f s)' "$arch" \
         "$([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)")" \
         "$(awk "BEGIN{print $t1 - $t0}")" "$(awk "BEGIN{print $t2 - $t1}")")
  summary+=("$line")
  [ "$rc" = 0 ] || status=1
done
echo "run-arm.sh: summary"
printf '  %s\n' "${summary[@]}"
exit $status
