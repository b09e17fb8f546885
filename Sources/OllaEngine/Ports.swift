import OllaCore
import Synchronization

/// The inbound side of one exchange, implemented by the HTTP server adapter.
///
/// Lifecycle: the exchange calls `suspend()` when the client must wait (no upstream head yet,
/// no body bytes yet, or too much upload buffered) and `resume()` when it can proceed. Both are
/// called with the exchange's lock held, and the exchange never resumes a connection it has not
/// suspended: libmicrohttpd's suspend state and the exchange's flag never drift apart.
///
/// The connection also watches its client for the exchange: a client that hangs up (even
/// while suspended, which libmicrohttpd does not watch) or that reads nothing for longer than
/// `ClientConnectionDelegate.clientStallTimeout` is reported to the exchange through
/// `ClientConnectionDelegate`, on the worker loop thread.
public protocol ClientConnection: AnyObject, Sendable {
    /// Stops the server from serving this connection until `resume()`. Loop thread only.
    func suspend()
    /// Lets the server serve this connection again. Any thread.
    func resume()
    /// Sends `bytes` at once as the next chunk of the streamed answer, when the connection
    /// waits suspended and idle (nothing of the answer left with the server, a chunked
    /// answer). Loop thread, under the exchange's lock, with the connection suspended.
    func sendChunk(_ bytes: UnsafeRawBufferPointer) -> ChunkSend
}

/// What the connection did with a chunk the exchange offered it (`ClientConnection.sendChunk`).
public enum ChunkSend: Sendable {
    /// Not taken (the connection is not idle, or the answer is not sent chunked): the bytes
    /// stay queued for the server's reader, and the exchange resumes the connection.
    case notTaken
    /// Sent whole: the connection stays suspended and idle.
    case sent
    /// Taken, but not all sent yet (the client reads slowly, or the send failed): the server
    /// keeps the rest, and the exchange resumes the connection so it sends it (or sees the
    /// failure) before it reads again.
    case buffered
}

/// What the inbound side reports about its client to the exchange. Every method is called on
/// the worker loop thread that owns the connection, at most once per request for each event.
public protocol ClientConnectionDelegate: AnyObject, Sendable {
    /// The client's socket reported a hang-up (seen by the worker loop, suspended or not).
    func clientHungUp()
    /// The client read nothing for longer than `clientStallTimeout` while a response waited
    /// for it (`server.write_timeout`).
    func clientStalled()
    /// How long the client may read nothing while response bytes wait for it (nil: no limit).
    /// Read once, when the streamed response is queued.
    var clientStallTimeout: Duration? { get }
}

/// The outbound side: the curl transport of a worker. Every call, from any thread, only
/// enqueues a command for the worker's loop thread (and wakes it when needed).
public protocol UpstreamTransport: AnyObject, Sendable {
    /// Starts a transfer. Starting a transfer id that is still running replaces it (a retry).
    func start(_ request: UpstreamRequest, delegate: TransferDelegate)
    /// Aborts the transfer if it is still running. Idempotent.
    func cancel(transferID: UInt64)
    /// Unpauses a transfer that its delegate paused (either direction).
    func unpause(transferID: UInt64)
}

/// Receives one transfer's events. Every method is called on the worker loop thread that runs
/// the transfer.
///
/// Lifecycle: `readUpload` while the body is sent; `upstreamHeadReceived` once (interim 1xx
/// heads are not reported); `upstreamBodyReceived` per chunk; then exactly one
/// `upstreamFinished` — unless the transfer was cancelled, or the delegate abandoned the head.
public protocol TransferDelegate: AnyObject, Sendable {
    /// The backend's final status line and headers arrived; `.abandon` discards the answer.
    func upstreamHeadReceived(_ head: UpstreamHead) -> HeadDisposition
    /// A piece of the response body, valid only during the call; `.pause` keeps it in the
    /// transport until `UpstreamTransport.unpause`.
    func upstreamBodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyAcceptance
    /// The transfer ended: nil for a complete answer, else why it did not complete.
    func upstreamFinished(_ failure: UpstreamFailure?)
    /// Fills `destination` with the next bytes of the request body.
    func readUpload(into destination: UnsafeMutableRawBufferPointer) -> UploadRead
    /// Whether the delegate paused the answer (`.pause` from `upstreamBodyReceived`: its queue is
    /// full, the client reads slowly) and the transport has not delivered since: the backend's
    /// silence is then Olla's doing, not an idle backend. Asked only when the idle clock ran out.
    var holdsAnswerPaused: Bool { get }
}

/// What a delegate does with a response head.
public enum HeadDisposition: Sendable, Equatable {
    /// Stream this answer to the client.
    case accept
    /// Discard this answer (the delegate retries elsewhere).
    case abandon
}

/// Ids for transfers, unique in the process (exchanges and background fetches share them).
public enum TransferID {
    private static let counter = Atomic<UInt64>(1)
    /// A new id (wraps after 2^64, which no process reaches).
    public static func next() -> UInt64 { counter.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// One request as the backend should receive it.
public struct UpstreamRequest: Sendable {
    /// The transfer's id (`TransferID`); a retry reuses its exchange's id.
    public var transferID: UInt64
    /// The absolute URL: the endpoint's base URL and the request target (query kept as sent).
    public var url: String
    /// The HTTP method, as the client sent it.
    public var method: String
    /// The request headers to send, in order (hop-by-hop removed, X-Forwarded-* added).
    public var headers: [HTTPHeader]
    /// Nil when the request has no body; -1 when its length is unknown (sent chunked).
    public var bodyLength: Int64?
    /// A small, fully buffered body handed over whole: curl then sends head and body in one
    /// write instead of asking the exchange for the body piece by piece.
    public var inlineBody: [UInt8]? = nil
    /// The longest the TCP connect may take (`proxy.connection_timeout`).
    public var connectTimeout: Duration
    /// The longest wait for the response head once the body is sent (nil: no limit;
    /// `proxy.response_timeout`).
    public var firstByteTimeout: Duration?
    /// The longest silence between two pieces of the response body, not counting time the
    /// transfer was paused for a slow client (nil: no limit; `proxy.read_timeout`).
    public var idleTimeout: Duration?
}

/// The backend's status line and headers.
public struct UpstreamHead: Sendable {
    /// The status code (100...999; interim 1xx heads are never reported).
    public var status: Int
    /// The header fields in arrival order, names as the backend spelled them.
    public let headers: [HTTPHeader]
    /// The declared body length in bytes, when the body is not chunked: read once, here (the
    /// request's state machine, the response head and the reader block all ask).
    public let contentLength: UInt64?

    /// A head with `status` and `headers`.
    public init(status: Int, headers: [HTTPHeader]) {
        self.status = status
        self.headers = headers
        self.contentLength = Self.declaredLength(in: headers)
    }

    /// `Content-Length` unless a `Transfer-Encoding` is present (RFC 9112 §6.3: it wins).
    static func declaredLength(in headers: [HTTPHeader]) -> UInt64? {
        let (length, coding) = HeaderRules.framingFields(in: headers)
        if let coding, !coding.isEmpty { return nil }
        return length.flatMap { UInt64($0.trimmingSpaces()) }
    }
}

/// Why a transfer ended without a complete answer.
public enum UpstreamFailure: Error, Sendable, Equatable {
    /// The connection could not be made (refused, unreachable, unresolvable): libcurl's text.
    case connectFailed(String)
    /// The connection was not made within `UpstreamRequest.connectTimeout`.
    case connectTimedOut
    /// No response head within `UpstreamRequest.firstByteTimeout` after the body was sent.
    case firstByteTimedOut
    /// The body went silent for longer than `UpstreamRequest.idleTimeout`.
    case idleTimedOut
    /// The transfer broke or could not start (libcurl's text, or Olla's own reason).
    case transferFailed(String)
    /// The backend answered "busy" (503) or "too many requests" (429) before any byte reached
    /// the client; the request is retried elsewhere when another endpoint is left.
    case refused(status: Int)

    /// Failures where the backend never saw the request, so another endpoint may take it.
    public var isConnectFailure: Bool {
        switch self {
        case .connectFailed, .connectTimedOut: true
        default: false
        }
    }

    /// The failure in words, for error answers, stream error lines and logs.
    public var message: String {
        switch self {
        case .connectFailed(let why): "backend unreachable: \(why)"
        case .connectTimedOut: "backend connection timed out"
        case .firstByteTimedOut: "backend did not answer within the response timeout"
        case .idleTimedOut: "backend stream stalled longer than the read timeout"
        case .transferFailed(let why): "backend connection broke: \(why)"
        case .refused(let status): "backend answered \(status)"
        }
    }
}

/// What the body sink says about a chunk the backend delivered.
public enum BodyAcceptance: Sendable {
    /// The chunk was taken.
    case accepted
    /// Buffer full: the transport must keep the chunk and pause until `unpause`.
    case pause
}

/// What the upload source hands the transport for the request body.
public enum UploadRead: Sendable, Equatable {
    /// This many bytes were written into the destination.
    case bytes(Int)
    /// This many bytes were written, and they complete the body: a transport that sent the
    /// declared length is not asked again, so this is where it learns the body is out.
    case lastBytes(Int)
    /// Nothing buffered yet: the transport pauses the upload until `unpause`.
    case pause
    /// The body is complete.
    case end
}
