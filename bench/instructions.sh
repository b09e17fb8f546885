#!/usr/bin/env bash
# `make bench-instructions`: the instruction benchmark of issue 14 — instructions, syscalls and
# heap bytes per small request, per forwarded chunk, per stream end and per open stream, for
# Olla and nginx side by side, under valgrind callgrind / strace / massif, on loopback.
# Compiles the bench's C backend and client, builds Olla in release mode under .build-bench
# (shared with `make bench`), then runs bench/instructions.py bounded by INSTR_TIMEOUT seconds
# (default 900). The Makefile installs valgrind, strace, nginx and gcc first. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in valgrind callgrind_control vgdb strace nginx gcc; do
  command -v "$tool" >/dev/null || { echo "bench-instructions: $tool not found (make bench-instructions installs it)" >&2; exit 1; }
done

SCRATCH=.build-bench
TOOLS=$SCRATCH/bench-tools
mkdir -p "$TOOLS"
gcc -O2 -Wall -o "$TOOLS/streamsrv" bench/streamsrv.c
gcc -O2 -Wall -o "$TOOLS/streamcli" bench/streamcli.c

if [ -z "${OLLA_BIN:-}" ]; then
  echo "bench-instructions: building Olla (swift build -c release --scratch-path $SCRATCH)"
  swift build -c release --scratch-path "$SCRATCH" 2>&1 | tail -n 3
  OLLA_BIN=$SCRATCH/release/olla
fi

# 1,000 open streams need ~2,000 fds in the proxy.
ulimit -n "$(ulimit -Hn)"
export OLLA_BIN BENCH_BIN="$TOOLS"
exec timeout -s INT "${INSTR_TIMEOUT:-900}" python3 -u bench/instructions.py
