#!/usr/bin/env bash
# Downloads Debian 12's OpenJDK 17 JRE for an ARM architecture, with the few
# libraries it links against, and unpacks it into a root directory that
# qemu-user runs it from (qemu-<arch>-static -L <root>):
#
#   fetch-jre.sh arm64|armhf      prints the root directory on stdout
#
# The host is not changed: APT runs with its own configuration, sources list,
# architecture list, package lists and an empty dpkg status file, all under
# the cache directory ($CORRAL_ARM_JRE_CACHE, default ~/.cache/corral-arm-jre);
# packages are fetched with `apt-get download` (signatures checked by APT) and
# unpacked with `dpkg-deb -x`. Nothing is installed and the host's dpkg
# architectures stay as they are. A finished root is reused on later runs;
# delete its directory (or pass --refresh) to fetch again.
#
# Needs: apt-get, dpkg-deb and the Debian archive keyring (every Debian
# system has them), network access to deb.debian.org the first time.
set -euo pipefail

arch=${1:?usage: fetch-jre.sh arm64|armhf [--refresh]}
refresh=${2:-}
case "$arch" in
  arm64|armhf) ;;
  *) echo "fetch-jre.sh: unknown architecture '$arch' (expected arm64 or armhf)" >&2; exit 2 ;;
esac

cache=${CORRAL_ARM_JRE_CACHE:-$HOME/.cache/corral-arm-jre}
mirror=${CORRAL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${CORRAL_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# The JRE and what its core libraries (libjvm, libjava, libzip, libnet, libnio,
# libjli) link against; fonts, sound, printing and desktop libraries are left out.
packages=(openjdk-17-jre-headless libc6 libgcc-s1 libstdc++6 zlib1g)

base=$cache/$arch
root=$base/root
java_home=usr/lib/jvm/java-17-openjdk-$arch

if [ "$refresh" = --refresh ]; then rm -rf "$base"; fi
if [ -f "$root/.complete" ] && [ -x "$root/$java_home/bin/java" ]; then
  echo "$root"
  exit 0
fi

for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "fetch-jre.sh: '$tool' not found (a Debian system is needed)" >&2; exit 1; }
done
[ -r "$keyring" ] || { echo "fetch-jre.sh: $keyring missing (apt-get install debian-archive-keyring)" >&2; exit 1; }

apt=$base/apt
rm -rf "$apt" "$root.tmp"
mkdir -p "$apt"/etc/apt.conf.d "$apt"/etc/sources.list.d "$apt"/etc/preferences.d \
         "$apt"/state/lists/partial "$apt"/cache/archives/partial "$apt"/debs "$apt"/dpkg/info "$root.tmp"
: > "$apt/dpkg/status"
echo "$arch" > "$apt/dpkg/arch"
cat > "$apt/etc/sources.list" <<SOURCES
deb [signed-by=$keyring] $mirror bookworm main
deb [signed-by=$keyring] $mirror bookworm-updates main
deb [signed-by=$keyring] $security bookworm-security main
SOURCES
cat > "$apt/apt.conf" <<CONF
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Install-Recommends "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Parts "$apt/etc/apt.conf.d";
Dir::Etc::Preferences "$apt/etc/preferences";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
Dir::State "$apt/state";
Dir::State::status "$apt/dpkg/status";
Dir::Cache "$apt/cache";
DPkg::Options { "--admindir=$apt/dpkg"; };
CONF
export APT_CONFIG=$apt/apt.conf

echo "fetch-jre.sh: fetching OpenJDK 17 ($arch) into $base" >&2
# A mirror caught mid-sync fails one index now and then: try again, then go on
# with what was fetched (apt-get download below fails loudly if that is not enough).
for attempt in 1 2 3; do
  if apt-get -q -o Acquire::Retries=3 update >&2; then break; fi
  echo "fetch-jre.sh: apt-get update failed (attempt $attempt of 3)" >&2
  sleep $((attempt * 2))
done
(cd "$apt/debs" && apt-get -q -o Acquire::Retries=3 download "${packages[@]}" >&2)
for deb in "$apt"/debs/*.deb; do
  dpkg-deb -x "$deb" "$root.tmp"
done

# Debian's JRE links its conf files to /etc/java-17-openjdk with absolute
# symlinks; the kernel would resolve those on the host, so make them relative.
( cd "$root.tmp"
  find . -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    if [ -e "./$target" ] || [ -L "./$target" ]; then
      rel=$(realpath -m --relative-to="$(dirname "$link")" "./$target")
      ln -sfn "$rel" "$link"
    fi
  done )

rm -rf "$root.tmp/usr/share/doc" "$root.tmp/usr/share/man" "$root.tmp/usr/share/locale" "$root.tmp/usr/share/lintian"
[ -x "$root.tmp/$java_home/bin/java" ] || { echo "fetch-jre.sh: $java_home/bin/java missing after unpacking" >&2; exit 1; }
ls "$apt"/debs > "$root.tmp/.complete"
rm -rf "$root"
mv "$root.tmp" "$root"
rm -rf "$apt"   # package lists and .debs are only needed to fetch
echo "$root"
