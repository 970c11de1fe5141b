#!/usr/bin/env bash
# Builds Corral and starts its Karaf distribution in the foreground, with the
# console open: try corral:list, corral:status example, corral:logs -f example,
# corral:doctor (see docs/karaf.md). Leave the console with logout or Ctrl-D:
# Karaf stops, and with it every daemon and everything they spawned.
#
#   ./run.sh            build (tests skipped) and start
#   ./run.sh clean      same, starting from an empty data/ directory
#   CORRAL_NO_BUILD=1 ./run.sh   start what was built last
#
# Needs a JDK 17, Maven, make, gcc and the cross compilers of the ARM helpers
# (Debian: gcc-aarch64-linux-gnu gcc-arm-linux-gnueabi); as root, missing ones
# are installed with .ci/install-deps.
set -euo pipefail
cd "$(dirname "$0")"

need=()
for c in java mvn make gcc aarch64-linux-gnu-gcc arm-linux-gnueabi-gcc; do
  command -v "$c" >/dev/null 2>&1 || need+=("$c")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && [ -x .ci/install-deps ] && command -v apt-get >/dev/null 2>&1; then
    echo "run.sh: installing the build prerequisites (missing: ${need[*]})"
    .ci/install-deps
  else
    echo "run.sh: missing: ${need[*]} (Debian/Ubuntu: sudo .ci/install-deps," \
         "or install a JDK 17, maven, make, gcc, gcc-aarch64-linux-gnu and gcc-arm-linux-gnueabi)" >&2
    exit 1
  fi
fi

if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  export JAVA_HOME
fi

karaf=distribution/target/assembly
if [ -z "${CORRAL_NO_BUILD:-}" ]; then
  echo "run.sh: building Corral (mvn package, tests skipped; the first build downloads Karaf and takes a few minutes)"
  mvn -B -q -ntp -DskipTests package -pl distribution -am
fi
if [ ! -x "$karaf/bin/karaf" ]; then
  echo "run.sh: $karaf/bin/karaf is missing: the build did not produce the distribution" >&2
  exit 1
fi
echo "run.sh: starting Karaf from $karaf (daemons: $karaf/etc/org.corral.daemon-*.cfg)"
exec "$karaf/bin/karaf" "$@"
