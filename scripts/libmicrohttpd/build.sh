#!/usr/bin/env bash
# Builds the libmicrohttpd Olla links: Debian 12's own release (0.9.75, the orig tarball of
# Debian's source package, checked against the sha256 in its .dsc) with the patches in this
# directory, as the static library `libmicrohttpd-olla.a` with its own header directory and
# pkg-config name (`libmicrohttpd-olla`) under $PREFIX (default /usr/local). Its own name
# keeps it apart from Debian's libmicrohttpd-dev: the linker can never pick the other one.
#
#   scripts/libmicrohttpd/build.sh          # does nothing when this exact build is installed
#
# Why a rebuild: libmicrohttpd 0.9.75 writes the status line and headers of some of its own
# error answers twice (a malformed or huge Content-Length: `Content-Length: +81`), answers in
# HTML, and waits for the timeout on a request line that starts with NUL. 0001 is the one-line
# state check libmicrohttpd 1.0 has; 0002 lets Olla write the bodies of those answers (JSON in
# the error shape of the request's route: olla_MHD_set_error_body_callback) and exports the
# symbol `olla_libmicrohttpd_patched`, which Olla's shim refers to, so a build that picked up
# an unpatched libmicrohttpd fails to link instead of shipping the bug; 0003 answers 400 at
# once to a request line that cannot be one (a NUL, control byte or garbage before the
# method, a control byte in it); 0004 stops clearing the connection's memory pool between
# keep-alive requests (a 32 KiB memset per request that nothing needs); 0005 adds
# olla_MHD_run_unpolled, MHD_run without the epoll_wait Olla's own wait made needless; 0006
# keeps a suspended connection's socket in the epoll set (no epoll_ctl per suspension); 0007
# lets a connection's memory pool start small and grow only where it would run out
# (MHD_OPTION_OLLA_CONNECTION_MEMORY_START: 32 KiB per open stream -> 4 KiB); 0008 adds a
# response's headers in one call and one allocation (olla_MHD_add_response_headers); 0009
# stops splitting the query into GET arguments Olla never reads (a long query ran the
# connection's pool out and was never answered); 0010 resumes a connection without walking
# every suspended one (the work per forwarded chunk grew with the number of open streams);
# 0011 holds a suspension the content reader asks for while returning data until that data
# is sent (one reader call per forwarded chunk instead of two) and exports the symbol
# olla_libmicrohttpd_holds_reader_suspension, which Olla's shim refers to as well; 0012 lets
# it build without threads (--with-threads=none below: no mutex pairs per forwarded chunk);
# 0013 lets Olla send a chunk itself to a stream whose client waits idle (suspended between
# chunks, nothing buffered): olla_MHD_send_chunk, one send() instead of a resume, a run, a
# reader call and a suspension; it exports olla_libmicrohttpd_sends_chunks_directly, which
# Olla's shim refers to as well; 0014 has a resumed connection read its socket only when an
# event said it may hold data (a connection that waited for the backend's answer read it
# anyway and got EAGAIN: one recv() per proxied request); 0015 measures a response's header
# block once and takes the backend's Date into it (it went through MHD_add_response_header:
# an allocation and two strdup()s per response); 0016 replaces four byte-at-a-time loops over
# a request and its answer by memchr()/strcspn() or a shorter one: the end of each head line,
# the target's unescaping up to its first '%', the response headers' CR/LF check (once per
# block) and the Content-Length digits; 0017 adds olla_MHD_add_response_header_lines: a
# response's headers handed over already written as head lines ("Name: value\r\n"), which
# the application has checked, copied once into the response and once into the reply's head
# (0008's block was measured, split, checked and copied header by header); 0018 checks a
# request line's bytes after the method for control bytes eight at a time.
# Each patch starts with what it does. See docs/security.md.
# Debian's only patch to this release fixes the PostProcessor, which is not compiled here.
#
# Static: the binary (and the Debian package) then needs no libmicrohttpd12. libmicrohttpd
# is LGPL-2.1+; Olla's source, with this script, is what relinks it.
set -euo pipefail

VERSION=0.9.75
TARBALL=libmicrohttpd_${VERSION}.orig.tar.xz
SHA256=796e7e217a4802679fcac667a4e98501c53185dcf50ca0583870e84192620131
URLS=(
    "http://deb.debian.org/debian/pool/main/libm/libmicrohttpd/$TARBALL"
    "http://archive.debian.org/debian/pool/main/libm/libmicrohttpd/$TARBALL"
)
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-/usr/local}
PATCHES=("$HERE"/0*.patch)
# The stamp names the release and the patches: a changed patch means a rebuild.
PC_FILE="$PREFIX/lib/pkgconfig/libmicrohttpd-olla.pc"
LIB_FILE="$PREFIX/lib/libmicrohttpd-olla.a"
STAMP="$VERSION $(cat "$0" "${PATCHES[@]}" | sha256sum | cut -c1-16)"

if [ -f "$LIB_FILE" ] && grep -qx "# olla-stamp: $STAMP" "$PC_FILE" 2>/dev/null; then
    exit 0
fi

# shellcheck source=../install-as.sh
. "$HERE/../install-as.sh"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "building libmicrohttpd $VERSION with Olla's patches into $PREFIX (about a minute)"
for url in "${URLS[@]}"; do
    curl -fsSL --retry 2 -o "$WORK/$TARBALL" "$url" && break
done
[ -s "$WORK/$TARBALL" ] || { echo "could not download $TARBALL" >&2; exit 1; }
echo "$SHA256  $WORK/$TARBALL" | sha256sum -c --quiet - || { echo "$TARBALL: checksum mismatch" >&2; exit 1; }
tar -xJf "$WORK/$TARBALL" -C "$WORK"
SRC="$WORK/libmicrohttpd-$VERSION"
for patch in "${PATCHES[@]}"; do
    patch -s -p1 -d "$SRC" < "$patch"
done
(
    cd "$SRC"
    # Only what Olla uses: no TLS, no PostProcessor, no authentication helpers, no upgrade.
    # No threads (--with-threads=none): Olla runs each daemon, and makes every call into it,
    # on its worker's loop thread (a resume from another thread is posted to that loop, see
    # RequestContext.resume), so libmicrohttpd's mutexes guard nothing there; they were ~8
    # pthread_mutex lock/unlock pairs per forwarded chunk (~0.45 K instructions). This build
    # refuses MHD_USE_INTERNAL_POLLING_THREAD and thread-per-connection, which Olla never asks for.
    ./configure -q --prefix="$PREFIX" --disable-shared --enable-static --with-pic \
        --disable-https --disable-curl --disable-doc --disable-examples --disable-postprocessor \
        --disable-dauth --disable-bauth --disable-httpupgrade --enable-messages \
        --with-threads=none >/dev/null
    make -s -j"$(nproc)" -C src/microhttpd >/dev/null
)
cat > "$WORK/libmicrohttpd-olla.pc" <<PC
# olla-stamp: $STAMP
prefix=$PREFIX
Name: libmicrohttpd-olla
Description: libmicrohttpd $VERSION with Olla's patches (scripts/libmicrohttpd/build.sh)
Version: $VERSION
Libs: -L\${prefix}/lib -lmicrohttpd-olla
Cflags: -I\${prefix}/include/microhttpd-olla
PC
"${as_root[@]}" install -D -m 644 "$SRC/src/microhttpd/.libs/libmicrohttpd.a" "$LIB_FILE"
"${as_root[@]}" install -D -m 644 "$SRC/src/include/microhttpd.h" "$PREFIX/include/microhttpd-olla/microhttpd.h"
"${as_root[@]}" install -D -m 644 "$WORK/libmicrohttpd-olla.pc" "$PC_FILE"
echo "installed libmicrohttpd $VERSION (patched, static) as $LIB_FILE"
