import CMicroHTTPD
import OllaCore
import OllaEngine

/// Per-request state the inbound server keeps for libmicrohttpd.
///
/// Owners: libmicrohttpd's per-request pointer holds one retain (taken in the URI-log
/// callback, released in the completion callback); a queued streaming response holds another
/// (released in the reader's free callback). The exchange refers back to this object as its
/// `ClientConnection`; the completion callback drops the exchange to break that cycle.
///
/// Concurrency: libmicrohttpd runs every callback of one connection on one thread at a time,
/// so the mutable fields below are touched by one thread at a time. `suspend()`/`resume()`
/// come from any thread but only read the immutable `connection`.
final class RequestContext: ClientConnection, @unchecked Sendable {
    enum Phase {
        /// Waiting for the first access-handler call.
        case new
        /// Forwarding: body being received or answer awaited.
        case proxying
        /// The body broke a rule mid-upload: the rest is discarded, and the error is queued once
        /// the upload ends (libmicrohttpd accepts a response only before or after the body).
        case rejected(LocalResponse)
        /// A response is queued (local or proxied); further upload bytes are discarded.
        case answered
    }

    let connection: OpaquePointer
    let rawTarget: String
    unowned let server: HTTPServer
    var phase: Phase = .new
    var bodyComplete = false
    private var watchingHangUp = false
    var exchange: Exchange?

    init(connection: OpaquePointer, rawTarget: String, server: HTTPServer) {
        self.connection = connection
        self.rawTarget = rawTarget
        self.server = server
    }

    /// Suspends the connection and, the first time, has the worker loop watch its socket for
    /// hang-up (libmicrohttpd does not watch suspended connections).
    func suspend() {
        MHD.suspend(connection)
        if !watchingHangUp, let exchange, let fd = socketDescriptor {
            watchingHangUp = true
            server.transport.watchForHangUp(socket: fd, delegate: exchange)
        }
    }

    /// Called from the completion callback: the socket is about to be closed.
    func stopWatchingHangUp() {
        guard watchingHangUp, let fd = socketDescriptor else { return }
        watchingHangUp = false
        server.transport.stopWatchingForHangUp(socket: fd)
    }
    func resume() {
        MHD.resume(connection)
        server.connectionResumed()
    }
    var socketDescriptor: Int32? {
        let fd = MHD.connectionFD(connection)
        return fd >= 0 ? fd : nil
    }
}
