#!/usr/bin/env bash
# Install test for the Debian package (`make test-deb`).
#
#   Tests/Packaging/test_deb.sh [path/to/olla_VERSION_ARCH.deb]
#
# Without an argument it runs packaging/build-deb.sh first (an incremental build) and
# tests the package that produced. Then, in a fresh Debian 12 root made with
# `debootstrap --variant=minbase bookworm`, it installs the package with apt-get (so the
# Depends are resolved from the mirror), checks the files, the conffile, the user and
# the unit, runs the installed /usr/bin/olla as user olla against a mock Ollama on the
# host (the chroot shares the host's network), stops it with SIGTERM, upgrades it,
# checks the unit with systemd-analyze inside the root, then removes and purges it.
#
# Needs root (chroot, mount), debootstrap, curl, python3, dpkg-deb and network access
# to the Debian mirror named in /etc/apt/sources.list{,.d}. The debootstrap download
# is cached in .build-deb/deb-test/ (as are the .debs apt fetches), so reruns skip it.
# Every run starts from a new root; mounts live in a private mount namespace and are
# undone, and the processes started are stopped, whatever happens.
#
# Environment:
#   OLLA_DEB_TEST_TIMEOUT  time limit of the whole run in seconds (default 1200); each
#                          step also has its own limit (build 30 min, debootstrap 15, apt 10)
#   OLLA_DEB_TEST_PORT     port Olla listens on in the test (default 40114)
#   OLLA_DEB_TEST_MIRROR   Debian mirror (default: from the apt sources)
#   OLLA_DEB_TEST_SYSTEMD  0 skips installing systemd in the root for systemd-analyze
#   OLLA_DEB_TEST_KEEP     1 keeps the root after a successful run (always kept on failure)
set -uo pipefail

# Re-run in a private mount namespace where possible, so no mount can outlive the test.
# (unshare execs: same process and process group, so Ctrl-C still reaches everything.)
if [ -z "${OLLA_DEB_TEST_INNER:-}" ]; then
    export OLLA_DEB_TEST_INNER=1
    if [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null; then
        exec unshare --mount --propagation private bash "${BASH_SOURCE[0]}" "$@"
    fi
fi

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO" || exit 1
WORK="$REPO/.build-deb/deb-test"
CHROOT="$WORK/root"
LOGS="$WORK/logs"
APT_CACHE="$WORK/apt-archives"
SUITE=bookworm
PORT=${OLLA_DEB_TEST_PORT:-40114}
STARTED=$(date +%s)
LIMIT=${OLLA_DEB_TEST_TIMEOUT:-1200}
DEADLINE=$((STARTED + LIMIT))

PASSED=0
FAILED=0
OLLA_PID=""
MOCK_PID=""
HAVE_LOCK=0

log() { printf '[deb-test %3ds] %s\n' "$(($(date +%s) - STARTED))" "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$1"; }
fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL %s\n' "$1"
    [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/     | /'
}
# check NAME FUNCTION [ARGS...]: the function prints why it failed and returns non-zero.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$name"; return 0; fi
    fail "$name" "$out"
    return 1
}
# A step the rest depends on failed: record it and stop (the EXIT trap cleans up).
abort() {
    fail "$1" "${2:-}"
    exit 1
}
tail_log() { [ -f "$1" ] && tail -n "${2:-25}" "$1"; }

# Time limits: every external step runs under `timeout --foreground` (so Ctrl-C still
# reaches it) with at most its own limit and at most what is left of the whole run.
budget() {
    local left=$((DEADLINE - $(date +%s)))
    [ "$left" -le "$1" ] || left=$1
    [ "$left" -ge 1 ] || left=1
    echo "$left"
}
limited() {
    local seconds=$1 rc
    shift
    timeout --foreground -k 10 "$(budget "$seconds")" "$@"
    rc=$?
    [ "$rc" != 124 ] || echo "test_deb: timed out: $*" >&2
    return "$rc"
}
in_chroot() {
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive timeout --foreground -k 10 "$(budget 600)" chroot "$CHROOT" "$@"
}
apt_in_chroot() {
    in_chroot apt-get -q -y -o Dpkg::Use-Pty=0 -o Acquire::Retries=3 "$@"
}

# --- Cleanup -----------------------------------------------------------------------
stop_pid() {
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}
# Processes whose root directory is the test root were started by this test.
kill_chroot_processes() {
    local p root
    for p in /proc/[0-9]*; do
        root=$(readlink "$p/root" 2>/dev/null) || continue
        if [ "$root" = "$CHROOT" ]; then kill -KILL "${p#/proc/}" 2>/dev/null; fi
    done
}
mounts_under_root() {
    awk -v root="$CHROOT" '$5 == root || index($5, root "/") == 1 { print $5 }' /proc/self/mountinfo
}
unmount_root() {
    local m
    for m in $(mounts_under_root | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
    [ -z "$(mounts_under_root)" ]
}
remove_root() {
    unmount_root || { echo "still mounted under $CHROOT, not removing it" >&2; return 1; }
    rm -rf --one-file-system "$CHROOT"
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    stop_pid "$OLLA_PID"
    stop_pid "$MOCK_PID"
    # The root is this run's only once it holds the lock (another run may be using it).
    if [ "$HAVE_LOCK" = 1 ]; then
        kill_chroot_processes
        unmount_root
        if [ "$FAILED" -eq 0 ] && [ "$rc" -eq 0 ] && [ "${OLLA_DEB_TEST_KEEP:-0}" != 1 ]; then
            remove_root
        elif [ -d "$CHROOT" ]; then
            echo "kept $CHROOT and $LOGS for inspection (removed by the next run)"
        fi
    fi
    [ "$rc" -eq 0 ] || [ "$FAILED" -gt 0 ] || FAILED=1
    echo "deb test took $(($(date +%s) - STARTED))s"
    # The closing line in the plain 'N passed, N failed' form CI reads.
    echo "packaging: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && exit 0
    exit 1
}
trap cleanup EXIT
trap 'fail "interrupted by a signal"; exit 1' INT TERM HUP

# --- Preconditions -----------------------------------------------------------------
[ "$(id -u)" = 0 ] || abort "preconditions" "must run as root (debootstrap, chroot, mount)"
for tool in debootstrap chroot mount umount curl python3 dpkg-deb flock awk; do
    command -v "$tool" >/dev/null 2>&1 || abort "preconditions" "'$tool' not found (apt-get install debootstrap curl python3)"
done
mkdir -p "$WORK" "$APT_CACHE"
exec 9>"$WORK/lock"
flock -n 9 || abort "preconditions" "another test_deb.sh is running ($WORK/lock)"
HAVE_LOCK=1
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    abort "preconditions" "something already listens on 127.0.0.1:$PORT (stop it or set OLLA_DEB_TEST_PORT)"
fi
rm -rf "$LOGS"
mkdir -p "$LOGS"

# The Debian mirror the machine's apt uses: the first source for $SUITE.
detect_mirror() {
    local f uri
    if [ -n "${OLLA_DEB_TEST_MIRROR:-}" ]; then echo "$OLLA_DEB_TEST_MIRROR"; return; fi
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
            { uri = ""; ok = 0; off = 0
              for (i = 1; i <= NF; i++) {
                if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); uri = a[1] }
                if ($i ~ /^Suites:/ && (" " $i " ") ~ ("[ \t]" suite "[ \t]")) ok = 1
                if ($i ~ /^Enabled:[ \t]*no/) off = 1
              }
              if (ok && !off && uri != "") { print uri; exit } }' "$f")
        if [ -n "$uri" ]; then echo "$uri"; return; fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$SUITE" '$1 == "deb" {
                i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == suite) { print $i; exit } }' "$f")
        if [ -n "$uri" ]; then echo "$uri"; return; fi
    done
    echo "http://deb.debian.org/debian"
}
MIRROR=$(detect_mirror)

# Leftovers of an interrupted run.
remove_root || abort "preconditions" "cannot remove the previous root $CHROOT"

# --- 1. The package ----------------------------------------------------------------
if [ $# -ge 1 ]; then
    DEB=$(readlink -f "$1")
    [ -f "$DEB" ] || abort "package" "no such file: $1"
    log "testing $DEB"
    pass "package given: $(basename "$DEB")"
else
    log "building the package (packaging/build-deb.sh, log in $LOGS/build.log)"
    if ! limited 1800 packaging/build-deb.sh > "$LOGS/build.log" 2>&1; then
        abort "make deb builds the package, lintian reports no errors" "$(tail_log "$LOGS/build.log" 30)"
    fi
    DEB=$(tail -n 1 "$LOGS/build.log")
    case "$DEB" in /*) ;; *) DEB="$REPO/$DEB" ;; esac
    [ -f "$DEB" ] || abort "make deb builds the package" "build-deb.sh printed no package path"
    pass "make deb builds $(basename "$DEB"), lintian reports no errors"
fi
VERSION=$(dpkg-deb -f "$DEB" Version)
UPSTREAM=${VERSION%-*}

# --- A clean Debian root -----------------------------------------------------------
ARCH=$(dpkg --print-architecture)
TARBALL="$WORK/$SUITE-minbase-$ARCH-debs.tgz"
if [ ! -s "$TARBALL" ]; then
    log "downloading the $SUITE minbase packages from $MIRROR (cached in $TARBALL)"
    rm -rf "$WORK/tarball-root"
    limited 900 debootstrap --variant=minbase --arch="$ARCH" --make-tarball="$TARBALL.part" \
        "$SUITE" "$WORK/tarball-root" "$MIRROR" > "$LOGS/debootstrap-download.log" 2>&1 ||
        abort "debootstrap --make-tarball" "$(tail_log "$LOGS/debootstrap-download.log")"
    mv "$TARBALL.part" "$TARBALL"
    rm -rf "$WORK/tarball-root"
fi
log "debootstrap --variant=minbase $SUITE $CHROOT"
limited 900 debootstrap --variant=minbase --arch="$ARCH" --unpack-tarball="$TARBALL" \
    "$SUITE" "$CHROOT" "$MIRROR" > "$LOGS/debootstrap.log" 2>&1 ||
    abort "debootstrap a clean $SUITE root" "$(tail_log "$LOGS/debootstrap.log")"

# As on an installed Debian system; no service may start inside the chroot.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$CHROOT/etc/hosts"
printf '#!/bin/sh\nexit 101\n' > "$CHROOT/usr/sbin/policy-rc.d"
chmod 0755 "$CHROOT/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$CHROOT/proc" || abort "mount /proc in the root"
[ -c "$CHROOT/dev/null" ] || mount --bind /dev "$CHROOT/dev" || abort "provide /dev in the root"

# Reuse the .debs earlier runs fetched; remember which are new to cache them after.
ls "$CHROOT/var/cache/apt/archives/" > "$WORK/archives-before" 2>/dev/null
cp -n "$APT_CACHE"/*.deb "$CHROOT/var/cache/apt/archives/" 2>/dev/null
save_apt_cache() {
    local f
    for f in "$CHROOT"/var/cache/apt/archives/*.deb; do
        [ -f "$f" ] || continue
        grep -qxF "$(basename "$f")" "$WORK/archives-before" || cp -n "$f" "$APT_CACHE/"
    done
}

# --- 2. Install --------------------------------------------------------------------
DEB_IN_ROOT="/tmp/$(basename "$DEB")"
cp "$DEB" "$CHROOT$DEB_IN_ROOT"
log "apt-get install ./$(basename "$DEB") in the root"
if ! { apt_in_chroot update && in_chroot sh -c "cd /tmp && apt-get -q -y -o Dpkg::Use-Pty=0 \
        -o Acquire::Retries=3 --no-install-recommends install ./$(basename "$DEB")"; } \
        > "$LOGS/install.log" 2>&1; then
    abort "apt-get install ./$(basename "$DEB") on a clean $SUITE minbase root" "$(tail_log "$LOGS/install.log")"
fi
save_apt_cache
check_installed() {
    local status
    status=$(in_chroot dpkg-query -W -f='${Status} ${Version}' olla)
    [ "$status" = "install ok installed $VERSION" ] || { echo "dpkg status: $status"; return 1; }
}
check "apt-get install ./$(basename "$DEB") on a clean $SUITE minbase root" check_installed

# --- 3. Files ----------------------------------------------------------------------
check_files() {
    local f
    for f in /usr/bin/olla /etc/olla/config.json /lib/systemd/system/olla.service \
             /usr/share/man/man1/olla.1.gz /usr/share/doc/olla/copyright \
             /usr/share/doc/olla/changelog.Debian.gz; do
        [ -f "$CHROOT$f" ] || { echo "missing $f"; return 1; }
    done
    [ -x "$CHROOT/usr/bin/olla" ] || { echo "/usr/bin/olla is not executable"; return 1; }
    local v
    v=$(in_chroot /usr/bin/olla --version) || { echo "olla --version failed: $v"; return 1; }
    [ "$v" = "$UPSTREAM" ] || { echo "olla --version printed '$v', expected '$UPSTREAM'"; return 1; }
    in_chroot /usr/bin/olla --help | grep -q -- '--validate-config' || { echo "olla --help lacks --validate-config"; return 1; }
    # The binary must not need the Swift runtime: every library it loads comes from a package.
    local missing
    missing=$(in_chroot ldd /usr/bin/olla | grep 'not found')
    [ -z "$missing" ] || { echo "unresolved libraries: $missing"; return 1; }
    zcat "$CHROOT/usr/share/man/man1/olla.1.gz" | grep -q -- 'validate' || { echo "man page lacks --validate-config"; return 1; }
    grep -q '^License: MIT' "$CHROOT/usr/share/doc/olla/copyright" || { echo "copyright does not state MIT"; return 1; }
}
check "files: /usr/bin/olla (runs, version $UPSTREAM), unit, man page, copyright, changelog" check_files

# --- 4. Conffile -------------------------------------------------------------------
check_conffile() {
    local listed
    listed=$(in_chroot dpkg-query -W -f='${Conffiles}' olla)
    grep -q '^ /etc/olla/config.json [0-9a-f]\{32\}$' <<<"$listed" ||
        { echo "dpkg does not list /etc/olla/config.json as a conffile: '$listed'"; return 1; }
    in_chroot /usr/bin/olla --validate-config /etc/olla/config.json ||
        { echo "the shipped configuration does not validate"; return 1; }
}
check "conffile: /etc/olla/config.json registered with dpkg and valid" check_conffile

# --- 5. User -----------------------------------------------------------------------
check_user() {
    local entry uid shell perms
    entry=$(in_chroot getent passwd olla) || { echo "no user olla"; return 1; }
    uid=$(cut -d: -f3 <<<"$entry")
    shell=$(cut -d: -f7 <<<"$entry")
    [ "$uid" -lt 1000 ] || { echo "olla is not a system user (uid $uid)"; return 1; }
    [ "$shell" = /usr/sbin/nologin ] || { echo "olla's shell is $shell"; return 1; }
    in_chroot getent group olla >/dev/null || { echo "no group olla"; return 1; }
    perms=$(in_chroot stat -c '%U:%G %a' /etc/olla/config.json)
    [ "$perms" = "root:olla 640" ] || { echo "/etc/olla/config.json is $perms, expected root:olla 640"; return 1; }
}
check "user: system user olla, configuration root:olla 0640" check_user

# --- 6. Unit -----------------------------------------------------------------------
check_unit() {
    local unit="$CHROOT/lib/systemd/system/olla.service" line
    for line in 'User=olla' 'ExecStart=/usr/bin/olla --config /etc/olla/config.json' \
                'ExecReload=/bin/kill -HUP $MAINPID' 'KillSignal=SIGTERM' 'Restart=on-failure' \
                'LimitNOFILE=65536' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'CapabilityBoundingSet=' \
                'WantedBy=multi-user.target'; do
        grep -qxF "$line" "$unit" || { echo "olla.service lacks '$line'"; return 1; }
    done
    [ -x "$CHROOT/bin/kill" ] || { echo "/bin/kill (ExecReload) is missing"; return 1; }
    [ -L "$CHROOT/etc/systemd/system/multi-user.target.wants/olla.service" ] ||
        { echo "olla.service was not enabled (no multi-user.target.wants link)"; return 1; }
}
check "unit: olla.service installed, hardened, enabled for multi-user.target" check_unit

# --- 7-9. Run the installed daemon -------------------------------------------------
log "starting the mock backend and /usr/bin/olla (as user olla) in the root"
rm -f "$LOGS/mock.port"
python3 "$REPO/Tests/Packaging/mock_backend.py" --port-file "$LOGS/mock.port" > "$LOGS/mock.log" 2>&1 &
MOCK_PID=$!
for _ in $(seq 100); do [ -s "$LOGS/mock.port" ] && break; sleep 0.1; done
[ -s "$LOGS/mock.port" ] || abort "start the mock backend" "$(tail_log "$LOGS/mock.log")"
MOCK_PORT=$(cat "$LOGS/mock.port")

# An admin's edit: point the endpoint at the mock (and the port, if overridden). The
# edit also shows that remove and upgrade keep a changed conffile.
python3 - "$CHROOT/etc/olla/config.json" "$MOCK_PORT" "$PORT" <<'EOF' || abort "edit /etc/olla/config.json"
import json, sys
path, mock_port, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path) as f:
    config = json.load(f)
config["server"]["port"] = port
config["discovery"]["static"]["endpoints"][0]["url"] = f"http://127.0.0.1:{mock_port}"
with open(path, "w") as f:  # rewritten in place: owner and mode stay
    json.dump(config, f, indent=2)
    f.write("\n")
EOF
EDITED_SUM=$(md5sum < "$CHROOT/etc/olla/config.json")

env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    chroot --userspec=olla:olla "$CHROOT" /usr/bin/olla --config /etc/olla/config.json \
    > "$LOGS/olla.log" 2>&1 &
OLLA_PID=$!
BASE="http://127.0.0.1:$PORT/olla/ollama"

check_health() {
    local body code
    for _ in $(seq 100); do
        if ! kill -0 "$OLLA_PID" 2>/dev/null; then
            echo "olla exited early:"
            tail_log "$LOGS/olla.log"
            ! grep -q 'Address already in use' "$LOGS/olla.log" ||
                echo "another process took port $PORT meanwhile; set OLLA_DEB_TEST_PORT to a free port"
            return 1
        fi
        code=$(curl -s -o "$LOGS/health.body" -w '%{http_code}' --max-time 2 "$BASE/") && [ "$code" = 200 ] && break
        sleep 0.2
    done
    body=$(cat "$LOGS/health.body" 2>/dev/null)
    [ "$code" = 200 ] || { echo "GET $BASE/ answered '$code'"; tail_log "$LOGS/olla.log"; return 1; }
    [ "$body" = "Ollama is running" ] || { echo "GET $BASE/ body was '$body'"; return 1; }
}
check "health: GET /olla/ollama/ -> 200 \"Ollama is running\" (installed olla running as user olla)" check_health

check_tags() {
    local expected got
    expected=$(curl -sf --max-time 5 "http://127.0.0.1:$MOCK_PORT/api/tags") || { echo "mock did not answer"; return 1; }
    got=$(curl -sf --max-time 10 "$BASE/api/tags") || { echo "GET $BASE/api/tags failed"; tail_log "$LOGS/olla.log"; return 1; }
    # Olla may merge the model lists of several endpoints and re-serialise them, so the
    # comparison is on the models (name and digest), not on the bytes.
    python3 -c '
import json, sys
def models(text):
    return sorted((m["name"], m.get("digest")) for m in json.loads(text)["models"])
expected, got = sys.argv[1], sys.argv[2]
try:
    ok = models(expected) == models(got)
except (ValueError, KeyError, TypeError) as error:
    ok = False
    print("not an Ollama model list:", error)
if not ok:
    print("expected:", expected)
    print("got:     ", got)
    sys.exit(1)
' "$expected" "$got"
}
check "proxy: GET /olla/ollama/api/tags returns the mock's model list" check_tags

check_sigterm() {
    local rc
    kill -0 "$OLLA_PID" 2>/dev/null || { echo "olla is not running"; return 1; }
    kill -TERM "$OLLA_PID"
    for _ in $(seq 300); do kill -0 "$OLLA_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$OLLA_PID" 2>/dev/null && { echo "olla still running 30s after SIGTERM"; return 1; }
    wait "$OLLA_PID"
    rc=$?
    [ "$rc" = 0 ] || { echo "olla exited with $rc after SIGTERM"; tail_log "$LOGS/olla.log"; return 1; }
    grep -q '"stopped"' "$LOGS/olla.log" || { echo "no 'stopped' log line"; return 1; }
}
# Runs in this shell, not in check's subshell, so `wait` can reap olla.
if check_sigterm > "$LOGS/sigterm.out" 2>&1; then
    pass "SIGTERM: olla drains and exits 0"
else
    fail "SIGTERM: olla drains and exits 0" "$(cat "$LOGS/sigterm.out")"
fi
stop_pid "$OLLA_PID"
OLLA_PID=""
stop_pid "$MOCK_PID"
MOCK_PID=""

# --- 10. Upgrade -------------------------------------------------------------------
# The same package with a higher version, as the next release would be.
UP_VERSION="$VERSION+upgradetest"
rm -rf "$WORK/upgrade" && mkdir -p "$WORK/upgrade"
dpkg-deb -R "$DEB" "$WORK/upgrade/tree"
sed -i "s/^Version: .*/Version: $UP_VERSION/" "$WORK/upgrade/tree/DEBIAN/control"
dpkg-deb --root-owner-group -b "$WORK/upgrade/tree" "$CHROOT/tmp/olla_upgrade.deb" > "$LOGS/upgrade-build.log" 2>&1 ||
    abort "build the upgrade package" "$(tail_log "$LOGS/upgrade-build.log")"
rm -rf "$WORK/upgrade"
check_upgrade() {
    apt_in_chroot install /tmp/olla_upgrade.deb > "$LOGS/upgrade.log" 2>&1 ||
        { echo "apt-get install of $UP_VERSION failed:"; tail_log "$LOGS/upgrade.log"; return 1; }
    local v perms
    v=$(in_chroot dpkg-query -W -f='${Version}' olla)
    [ "$v" = "$UP_VERSION" ] || { echo "installed version is $v"; return 1; }
    [ "$(md5sum < "$CHROOT/etc/olla/config.json")" = "$EDITED_SUM" ] ||
        { echo "the edited /etc/olla/config.json was replaced"; return 1; }
    perms=$(in_chroot stat -c '%U:%G %a' /etc/olla/config.json)
    [ "$perms" = "root:olla 640" ] || { echo "/etc/olla/config.json is $perms after upgrade"; return 1; }
    ! ls "$CHROOT"/etc/olla/*.dpkg-* >/dev/null 2>&1 || { echo "dpkg left $(ls "$CHROOT"/etc/olla/*.dpkg-*)"; return 1; }
    [ -L "$CHROOT/etc/systemd/system/multi-user.target.wants/olla.service" ] || { echo "unit no longer enabled"; return 1; }
}
check "upgrade to $UP_VERSION keeps the edited conffile, its mode and the enablement" check_upgrade

# --- 11. systemd-analyze verify ----------------------------------------------------
if [ "${OLLA_DEB_TEST_SYSTEMD:-1}" != 0 ]; then
    log "installing systemd in the root for systemd-analyze verify"
    check_analyze() {
        apt_in_chroot install --no-install-recommends systemd > "$LOGS/systemd-install.log" 2>&1 ||
            { echo "installing systemd failed:"; tail_log "$LOGS/systemd-install.log"; return 1; }
        save_apt_cache
        # --man=no: man-db is not installed in the root; lintian checks the man page.
        in_chroot systemd-analyze verify --man=no olla.service > "$LOGS/systemd-analyze.log" 2>&1
        local rc=$?
        cat "$LOGS/systemd-analyze.log"
        [ "$rc" = 0 ] || { echo "systemd-analyze verify exited $rc"; return 1; }
        ! grep -q 'olla' "$LOGS/systemd-analyze.log" || { echo "systemd-analyze complained about olla.service"; return 1; }
    }
    check "systemd-analyze verify olla.service (inside the root)" check_analyze
fi

# --- 12. Remove --------------------------------------------------------------------
check_remove() {
    apt_in_chroot remove olla > "$LOGS/remove.log" 2>&1 || { echo "apt-get remove failed:"; tail_log "$LOGS/remove.log"; return 1; }
    local status
    status=$(in_chroot dpkg-query -W -f='${Status}' olla)
    [ "$status" = "deinstall ok config-files" ] || { echo "dpkg status after remove: $status"; return 1; }
    [ ! -e "$CHROOT/usr/bin/olla" ] || { echo "/usr/bin/olla is still there"; return 1; }
    [ ! -e "$CHROOT/lib/systemd/system/olla.service" ] || { echo "the unit is still there"; return 1; }
    [ "$(md5sum < "$CHROOT/etc/olla/config.json" 2>/dev/null)" = "$EDITED_SUM" ] ||
        { echo "the edited /etc/olla/config.json did not survive remove"; return 1; }
    in_chroot getent passwd olla >/dev/null || { echo "user olla removed on remove (should stay until purge)"; return 1; }
}
check "apt-get remove: binary and unit gone, edited config and user kept" check_remove

# --- 13. Purge ---------------------------------------------------------------------
check_purge() {
    apt_in_chroot purge olla > "$LOGS/purge.log" 2>&1 || { echo "apt-get purge failed:"; tail_log "$LOGS/purge.log"; return 1; }
    if in_chroot dpkg-query -W -f='${Status}' olla 2>/dev/null | grep -qv 'not-installed'; then
        echo "dpkg still knows olla: $(in_chroot dpkg-query -W -f='${Status}' olla)"; return 1
    fi
    [ ! -e "$CHROOT/etc/olla" ] || { echo "/etc/olla still exists: $(ls -A "$CHROOT/etc/olla")"; return 1; }
    ! in_chroot getent passwd olla >/dev/null || { echo "user olla still exists"; return 1; }
    ! in_chroot getent group olla >/dev/null || { echo "group olla still exists"; return 1; }
    [ -z "$(in_chroot dpkg-statoverride --list /etc/olla/config.json)" ] || { echo "statoverride left behind"; return 1; }
    local left
    left=$(find "$CHROOT/etc/systemd" -name 'olla.service' 2>/dev/null)
    [ -z "$left" ] || { echo "systemd links left: $left"; return 1; }
}
check "apt-get purge: /etc/olla, user, group, statoverride and unit links gone" check_purge

log "done"
exit 0
