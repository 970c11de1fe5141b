#!/bin/sh
# Builds the test programs the cgroup tests use (native/testprogs/*.c) into OUT.
# Usage: build-testprogs.sh SRC_DIR OUT_DIR
set -eu
src=$1; out=$2
mkdir -p "$out"
for p in fork_tree memory_hog fork_bomb ignore_sigterm sleep_ms; do
  if [ ! -x "$out/$p" ] || [ "$src/$p.c" -nt "$out/$p" ]; then
    ${CC:-gcc} -O2 -Wall -o "$out/$p.tmp" "$src/$p.c"
    mv "$out/$p.tmp" "$out/$p"
  fi
done
