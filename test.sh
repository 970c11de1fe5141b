#!/usr/bin/env bash
# Runs every Corral test: the C helper's unit tests, fuzz target (bounded) and
# helper suite on x86_64, aarch64 and ARMv6 (qemu-user), the Java unit and
# real-process tests, the embedded-OSGi tests, the cgroup v2 tests inside a
# QEMU guest, and the Karaf (Pax Exam) integration tests. Then checks that
# nothing was left behind. Prerequisites: .ci/install-deps (as root).
set -euo pipefail
cd "$(dirname "$0")"

if ! .ci/install-deps >/dev/null 2>&1; then
  .ci/install-deps || { echo "test.sh: prerequisites missing (see above)" >&2; exit 1; }
fi

export MAVEN_OPTS="${MAVEN_OPTS:--Xmx1g}"
mvn -B -ntp ${CORRAL_MVN_ARGS:-} verify "$@"

# Nothing left behind: no helper, no test program, no corral cgroup.
left=$(ps -eo pid=,args= | grep -E 'corral-helper|/native/testprogs/' | grep -v grep || true)
cgs=$(find /sys/fs/cgroup -maxdepth 3 -type d -name 'corral*' 2>/dev/null || true)
if [ -n "$left$cgs" ]; then
  echo "test.sh: tests left things behind:" >&2
  [ -n "$left" ] && echo "$left" >&2
  [ -n "$cgs" ] && echo "$cgs" >&2
  exit 1
fi
echo "test.sh: all tests passed, nothing left behind"
