#!/usr/bin/env bash
# `make bench`: the benchmark of issue 4 — direct vs nginx vs Olla on loopback, one run.
# Installs nginx, wrk and curl if missing (apt), compiles the C load client and streaming
# backend, builds Olla in release mode under .build-bench, then runs bench/bench.py
# (bounded by BENCH_TIMEOUT seconds, default 480). See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
if ((${#need[@]})); then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  echo "bench: installing ${need[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

SCRATCH=.build-bench
TOOLS=$SCRATCH/bench-tools
mkdir -p "$TOOLS"
gcc -O2 -Wall -o "$TOOLS/streamsrv" bench/streamsrv.c
gcc -O2 -Wall -o "$TOOLS/streamcli" bench/streamcli.c

if [ -z "${OLLA_BIN:-}" ]; then
  echo "bench: building Olla (swift build -c release --scratch-path $SCRATCH)"
  swift build -c release --scratch-path "$SCRATCH" 2>&1 | tail -n 3
  OLLA_BIN=$SCRATCH/release/olla
fi

# 10,000 idle streams need ~20,000 fds in the proxy: take the hard limit (bench.py reports
# and scales down the case when the hard limit is lower than that).
ulimit -n "$(ulimit -Hn)"
export OLLA_BIN BENCH_BIN="$TOOLS"
exec timeout -s INT "${BENCH_TIMEOUT:-480}" python3 -u bench/bench.py
