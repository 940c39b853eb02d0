#!/usr/bin/env bash
# Debian's libjemalloc2: the host runs under it where it is installed (docs/performance.md, "The native allocator"),
# and AllocatorTests compares a run under it with one under glibc. Installed when missing; without it that test is
# skipped and the summary says so. Needs root (as CI and the development machines have).
set -uo pipefail
for folder in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib; do
  [ -e "$folder/libjemalloc.so.2" ] && exit 0
done
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libjemalloc2) > /tmp/coin-jemalloc-install.log 2>&1 \
  || { echo "libjemalloc2: install failed (see /tmp/coin-jemalloc-install.log)"; exit 1; }
