#!/usr/bin/env bash
# Builds the libcurl Olla links: Debian 12's curl source package as Debian ships it today
# (7.88.1, the orig tarball with the current bookworm or bookworm-security revision's
# patches: its security fixes) with the patches in this directory on top, as the static
# library `libcurl-olla.a` with its own header directory and pkg-config name (`libcurl-olla`)
# under $PREFIX (default /usr/local). Its own name keeps it apart from Debian's
# libcurl4-openssl-dev: the linker can never pick the other one.
#
#   scripts/libcurl/build.sh             # does nothing when this exact build is installed
#   scripts/libcurl/build.sh --refresh   # also rebuilds when Debian has a newer revision
#   FORCE=1 scripts/libcurl/build.sh     # installs this tree's build even over a newer one
#
# The source comes through apt, with a private sources list and state directory (nothing in
# the system's apt configuration or lists changes): `apt-get update` checks the Release
# files' signatures against Debian's archive keyring and the Sources indexes against them,
# `apt-get source` checks every file of the source package against the signed index, and
# dpkg-source checks them against the .dsc again. apt picks the highest revision of bookworm
# and bookworm-security, so a build gets every fix Debian has published (Debian's pool drops
# superseded revisions: a pinned .debian.tar.xz would stop downloading).
#
# Debian's patches are applied as its debian/rules does for libcurl4 (the OpenSSL flavour):
# the whole series but the last two, which rename the library for the GnuTLS and NSS
# flavours. No autoreconf: the Debian patches that touch configure.ac (zsh completion,
# GSSAPI, LDAP) change nothing this build enables; the script stops if one touches lib/'s
# Makefiles (a new source file would need it).
#
# Why a rebuild: libcurl's share of a small proxied request (~70 K instructions, docs/
# benchmarks.md) is mostly work Olla does not need done that way. 0001 exports the symbol
# `olla_libcurl_patched`, which Olla's shim refers to, so a build that picked up an unpatched
# libcurl fails to link; 0002 appends the request head to its buffer in runs instead of a
# byte at a time through the printf engine; 0003 skips the liveness poll of a connection used
# less than a second ago when the request can be sent again on a fresh one; 0004 reads every
# transfer's answer into one receive buffer per multi handle, lent per read, instead of a
# 16 KiB buffer each open stream holds; 0005 keeps an easy handle's parse of its URL while
# the next transfer sets the same URL string; 0006 writes the request line, Host,
# Content-Length and the connection cache's key without the printf engine; 0007 skips the
# poll after a read that left a plain socket empty (one per forwarded chunk); 0008 skips
# header lines by their first byte in libcurl's header lookups and prunes the DNS cache at
# most once a second; 0009 skips the walk over the connection cache for connect-only
# connections when a handle that never made one is removed, and free() of option strings
# that are not set at each reset; 0010 lets response lines starting with 's' or 'a' skip
# the header comparisons when cookies, HSTS and alt-svc are compiled out; 0011 copies the
# TLS settings into a transfer's new connection struct only when it is kept (or compared:
# TLS, proxies), not for each reuse of a cached connection; 0012 starts the retry counter at
# zero for every transfer (only curl_easy_reset did: Olla no longer resets its pooled
# handles between transfers); 0013 allocates a transfer's connect buffer only when its
# connection is new (a transfer on a reused HTTP connection read nothing into its 16 KiB,
# allocated and freed per request); 0014 reads the usual HTTP/1.x status line by hand
# instead of with sscanf (any other line still goes to sscanf); 0015 runs the only transfer
# on a socket directly for an event on that socket, not through the timer tree (unless a
# timer of its own is due); 0016 sums a chunk's hex size digit by digit instead of calling
# strtoll; 0017 gives the request head's buffer 1 KiB at once instead of growing it from
# its first line by five reallocs; 0018 compares a response line with a header name only
# when the line's name has that name's length, and a custom request line with Host,
# Authorization and Cookie only when its first letter is theirs; 0019 keeps, with a URL
# parse 0005 keeps, the scheme's protocol table entry and the port number it gave; 0020
# folds case in curl_strequal / curl_strnequal only where the bytes differ; 0021 holds the
# clock for the length of each curl_multi_* call that runs transfers (one clock reading per
# call, not ~30 per transfer; timers still placed and compared on fresh readings); 0022 lets
# a transfer that only reads, on a plain HTTP/1 socket, try its read where it polled the
# socket first (the poll syscall right after each request was sent); 0023 lets such a
# transfer wait for its socket's event instead of that read (rarely anything there yet: a
# read returning EAGAIN per request); 0024 finds a cached connection for a plain-HTTP
# transfer without a proxy or credentials by comparing the handle's scheme, host name and
# port with the cached connections, not through a needle connection struct built and freed
# per transfer (every check ConnectionExists makes kept); 0025 skips the progress update after each step of a transfer's state machine when
# neither a progress meter or callback nor a low speed check can see it; 0026 appends a
# custom request header line and its CRLF in one step; 0027 keeps a socket's transfers in a
# table of one slot where no protocol shares a socket between transfers (no HTTP/2 or /3
# built); 0028 keeps a socket's entry in the multi handle's socket hash between a kept
# connection's transfers instead of freeing it and building it again; 0029 searches a header
# value for a word (Connection: close) only where its first byte can match; 0030 keeps a
# handle's Host: line and first host name while they stay the same instead of copying them
# per transfer; 0031 lets singlesocket treat an idle kept entry (0028) as no entry, as the
# rest of multi.c does. Each patch starts
# with what it does and why. See docs/security.md.
#
# What is compiled: HTTP and HTTPS (OpenSSL, linked dynamically against Debian's libssl3, so
# its security updates apply without rebuilding Olla), IPv6, Unix sockets, the threaded
# resolver, proxies (libcurl honours the proxy variables when set, as before); no other
# protocol, no content decoding (Olla passes bytes through), no HTTP/2, no cookies, no
# headers API. Verbose strings stay: without them curl_easy_strerror answers "Error", and
# Olla logs and reports libcurl's text for a failed transfer.
#
# Static: the binary (and the Debian package) then needs no libcurl4. libcurl's licence
# (curl, MIT-style) allows that; see packaging/debian/copyright.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-/usr/local}
REFRESH=0
[ "${1:-}" = --refresh ] && REFRESH=1
PATCHES=("$HERE"/0*.patch)
PC_FILE="$PREFIX/lib/pkgconfig/libcurl-olla.pc"
LIB_FILE="$PREFIX/lib/libcurl-olla.a"
# The stamp names the script and the patches: a changed patch means a rebuild. The Debian
# revision built is recorded beside it (`debian-version:`), for --refresh.
STAMP="$(cat "$0" "${PATCHES[@]}" | sha256sum | cut -c1-16)"
INSTALLED_REVISION=$(sed -n 's/^# debian-version: //p' "$PC_FILE" 2>/dev/null || true)

stamped() { [ -f "$LIB_FILE" ] && grep -qx "# olla-stamp: $STAMP" "$PC_FILE" 2>/dev/null; }
if [ "$REFRESH" = 0 ] && stamped; then
    exit 0
fi
# The patches by name (`olla-patches:`): a tree that lacks some of the installed build's
# patches (an older checkout, a branch not rebased yet on a shared machine) keeps the newer
# build rather than reinstalling its own over it; every patch is behaviour-identical for
# Olla's code, and 0001's symbol still links. FORCE=1 installs this tree's build anyway.
PATCH_NAMES=$(for patch in "${PATCHES[@]}"; do basename "$patch" .patch; done | tr '\n' ' ')
INSTALLED_PATCHES=$(sed -n 's/^# olla-patches: //p' "$PC_FILE" 2>/dev/null || true)
if [ "${FORCE:-0}" != 1 ] && [ -f "$LIB_FILE" ] && [ -n "$INSTALLED_PATCHES" ]; then
    missing=$(for name in $INSTALLED_PATCHES; do
        case " $PATCH_NAMES " in *" $name "*) ;; *) printf '%s ' "$name" ;; esac
    done)
    if [ -n "$missing" ]; then
        echo "libcurl-olla in $PREFIX has patches this tree lacks (${missing% }): kept (FORCE=1 $0 installs this tree's)" >&2
        exit 0
    fi
fi

for tool in apt-get dpkg-source dpkg-buildflags make gcc patch; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found (make build-deps installs it)" >&2; exit 1; }
done
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || { echo "$KEYRING missing (apt-get install debian-archive-keyring)" >&2; exit 1; }

# shellcheck source=../install-as.sh
. "$HERE/../install-as.sh"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# apt downloads as the unprivileged _apt user where it can: it must be able to enter WORK.
chmod 755 "$WORK"
mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/apt/parts" "$WORK/get"
cat > "$WORK/apt/sources.list" <<LIST
deb-src [signed-by=$KEYRING] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$KEYRING] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=$KEYRING] http://deb.debian.org/debian-security bookworm-security main
LIST
APT=(apt-get -q -o Dir::Etc::SourceList="$WORK/apt/sources.list" -o Dir::Etc::SourceParts="$WORK/apt/parts"
     -o Dir::State::Lists="$WORK/apt/lists" -o Dir::Cache="$WORK/apt/cache"
     -o APT::Sandbox::User="$(id -un)")
echo "fetching Debian 12's current curl source package (apt, private lists)"
"${APT[@]}" update >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log" >&2; echo "apt-get update failed" >&2; exit 1; }
(cd "$WORK/get" && "${APT[@]}" source --download-only curl) >>"$WORK/apt.log" 2>&1 \
    || { cat "$WORK/apt.log" >&2; echo "apt-get source curl failed" >&2; exit 1; }
DSC=$(ls "$WORK"/get/curl_*.dsc)
REVISION=$(sed -n 's/^Version: //p' "$DSC")
VERSION=${REVISION%%-*}
if [ "$REFRESH" = 1 ] && stamped && [ "$INSTALLED_REVISION" = "$REVISION" ]; then
    echo "libcurl-olla is built from Debian's current curl $REVISION"
    exit 0
fi

echo "building libcurl $REVISION with Olla's patches into $PREFIX (about 2 minutes)"
SRC="$WORK/curl-$VERSION"
# dpkg-source checks the files against the .dsc; it cannot check the .dsc's own signature
# (no debian-keyring here) and says so: that is what apt's signed index already covered.
dpkg-source -q --skip-patches -x "$DSC" "$SRC" >"$WORK/dpkg-source.log" 2>&1 \
    || { cat "$WORK/dpkg-source.log" >&2; exit 1; }
# Debian's series for libcurl4: all but the last two patches (90_gnutls, 99_nss).
mapfile -t SERIES < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SRC/debian/patches/series")
LAST=$(( ${#SERIES[@]} - 2 ))
case "${SERIES[$LAST]} ${SERIES[$LAST + 1]}" in
    *gnutls*" "*nss*) ;;
    *) echo "curl $REVISION: debian/patches/series no longer ends with the GnuTLS and NSS patches" >&2; exit 1 ;;
esac
for name in "${SERIES[@]:0:$LAST}"; do
    if grep -q '^+++ [^/]*/lib/Makefile' "$SRC/debian/patches/$name"; then
        echo "curl $REVISION: Debian patch $name changes lib/'s Makefiles: this script needs autoreconf now" >&2
        exit 1
    fi
    patch -s -p1 -d "$SRC" < "$SRC/debian/patches/$name"
done
for patch in "${PATCHES[@]}"; do
    patch -s -p1 -d "$SRC" < "$patch"
done
(
    cd "$SRC"
    # Debian's hardening flags, as its own build uses them; source paths in the debug
    # information read libcurl-olla/lib/*.c (profiles tell libcurl's code from Olla's by them).
    export CFLAGS CPPFLAGS LDFLAGS
    CFLAGS="$(dpkg-buildflags --get CFLAGS | sed 's/-ffile-prefix-map=[^ ]*//g') -ffile-prefix-map=$SRC=libcurl-olla"
    CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS) -DCURL_PATCHSTAMP=\\\"$REVISION+olla\\\""
    LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
    ./configure -q --prefix="$PREFIX" --disable-shared --enable-static --with-pic \
        --disable-dependency-tracking --enable-symbol-hiding \
        --with-openssl --with-ca-path=/etc/ssl/certs --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt \
        --enable-http --enable-proxy --enable-ipv6 --enable-unix-sockets --enable-threaded-resolver \
        --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
        --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
        --disable-gopher --disable-mqtt --disable-websockets \
        --disable-manual --disable-libcurl-option --disable-cookies \
        --disable-alt-svc --disable-hsts --disable-doh --disable-mime --disable-netrc \
        --disable-ntlm --disable-ntlm-wb --disable-tls-srp --disable-headers-api \
        --disable-get-easy-options --disable-progress-meter --disable-dnsshuffle \
        --without-zlib --without-brotli --without-zstd --without-libidn2 --without-libpsl \
        --without-nghttp2 --without-ngtcp2 --without-nghttp3 --without-libssh2 --without-libssh \
        --without-librtmp --without-gssapi --without-hyper --without-libgsasl \
        --without-zsh-functions-dir --without-fish-functions-dir >"$WORK/configure.log" 2>&1 \
        || { tail -30 "$WORK/configure.log" >&2; exit 1; }
    make -s -j"$(nproc)" -C lib >/dev/null
)
cat > "$WORK/libcurl-olla.pc" <<PC
# olla-stamp: $STAMP
# olla-patches: ${PATCH_NAMES% }
# debian-version: $REVISION
prefix=$PREFIX
Name: libcurl-olla
Description: libcurl $REVISION (Debian 12's source package) with Olla's patches (scripts/libcurl/build.sh)
Version: $VERSION
Libs: -L\${prefix}/lib -lcurl-olla -lssl -lcrypto -lpthread
Cflags: -I\${prefix}/include/curl-olla
PC
"${as_root[@]}" install -D -m 644 "$SRC/lib/.libs/libcurl.a" "$LIB_FILE"
for header in "$SRC"/include/curl/*.h; do
    "${as_root[@]}" install -D -m 644 "$header" "$PREFIX/include/curl-olla/curl/$(basename "$header")"
done
"${as_root[@]}" install -D -m 644 "$WORK/libcurl-olla.pc" "$PC_FILE"
echo "installed libcurl $REVISION (patched, static) as $LIB_FILE"
