#!/usr/bin/env bash
# Lists public declarations without a `///` doc comment, per module, with the toolchain's
# `swift format lint` and only its AllPublicDeclarationsHaveDocumentation rule enabled
# (scripts/doc-check.swift-format.json; every other rule is off, and the formatter's own
# whitespace findings are filtered out).
#
#   scripts/doc-check.sh            report: the count per module and each declaration
#   scripts/doc-check.sh --strict   the same, and exit 1 when any declaration is missing one
#
# Without `swift format` (toolchains before 6.0) it prints SKIP and why, and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
strict=0
[[ "${1:-}" == "--strict" ]] && strict=1

if ! "$SWIFT" format --version >/dev/null 2>&1; then
  echo "SKIP doc-check: '$SWIFT format' is not available (it ships with Swift 6 toolchains)"
  exit 0
fi

rule=AllPublicDeclarationsHaveDocumentation
findings=$("$SWIFT" format lint --configuration scripts/doc-check.swift-format.json --recursive Sources 2>&1 \
  | grep "\[$rule\]" | sed "s/ warning: \[$rule\]//" | sort -t: -k1,1 -k2,2n || true)

total=0
echo "public declarations without a /// doc comment:"
for module in Sources/*/; do
  module=$(basename "$module")
  count=$(grep -c "^Sources/$module/" <<<"$findings" || true)
  total=$((total + count))
  printf '  %-16s %d\n' "$module" "$count"
done
echo "  total            $total"
if [[ $total -gt 0 ]]; then
  echo
  echo "$findings"
fi
if [[ $strict -eq 1 && $total -gt 0 ]]; then
  echo "doc-check: $total public declarations have no doc comment (house rule: every public declaration has one)" >&2
  exit 1
fi
