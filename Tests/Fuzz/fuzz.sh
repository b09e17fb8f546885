#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in Tests/Fuzz/Targets (docs/security.md, "Fuzzing").
#
#   Tests/Fuzz/fuzz.sh build                 compile OllaCore and every target into .build-fuzz/
#   Tests/Fuzz/fuzz.sh run SECONDS [NAME...]  build, then fuzz each target (all by default)
#
# Built with swiftc directly, not SwiftPM: OllaCore (the pure parsers, no C dependencies) is
# compiled once into a static library instrumented for libFuzzer and AddressSanitizer, and
# each target is one file that links against it. The normal `swift build` never sees any
# of it. Each run reads the committed seeds in Tests/Fuzz/Corpus/NAME/, adds what it
# finds to .build-fuzz/corpus/NAME/ (kept between runs, never committed), and leaves a
# crashing input in .build-fuzz/artifacts/. Exit status 1 when any target found a crash,
# hang, leak or sanitizer error.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=.build-fuzz
# Swift's own crash handler would race ASan's report; let the sanitizer print the stack.
export SWIFT_BACKTRACE=enable=no
SWIFTC=${SWIFTC:-swiftc}
SANITIZE=-sanitize=fuzzer,address
TARGETS=$(cd Tests/Fuzz/Targets && ls ./*.swift | sed 's|^\./||; s|\.swift$||')

build() {
    mkdir -p "$OUT"
    local lib="$OUT/libOllaCore.a"
    if [ ! -f "$lib" ] || [ -n "$(find Sources/OllaCore -name '*.swift' -newer "$lib" | head -1)" ]; then
        echo "fuzz: compiling OllaCore for libFuzzer + AddressSanitizer"
        "$SWIFTC" -emit-library -static -emit-module -module-name OllaCore -parse-as-library \
            -O -wmo -g $SANITIZE $(find Sources/OllaCore -name '*.swift' | sort) \
            -emit-module-path "$OUT/OllaCore.swiftmodule" -o "$lib"
    fi
    local name
    for name in $TARGETS; do
        local source="Tests/Fuzz/Targets/$name.swift" binary="$OUT/$name"
        [ -f "$binary" ] && [ "$binary" -nt "$source" ] && [ "$binary" -nt "$lib" ] && continue
        # ld.gold warns once per ASan helper symbol it cannot export; the warnings are noise.
        # -Onone keeps the targets' precondition messages in the crash report.
        "$SWIFTC" -parse-as-library -Onone -g $SANITIZE -I "$OUT" "$source" "$lib" -o "$binary" 2>"$OUT/$name.link.log" \
            || { cat "$OUT/$name.link.log"; exit 1; }
    done
}

run() {
    local seconds=$1; shift
    local names=${*:-$TARGETS} failed=0 name
    build
    mkdir -p "$OUT/artifacts"
    for name in $names; do
        mkdir -p "$OUT/corpus/$name"
        local log="$OUT/$name.log" dict=()
        [ -f "Tests/Fuzz/Dictionaries/$name.dict" ] && dict=(-dict="Tests/Fuzz/Dictionaries/$name.dict")
        if "$OUT/$name" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
                -max_len=16384 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name-" \
                "$OUT/corpus/$name" "Tests/Fuzz/Corpus/$name" >"$log" 2>&1; then
            echo "PASS fuzz $name: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') inputs in ${seconds}s"
        else
            failed=1
            echo "FAIL fuzz $name (log $log):"
            grep -E -A30 '^==[0-9]+==ERROR|Fatal error|Precondition failed|Test unit written|deadly signal|Timeout' "$log" | head -60
        fi
    done
    return $failed
}

case ${1:-} in
    build) build ;;
    run) shift; run "${1:-60}" "${@:2}" ;;
    *) echo "usage: $0 build | run SECONDS [NAME...]" >&2; exit 2 ;;
esac
