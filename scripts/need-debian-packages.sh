#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet.
#
#   scripts/need-debian-packages.sh [--for WHAT] PACKAGE...
#
# Nothing happens when every package is installed. Otherwise, as root it runs apt-get
# directly; as another user it uses sudo when sudo can be used (a terminal to ask the
# password on, or no password needed); else it prints the missing packages and the
# command that installs them, and exits 1. `apt-get update` runs only when an install
# fails on an out-of-date or empty package list (a fresh machine), then the install is
# retried once.
set -uo pipefail

what=""
if [ "${1:-}" = "--for" ]; then
    what=" (needed for $2)"
    shift 2
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "not a Debian system: make sure these are installed$what: $*" >&2
    exit 0
fi

missing=()
for package in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)
    [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
    as_root=(sudo)
else
    echo "missing Debian packages$what: ${missing[*]}" >&2
    echo "install them as root, then run make again:  apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "installing Debian packages$what: ${missing[*]}"
install() {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}
install || { "${as_root[@]}" apt-get update -q && install; } || {
    echo "could not install${what}: ${missing[*]}" >&2
    exit 1
}
