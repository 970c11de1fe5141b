#!/usr/bin/env bash
# Corral's benchmarks: builds what they need, then prints (and saves under
# benchmarks/results/) one table of figures measured in this run against raw
# ProcessBuilder on this machine: run("true") latency, 200 MB stdout
# throughput, bytes lost at exit, survivors and cleanup time after the owner
# JVM is kill -9ed, the same after kill -9 of a program's helper (with and
# without a cgroup, and with the broker killed first), the 100-daemon
# figures, and the delay of a quiet daemon's lines while another daemon
# floods (isolation).
#
#   ./bench.sh            the full run (a few minutes)
#   ./bench.sh --quick    fewer iterations, to try it out (not for the record)
#   ./bench.sh --only isolation[,daemons,...]   some sections only (latency,
#                         throughput, lost, owner, helper, daemons, isolation)
#
# Run it on an otherwise idle machine; ratios from one run are what count.
# Benchmarks are not tests: `mvn verify` does not run them.
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD

mvn -q -B -ntp ${CORRAL_MVN_ARGS:-} -pl benchmarks -am package -DskipTests
make -s -C native testprogs OUT="$root/benchmarks/target/native" >/dev/null

exec java -Xmx512m -cp "$root/benchmarks/target/classes:$(cat "$root/benchmarks/target/classpath.txt")" \
  org.corral.bench.Bench --testprogs "$root/benchmarks/target/native/testprogs" \
  --results "$root/benchmarks/results" \
  --daemon-bench "$root/bundles/supervisor/target/test-classes" "$@"
