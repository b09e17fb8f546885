// Thin typed wrappers around libmicrohttpd for what Swift cannot call or import directly.
// No logic lives here: each entry only exists because of a Swift/C interop limit.
#ifndef OLLA_CMICROHTTPD_SHIM_H
#define OLLA_CMICROHTTPD_SHIM_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

// Why: Olla needs the libmicrohttpd that scripts/libmicrohttpd/build.sh makes (Debian's
// 0.9.75 with patches: its own error answers written once, with JSON bodies). Only that
// build defines this symbol, so linking against any other libmicrohttpd fails here
// ("undefined reference to olla_libmicrohttpd_patched": run `make build-deps`).
// Patch 0011 exports the second: Olla's response reader suspends the connection in the call
// that returns its last bytes, which only a build with that patch sends before suspending.
// Patch 0013 exports the third: Olla sends a chunk itself to a stream whose client waits
// idle (olla_MHD_send_chunk).
extern const int olla_libmicrohttpd_patched;
extern const int olla_libmicrohttpd_holds_reader_suspension;
extern const int olla_libmicrohttpd_sends_chunks_directly;
static inline int cmhd_patched_build(void) {
    return olla_libmicrohttpd_patched && olla_libmicrohttpd_holds_reader_suspension
        && olla_libmicrohttpd_sends_chunks_directly;
}

// Why: MHD_SIZE_UNKNOWN is a ((uint64_t) -1LL) macro, which Swift does not import.
static const uint64_t cmhd_size_unknown = MHD_SIZE_UNKNOWN;

// Why: MHD_CONTENT_READER_END_OF_STREAM / END_WITH_ERROR (and the patched build's
// OLLA_MHD_CONTENT_READER_MORE_ROOM) are casts of -1 / -2 / -3 to ssize_t.
static const ssize_t cmhd_reader_end_of_stream = MHD_CONTENT_READER_END_OF_STREAM;
static const ssize_t cmhd_reader_end_with_error = MHD_CONTENT_READER_END_WITH_ERROR;
static const ssize_t cmhd_reader_more_room = OLLA_MHD_CONTENT_READER_MORE_ROOM;

// Why: MHD_start_daemon is variadic. All options travel in one MHD_OPTION_ARRAY.
static inline struct MHD_Daemon *cmhd_start_daemon(unsigned int flags,
                                                   MHD_AccessHandlerCallback handler,
                                                   void *handler_cls,
                                                   const struct MHD_OptionItem *options) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

// Why: MHD_get_connection_info is variadic.
static inline int cmhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

// Why: MHD_get_connection_info is variadic.
static inline int cmhd_connection_suspended(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_SUSPENDED);
    return info != NULL && info->suspended == MHD_YES;
}

// Why: MHD_get_connection_info is variadic; the peer address sits in a union.
static inline const struct sockaddr *cmhd_connection_peer(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

// Why: MHD_quiesce_daemon returns MHD_socket, a typedef Swift sees as Int32 only on Linux.
static inline int cmhd_quiesce_daemon(struct MHD_Daemon *daemon) {
    return (int)MHD_quiesce_daemon(daemon);
}

// Why: MHD_get_daemon_info is variadic. The epoll fd lets Olla's own event loop wait on
// libmicrohttpd's sockets together with libcurl's.
static inline int cmhd_daemon_epoll_fd(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD);
    return info == NULL ? -1 : info->epoll_fd;
}

// Why: MHD_UNSIGNED_LONG_LONG is a macro type; this returns -1 when there is no timeout.
static inline long long cmhd_timeout_ms(struct MHD_Daemon *daemon) {
    MHD_UNSIGNED_LONG_LONG timeout = 0;
    return MHD_get_timeout(daemon, &timeout) == MHD_YES ? (long long)timeout : -1;
}

#endif
