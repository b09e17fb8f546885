import CMicroHTTPD
import OllaCore
import OllaEngine
import Synchronization

/// Per-request state the inbound server keeps for libmicrohttpd.
///
/// Owners: libmicrohttpd's per-request pointer holds one retain (taken in the URI-log
/// callback, released in the completion callback); a queued streaming response holds another
/// (released in the reader's free callback). The exchange refers back to this object as its
/// `ClientConnection`; the completion callback drops the exchange to break that cycle.
///
/// Concurrency: libmicrohttpd runs every callback of one connection on the worker loop thread,
/// so the mutable fields below are touched by that thread only. `resume()` comes from any
/// thread; off the loop it posts the resume to the loop (libmicrohttpd is built without
/// threads: every call into it must come from the loop thread).
final class RequestContext: ClientConnection, @unchecked Sendable {
    enum Phase {
        /// Waiting for the first access-handler call.
        case new
        /// Forwarding: body being received or answer awaited.
        case proxying
        /// A local answer waits for the upload to end: the body broke a rule mid-upload, or the
        /// answer was decided before the body and queuing it then would close the connection
        /// (`LocalAnswerTiming`). The rest of the body is discarded, and the answer is queued once
        /// the upload ends (libmicrohttpd accepts a response only before or after the body).
        case rejected(LocalResponse)
        /// A response is queued (local or proxied); further upload bytes are discarded.
        case answered
    }

    let connection: OpaquePointer
    let rawTarget: String
    /// The server outlives every context (the daemon, and with it every connection and its
    /// completion callback, is stopped before the server goes), so the reference is neither
    /// counted nor checked: `unowned` cost an atomic retain and release per access, twice per
    /// forwarded chunk (suspend, resume) and once per read (the reader's loop check).
    unowned(unsafe) let server: HTTPServer
    var phase: Phase = .new
    private var watchingHangUp = false
    /// The completion callback ran: the connection is closed or serves its next request, and a
    /// resume posted before that must not touch it. Loop thread.
    private var completed = false
    var exchange: Exchange?
    /// The client's read clock for `server.write_timeout` (see `ClientReadClock`).
    let readClock = ClientReadClock()
    /// How long the client may read nothing while response bytes wait (nil: no limit).
    private(set) var stallTimeout: Duration?
    /// The answer goes out chunked through `ServerCallbacks.chunkedReader`: a chunk for the
    /// idle client may be sent at once (`sendChunk`). Loop thread.
    private(set) var sendsChunks = false
    /// Bytes the chunked reader read but kept back while libmicrohttpd grows the connection's
    /// buffer for a record longer than it (`ServerCallbacks.chunkedReader`); rarely set.
    private var keptRecordStart: [UInt8]?
    /// The connection's socket once asked (`socketDescriptor`; -1: none). Loop thread.
    private var knownSocket: Int32 = socketUnknown

    init(connection: OpaquePointer, rawTarget: String, server: HTTPServer) {
        self.connection = connection
        self.rawTarget = rawTarget
        self.server = server
    }

    /// Copies the bytes kept back for the reader to the start of `destination` (larger than
    /// they are: the buffer grew since) and forgets them; returns their count. Loop thread.
    func takeKeptRecordStart(into destination: UnsafeMutableRawBufferPointer) -> Int {
        guard let kept = keptRecordStart else { return 0 }
        keptRecordStart = nil
        precondition(kept.count <= destination.count, "libmicrohttpd's buffer shrank under a kept record")
        kept.withUnsafeBytes { destination.copyMemory(from: $0) }
        return kept.count
    }

    /// Keeps `bytes` (read from the exchange, not yet sent) for the reader's next call.
    func keepRecordStart(_ bytes: UnsafeRawBufferPointer) {
        keptRecordStart = Array(bytes)
    }

    /// Suspends the connection and, the first time, has the worker loop watch its socket for
    /// hang-up (libmicrohttpd does not watch suspended connections). Loop thread only.
    func suspend() {
        server.worker.assertInLoop()
        MHD.suspend(connection)
        readClock.pause()
        if !watchingHangUp, exchange != nil, let fd = socketDescriptor {
            watchingHangUp = true
            server.watchForHangUp(self, socket: fd)
        }
    }

    /// Called from the completion callback: the socket is about to be closed (or to serve the
    /// connection's next request).
    func stopWatching() {
        completed = true
        if stallTimeout != nil { server.stopWatchingForStall(self) }
        guard watchingHangUp, let fd = socketDescriptor else { return }
        watchingHangUp = false
        server.stopWatchingForHangUp(socket: fd)
    }

    /// Any thread. libmicrohttpd is built without threads (no mutex pairs per forwarded chunk,
    /// scripts/libmicrohttpd/build.sh), so only the loop thread may call into it: a resume
    /// decided on another thread (a fan-out's answer, a held request's) is posted to the loop,
    /// one round later, and dropped there if the request completed meanwhile.
    func resume() {
        guard server.worker.isInLoop else {
            server.worker.execute { [self] in
                if !completed { resume() }
            }
            return
        }
        MHD.resume(connection)
        readClock.restart()
        server.connectionResumed()
    }

    /// Sends `bytes` as the next chunk if the connection waits suspended and idle (patch
    /// 0013): not while the chunked reader keeps the start of a record (it goes first), nor
    /// for an answer not sent chunked. Loop thread, under the exchange's lock. A chunk sent
    /// whole leaves the connection suspended (its read clock paused, as it was); one only
    /// partly sent is finished by libmicrohttpd once the exchange resumes the connection.
    func sendChunk(_ bytes: UnsafeRawBufferPointer) -> ChunkSend {
        guard sendsChunks, keptRecordStart == nil else { return .notTaken }
        return MHD.sendChunk(connection, bytes)
    }

    /// A streamed response was queued (`chunked`: through `ServerCallbacks.chunkedReader`):
    /// from now on the client must keep reading it.
    func responseQueued(stallTimeout: Duration?, chunked: Bool) {
        sendsChunks = chunked
        guard let stallTimeout else { return }
        self.stallTimeout = stallTimeout
        readClock.restart()
        server.watchForStall(self)
    }

    /// The response reader handed the client `count` bytes (0: the connection was suspended).
    func clientRead() {
        if stallTimeout != nil { readClock.restart() }
    }

    /// The response is complete or aborted: nothing more waits for the client.
    func responseEnded() {
        guard stallTimeout != nil else { return }
        readClock.pause()
        server.stopWatchingForStall(self)
    }

    /// The connection's socket (nil when libmicrohttpd reports none), asked of libmicrohttpd
    /// once (a variadic info call) and kept: a request asks at its suspension and at its end.
    var socketDescriptor: Int32? {
        if knownSocket == Self.socketUnknown { knownSocket = MHD.connectionFD(connection) ?? -1 }
        return knownSocket >= 0 ? knownSocket : nil
    }

    /// `knownSocket` before the first `socketDescriptor`.
    private static let socketUnknown: Int32 = -2
}
