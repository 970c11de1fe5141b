#!/usr/bin/env bash
# The distribution's footprint (issue 14, "Footprint on a Pi"): boots Corral's Karaf distribution and a stock
# Karaf with the same JVM settings (the distribution's bin/setenv), measures boot time, RSS, heap after GC,
# threads, with 100 sleep daemons and over a minute of idle (org.corral.bench.Footprint), and prints the
# figures as key = value lines, prefixed by where they were measured:
#
#   host.corral.*  host.stock.*   on this machine, with the settings bin/setenv picks for a 512 MB board
#                                 (CORRAL_JVM_MEMORY=512M);
#   vm.corral.*    vm.stock.*     in the cgroup v2 guest (vm/run-in-vm), each inside a cgroup of its own with
#                                 memory.max = 160M (JVM, helpers and programs), the settings picked from that
#                                 limit, as on a device; Corral's 100 daemons are configured before its boot
#                                 (no idle phase without them: in the guest Felix fileinstall never picked up a
#                                 .cfg file added after the boot); about 10 minutes per subject (emulated guest);
#   arm.corral.*                  the boot time to "example READY" on the emulated armhf JVM (qemu-user, so
#                                 only an indication), settings of a 512 MB board.
#
#   benchmarks/footprint.sh [--no-build] [--quick] [--no-host] [--no-vm] [--no-arm] [--no-stock] [--out FILE]
#                           [--host-memory 512M] [--vm-max 160M] [--daemons 100]
#
# --host-memory: the settings bin/setenv picks for that much memory, on this machine (CORRAL_JVM_MEMORY).
# --vm-max: the guest cgroup's memory.max; with another value than 160M the settings stay those of 160M, so that
# the memory a given setting needs can be seen above the limit (memory.peak). --no-stock: Corral only.
# --quick: 5 daemons, short settle and idle (to try it out; not for the record). A sibling of bench.sh (whose
# table holds the process figures); docs/benchmarks.md holds both. Needs what bench.sh needs; the guest part
# needs vm/run-in-vm's prerequisites, the ARM part those of emulated-arm (qemu-user-static, the JRE fetched by
# emulated-arm/fetch-jre.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=1 host=1 vm=1 arm=1 quick=0 inside= stock_too=1 host_memory=512M vm_max=160M daemons=
out=
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --quick) quick=1 ;;
    --no-host) host=0 ;;
    --no-vm) vm=0 ;;
    --no-arm) arm=0 ;;
    --no-stock) stock_too=0 ;;
    --daemons) daemons=$2; shift ;;
    --host-memory) host_memory=$2; shift ;;
    --vm-max) vm_max=$2; shift ;;
    --out) out=$2; shift ;;
    --in-vm) inside=1 ;;
    *) echo "footprint.sh: unknown option $1 (see its header)" >&2; exit 2 ;;
  esac
  shift
done

target=$root/benchmarks/target
if [ $build = 1 ] && [ -z "$inside" ]; then
  mvn -q -B -ntp ${CORRAL_MVN_ARGS:-} -pl benchmarks,distribution -am package -DskipTests
fi
dist=$(ls "$root"/distribution/target/corral-distribution-*.tar.gz 2>/dev/null | head -n1)
stock=$target/dist/apache-karaf.tar.gz
setenv=$root/distribution/src/main/resources/assembly/bin/setenv
[ -f "$dist" ] || { echo "footprint.sh: no distribution archive in distribution/target (build it first)" >&2; exit 1; }
[ -f "$stock" ] || { echo "footprint.sh: $stock missing (mvn -pl benchmarks package copies it)" >&2; exit 1; }

if [ $quick = 1 ]; then settle=5; fp_args=(--daemons 5 --settle $settle --idle 10); else settle=20; fp_args=(--daemons 100 --settle $settle --idle 60); fi
[ -z "$daemons" ] || fp_args[1]=$daemons
work=$target/footprint-work
mkdir -p "$work"
results=$(mktemp "$work/results.XXXXXX")

free_port() {  # a port nothing listens on (bash's /dev/tcp connect fails)
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo $p; return; }
  done
}

set_key() {  # set_key FILE KEY VALUE
  sed -i "s|^$2 *=.*|$2 = $3|" "$1"
}

# one_run LABEL ARCHIVE stock|corral [cgroup memory.max] [env NAME=VALUE...] -- [Footprint options]
one_run() {
  local label=$1 archive=$2 kind=$3 max=$4; shift 4
  local envs=() preplace=0
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case $1 in PREPLACE=*) preplace=${1#PREPLACE=} ;; *) envs+=("$1") ;; esac
    shift
  done
  shift
  local home cg= started pid rc=0
  home=$(mktemp -d "${FOOTPRINT_WORK:-$work}/$label.XXXXXX")
  tar xzf "$archive" -C "$home" --strip-components=1
  [ "$kind" = stock ] && cp "$setenv" "$home/bin/setenv"
  local i
  for ((i = 1; i <= preplace; i++)); do  # daemons configured before the boot (Footprint --preplaced)
    printf 'command = /bin/sleep\nargs = 100000000\n' > "$home/etc/org.corral.daemon-fp$i.cfg"
  done
  set_key "$home/etc/org.apache.karaf.shell.cfg" sshPort "$(free_port)"
  set_key "$home/etc/org.apache.karaf.management.cfg" rmiRegistryPort "$(free_port)"
  set_key "$home/etc/org.apache.karaf.management.cfg" rmiServerPort "$(free_port)"
  if [ -n "$max" ]; then
    local mount=/sys/fs/cgroup
    grep -qw memory $mount/cgroup.controllers || { echo "footprint.sh: no memory controller in $mount (cgroup v2)" >&2; return 1; }
    grep -qw memory $mount/cgroup.subtree_control || echo +memory > $mount/cgroup.subtree_control
    cg=$mount/footprint-$label-$$
    mkdir "$cg"
    echo "$max" > "$cg/memory.max"
    echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
  fi
  started=$(date +%s%3N)
  # Karaf starts first (inside the cgroup): the pages of libjvm.so are then charged to it, as on a device
  ( [ -z "$cg" ] || echo $BASHPID > "$cg/cgroup.procs"
    cd "$home" && exec env -u JAVA_OPTS -u EXTRA_JAVA_OPTS -u CORRAL_JVM_PROFILE -u CORRAL_JVM_MEMORY "${envs[@]}" \
      setsid bin/karaf server </dev/null >"$home/karaf.out" 2>&1 ) &
  pid=$!
  sleep 2
  java -Xmx64m -cp "$target/classes" org.corral.bench.Footprint --home "$home" --launcher-pid "$pid" \
      --started-ms "$started" ${cg:+--cgroup "$cg"} --out "$home/figures.txt" "$@" >/dev/null || rc=$?
  wait "$pid" 2>/dev/null || true
  sed "s/^/$label./" "$home/figures.txt" >> "$results" 2>/dev/null || true
  if [ $rc != 0 ]; then
    mkdir -p "$work/failed-$label"
    cp "$home/karaf.out" "$home/data/log/karaf.log" "$home/figures.txt" "$work/failed-$label/" 2>/dev/null || true
    echo "footprint.sh: $label failed (exit $rc); its karaf.out and karaf.log are kept in $work/failed-$label" >&2
    tail -n 20 "$home/data/log/karaf.log" >&2 2>/dev/null || true
  fi
  if [ -n "$cg" ]; then  # Corral removes its program cgroups; anything left below ours goes now
    for d in $(find "$cg" -mindepth 1 -type d | sort -r); do rmdir "$d" 2>/dev/null || echo "footprint.sh: left $d" >&2; done
    rmdir "$cg" 2>/dev/null || { echo 1 > "$cg/cgroup.kill"; sleep 1; rmdir "$cg"; }
  fi
  rm -rf "$home"
  return $rc
}

status=0
if [ -n "$inside" ]; then
  # inside the guest: each subject in a cgroup with memory.max = 160M, settings from that limit.
  # The guest's host name must resolve (Karaf's logging and JMX look it up): /etc/hosts is the guest's own copy
  grep -qw "$(hostname)" /etc/hosts 2>/dev/null || echo "127.0.1.1 $(hostname)" >> /etc/hosts
  # and the loopback interface must be up (the busybox init leaves it down): SSH, JMX
  ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null || true
  # the daemons' .cfg files are in etc/ before the boot: in the guest, Felix fileinstall picked up the example
  # at the boot but never a .cfg file added later (seen twice: 0 of 100 within 5 and 13 minutes)
  settings=()
  [ "$vm_max" = 160M ] || settings=(CORRAL_JVM_MEMORY=160M)
  one_run vm.corral "$dist" corral "$vm_max" "${settings[@]}" PREPLACE="${fp_args[1]}" -- "${fp_args[@]}" --preplaced \
      --boot-timeout 900 || status=1
  if [ $stock_too = 1 ]; then
    one_run vm.stock "$stock" stock "$vm_max" "${settings[@]}" -- --stock --settle $settle --boot-timeout 900 || status=1
  fi
  cat "$results"
  rm -f "$results"
  exit $status
fi

if [ $host = 1 ]; then
  one_run host.corral "$dist" corral "" CORRAL_JVM_MEMORY="$host_memory" -- "${fp_args[@]}" || status=1
  if [ $stock_too = 1 ]; then
    one_run host.stock "$stock" stock "" CORRAL_JVM_MEMORY="$host_memory" -- --stock --settle $settle || status=1
  fi
fi
if [ $vm = 1 ]; then
  echo "footprint.sh: the $vm_max test in the cgroup v2 guest (a few minutes: the guest is emulated)" >&2
  CORRAL_VM_TIMEOUT=${CORRAL_VM_TIMEOUT:-2400} "$root/vm/run-in-vm" -C "$target" -- \
      "$here/footprint.sh" --in-vm --vm-max "$vm_max" $([ $stock_too = 0 ] && echo --no-stock) ${daemons:+--daemons $daemons} \
      $([ $quick = 1 ] && echo --quick) > "$work/vm.out" 2>&1 || status=1
  grep '^vm\.' "$work/vm.out" >> "$results" || { echo "footprint.sh: the guest run gave no figures:" >&2; tail -n 40 "$work/vm.out" >&2; }
fi
if [ $arm = 1 ]; then
  echo "footprint.sh: boot on the emulated armhf JVM (several minutes)" >&2
  jre=$("$root/emulated-arm/fetch-jre.sh" armhf)
  qemu=$(command -v qemu-arm-static) || { echo "footprint.sh: qemu-arm-static missing (qemu-user-static)" >&2; exit 1; }
  # a 32-bit guest under qemu-user cannot list ext4 directories of a 64-bit host (EOVERFLOW): tmpfs
  shm=$(mktemp -d /dev/shm/corral-footprint-arm.XXXXXX)
  jh=$shm/jdk
  mkdir -p "$jh/bin"
  printf '#!/bin/sh\nexec %s -L %s %s "$@"\n' "$qemu" "$jre" "$jre/usr/lib/jvm/java-17-openjdk-armhf/bin/java" > "$jh/bin/java"
  chmod +x "$jh/bin/java"
  cp "$jre/usr/lib/jvm/java-17-openjdk-armhf/release" "$jh/release"
  FOOTPRINT_WORK=$shm one_run arm.corral "$dist" corral "" CORRAL_JVM_MEMORY=512M JAVA_HOME="$jh" \
      EXTRA_JAVA_OPTS="-Djdk.lang.Process.launchMechanism=VFORK -Dcorral.helper.prefix=$qemu" \
      -- --boot-only --boot-timeout 1200 || status=1
  rm -rf "$shm"
fi
if [ -n "$out" ]; then cp "$results" "$out"; else cat "$results"; fi
rm -f "$results"
exit $status
