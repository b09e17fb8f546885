#!/usr/bin/env bash
# Builds out/olla_<version>_<arch>.deb from the working tree (`make deb`).
#
#   packaging/build-deb.sh [--out DIR] [--no-lint]
#
# The release binary is built with the Swift standard library linked statically
# (--static-swift-stdlib), so it needs no Swift runtime, then stripped. The package
# tree is assembled by hand under .build-deb/deb/ and packed with dpkg-deb; Depends
# is computed from the binary by dpkg-shlibdeps. The Debian version is the top entry
# of packaging/debian/changelog, whose upstream part must equal OllaVersion.string
# (Sources/OllaCore/Version.swift). lintian runs at the end when it is installed and
# the build fails if it reports errors (--no-lint or OLLA_DEB_LINT=0 skips it).
#
# Environment: SWIFT (default swift), OLLA_DEB_LINT (auto|1|0, default auto).
# Needs: swift, dpkg-dev (dpkg-shlibdeps, dpkg-parsechangelog), binutils (strip), gzip.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SWIFT=${SWIFT:-swift}
LINT=${OLLA_DEB_LINT:-auto}
OUT=out
SCRATCH=.build-deb
PKG=olla
DEBIAN_SRC=packaging/debian

while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT=$2; shift 2 ;;
        --no-lint) LINT=0; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-deb: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

log() { printf 'build-deb: %s\n' "$*" >&2; }
die() { printf 'build-deb: error: %s\n' "$*" >&2; exit 1; }

for tool in "$SWIFT" dpkg-deb dpkg-shlibdeps dpkg-parsechangelog strip gzip; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "'$tool' not found (apt-get install dpkg-dev binutils gzip; Swift 6 for swift)"
done

# --- Version -----------------------------------------------------------------------
UPSTREAM=$(sed -n 's/.*static let string *= *"\([^"]*\)".*/\1/p' Sources/OllaCore/Version.swift)
[ -n "$UPSTREAM" ] || die "cannot read OllaVersion.string from Sources/OllaCore/Version.swift"
VERSION=$(dpkg-parsechangelog -l "$DEBIAN_SRC/changelog" -S Version)
if [ "${VERSION%-*}" != "$UPSTREAM" ]; then
    die "$DEBIAN_SRC/changelog's latest entry is $VERSION but OllaVersion.string is $UPSTREAM;
  add an entry '$PKG ($UPSTREAM-1) ...' at the top of $DEBIAN_SRC/changelog (dch -v $UPSTREAM-1)"
fi
# Every timestamp in the package is the changelog date, so rebuilds are reproducible.
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$DEBIAN_SRC/changelog" -S Timestamp)
CHANGELOG_DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
ARCH=$(dpkg --print-architecture)
DEB_NAME="${PKG}_${VERSION}_${ARCH}.deb"
log "version $VERSION ($ARCH)"

# --- Binary ------------------------------------------------------------------------
# Full RELRO and immediate binding, as Debian's hardening flags give C programs.
BUILD_FLAGS=(-c release --static-swift-stdlib --scratch-path "$SCRATCH"
    -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now)
BIN_DIR=$("$SWIFT" build "${BUILD_FLAGS[@]}" --show-bin-path)
BIN="$BIN_DIR/olla"
# libcurl is linked in statically (scripts/libcurl/build.sh): a package is built against
# Debian's current curl revision, with its security fixes. When Debian has published a newer
# one, the library is rebuilt, and the binary relinked (SwiftPM does not see the library change).
log "scripts/libcurl/build.sh --refresh"
scripts/libcurl/build.sh --refresh >&2
LIBCURL_OLLA="${PREFIX:-/usr/local}/lib/libcurl-olla.a"
if [ -f "$BIN" ] && [ "$LIBCURL_OLLA" -nt "$BIN" ]; then
    rm -f "$BIN"
fi
log "$SWIFT build ${BUILD_FLAGS[*]} --product olla"
"$SWIFT" build "${BUILD_FLAGS[@]}" --product olla >&2
[ -x "$BIN" ] || die "no binary at $BIN"
BUILT_VERSION=$("$BIN" --version)
[ "$BUILT_VERSION" = "$UPSTREAM" ] || die "built binary reports version '$BUILT_VERSION', expected '$UPSTREAM'"

# --- Package tree ------------------------------------------------------------------
umask 022
WORK="$SCRATCH/deb"
TREE="$WORK/${PKG}_${VERSION}_${ARCH}"
rm -rf "$TREE"
mkdir -p "$TREE/DEBIAN"

install -D -m 0755 "$BIN" "$TREE/usr/bin/olla"
# What dh_strip does for executables: drop the symbol tables and debug information.
strip --remove-section=.comment --remove-section=.note "$TREE/usr/bin/olla"

install -D -m 0644 "$DEBIAN_SRC/config.json" "$TREE/etc/olla/config.json"
"$TREE/usr/bin/olla" --validate-config "$TREE/etc/olla/config.json" >/dev/null ||
    die "$DEBIAN_SRC/config.json does not pass olla --validate-config"

# Debian 12 keeps units in /lib/systemd/system (units move to /usr/lib in Debian 13).
install -D -m 0644 "$DEBIAN_SRC/olla.service" "$TREE/lib/systemd/system/olla.service"

mkdir -p "$TREE/usr/share/man/man1"
sed -e "s/@VERSION@/$UPSTREAM/" -e "s/@DATE@/$CHANGELOG_DATE/" "$DEBIAN_SRC/olla.1" |
    gzip -9n > "$TREE/usr/share/man/man1/olla.1.gz"

DOC="$TREE/usr/share/doc/$PKG"
install -D -m 0644 "$DEBIAN_SRC/copyright" "$DOC/copyright"
gzip -9n < "$DEBIAN_SRC/changelog" > "$DOC/changelog.Debian.gz"
install -D -m 0644 "$DEBIAN_SRC/lintian-overrides" "$TREE/usr/share/lintian/overrides/$PKG"
# Documentation for administrators; Debian policy compresses files above 4 KiB.
for doc in docs/deployment.md docs/configuration.md; do
    if [ -f "$doc" ]; then
        if [ "$(stat -c %s "$doc")" -gt 4096 ]; then
            gzip -9n < "$doc" > "$DOC/$(basename "$doc").gz"
        else
            install -m 0644 "$doc" "$DOC/"
        fi
    else
        log "note: $doc not found, not shipped"
    fi
done
chmod 0644 "$DOC"/* "$TREE/usr/share/man/man1/olla.1.gz"

# --- Control files -----------------------------------------------------------------
# dpkg-shlibdeps wants to run from a source tree with debian/control.
SHLIBS_DIR="$WORK/shlibdeps"
rm -rf "$SHLIBS_DIR"
mkdir -p "$SHLIBS_DIR/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PKG" "$PKG" > "$SHLIBS_DIR/debian/control"
SHLIBS=$(cd "$SHLIBS_DIR" && dpkg-shlibdeps -O "$ROOT/$TREE/usr/bin/olla")
SHLIBS=${SHLIBS#shlibs:Depends=}
[ -n "$SHLIBS" ] || die "dpkg-shlibdeps found no dependencies"
# adduser: postinst creates the user. procps: /bin/kill for the unit's ExecReload.
DEPENDS="adduser, procps, $SHLIBS"
log "Depends: $DEPENDS"

INSTALLED_SIZE=$(du -s -k --apparent-size "$TREE" --exclude=DEBIAN | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" \
    -e "s/@INSTALLED_SIZE@/$INSTALLED_SIZE/" -e "s/@DEPENDS@/$DEPENDS/" \
    "$DEBIAN_SRC/control" > "$TREE/DEBIAN/control"
install -m 0644 "$DEBIAN_SRC/conffiles" "$TREE/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "$DEBIAN_SRC/$script" "$TREE/DEBIAN/$script"
done
(cd "$TREE" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z |
    xargs -0 md5sum) > "$TREE/DEBIAN/md5sums"
chmod 0644 "$TREE/DEBIAN/md5sums"

find "$TREE" -type d -exec chmod 0755 {} +
find "$TREE" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +

# --- Pack --------------------------------------------------------------------------
mkdir -p "$OUT"
rm -f "$OUT/${PKG}_"*"_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$TREE" "$OUT/$DEB_NAME" >&2
log "built $OUT/$DEB_NAME ($(du -h "$OUT/$DEB_NAME" | cut -f1))"

# --- Lint --------------------------------------------------------------------------
if [ "$LINT" = auto ]; then
    if command -v lintian >/dev/null 2>&1; then LINT=1; else
        LINT=0; log "lintian not installed, skipped (apt-get install lintian)"
    fi
fi
if [ "$LINT" = 1 ]; then
    log "lintian $OUT/$DEB_NAME"
    # Exit status 1 on errors only (--fail-on error); warnings are printed.
    lintian --fail-on error "$OUT/$DEB_NAME" >&2 ||
        die "lintian reported errors"
fi

echo "$OUT/$DEB_NAME"
