# Sourced by scripts/libmicrohttpd/build.sh and scripts/libcurl/build.sh: sets `as_root` to
# what an install into $PREFIX must run under — nothing when $PREFIX/lib is writable (root,
# or a PREFIX of one's own), else sudo when it can be used without a prompt or from a
# terminal — or stops with what to do instead.
as_root=()
if [ "$(id -u)" != 0 ] && ! { mkdir -p "$PREFIX/lib" 2>/dev/null && [ -w "$PREFIX/lib" ]; }; then
    if command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
        as_root=(sudo)
    else
        echo "cannot write to $PREFIX: run as root, or PREFIX=... $0" >&2
        exit 1
    fi
fi
