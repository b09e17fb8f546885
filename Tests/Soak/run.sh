#!/usr/bin/env bash
# `make soak`: Tests/Soak/soak.py against the release binary (docs/operations.md, "Soak test").
# Compiles the bench's C backend and stream client (gcc: the Makefile installs it), raises
# the fd limit to the hard limit, and bounds the whole run by SOAK_TIMEOUT seconds (default 600).
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS=.build-soak
mkdir -p "$TOOLS"
gcc -O2 -Wall -o "$TOOLS/streamsrv" bench/streamsrv.c
gcc -O2 -Wall -o "$TOOLS/streamcli" bench/streamcli.c
ulimit -n "$(ulimit -Hn)"
export OLLA_BIN=${OLLA_BIN:-$PWD/.build/release/olla} SOAK_TOOLS=$PWD/$TOOLS
exec timeout -s INT "${SOAK_TIMEOUT:-600}" python3 -u Tests/Soak/soak.py
