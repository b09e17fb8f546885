import OllaCore
import Synchronization

/// Small buffered requests that Olla makes on its own behalf (health probes, model discovery,
/// fan-out management calls), carried by the same curl loop as proxied traffic.
public final class Fetcher: Sendable {
    /// One background request.
    public struct Request: Sendable {
        /// The whole URL (scheme, host, port, path, query).
        public var url: String
        /// The method (`GET` unless given).
        public var method: String
        /// Header fields to send; `Content-Type: application/json` is added for a body without one.
        public var headers: [HTTPHeader]
        /// The whole body, or nil for none (shared, never copied before curl reads it).
        public var body: [UInt8]?
        /// Bounds connect, wait for the head, and each silence in the body.
        public var timeout: Duration
        /// Bodies above this are cut and reported as a failure: catalogue answers are small.
        public var maxResponseBytes: Int

        /// A request with every part given; `maxResponseBytes` defaults to 16 MiB.
        public init(url: String, method: String = "GET", headers: [HTTPHeader] = [], body: [UInt8]? = nil,
                    timeout: Duration, maxResponseBytes: Int = 16 << 20) {
            self.url = url
            self.method = method
            self.headers = headers
            self.body = body
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// A complete answer.
    public struct Response: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// The response's header fields, in order.
        public var headers: [HTTPHeader]
        /// The whole body (at most `Request.maxResponseBytes`).
        public var body: [UInt8]
        /// From the start of the fetch to its end.
        public var latency: Duration
    }

    private let transport: UpstreamTransport

    /// A fetcher whose transfers run on `transport`'s loop.
    public init(transport: UpstreamTransport) {
        self.transport = transport
    }

    /// Runs one request to completion. Fails with the transfer's `UpstreamFailure` (connect,
    /// timeout, broken connection); an HTTP error status is a success with that status.
    public func fetch(_ request: Request) async -> Result<Response, UpstreamFailure> {
        await withCheckedContinuation { continuation in
            let delegate = FetchDelegate(request: request, continuation: continuation)
            var headers = request.headers
            if request.body != nil, HeaderRules.value(of: "content-type", in: headers) == nil {
                headers.append(HTTPHeader("Content-Type", "application/json"))
            }
            transport.start(UpstreamRequest(
                transferID: TransferID.next(), url: request.url, method: request.method, headers: headers,
                bodyLength: request.body.map { Int64($0.count) },
                connectTimeout: request.timeout, firstByteTimeout: request.timeout,
                idleTimeout: request.timeout), delegate: delegate)
        }
    }
}

/// Collects one fetch's answer in memory and resumes the waiting task when it ends.
final class FetchDelegate: TransferDelegate, Sendable {
    private struct State {
        var head: UpstreamHead?
        var body: [UInt8] = []
        var uploadOffset = 0
        var continuation: CheckedContinuation<Result<Fetcher.Response, UpstreamFailure>, Never>?
    }

    private let request: Fetcher.Request
    private let startedAt = ContinuousClock.now
    private let state: Mutex<State>

    init(request: Fetcher.Request, continuation: CheckedContinuation<Result<Fetcher.Response, UpstreamFailure>, Never>) {
        self.request = request
        self.state = Mutex(State(continuation: continuation))
    }

    func upstreamHeadReceived(_ head: UpstreamHead) -> HeadDisposition {
        state.withLock { $0.head = head }
        return .accept
    }

    func upstreamBodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyAcceptance {
        state.withLock { state in
            if state.body.count + bytes.count <= request.maxResponseBytes {
                state.body.append(contentsOf: bytes)
            }
        }
        return .accepted
    }

    func upstreamFinished(_ failure: UpstreamFailure?) {
        let latency = ContinuousClock.now - startedAt
        let (continuation, result) = state.withLock { state -> (CheckedContinuation<Result<Fetcher.Response, UpstreamFailure>, Never>?, Result<Fetcher.Response, UpstreamFailure>) in
            let continuation = state.continuation
            state.continuation = nil
            if let failure { return (continuation, .failure(failure)) }
            guard let head = state.head else { return (continuation, .failure(.transferFailed("no response"))) }
            return (continuation, .success(Fetcher.Response(
                status: head.status, headers: head.headers, body: state.body, latency: latency)))
        }
        continuation?.resume(returning: result)
    }

    /// A transfer dropped without ever finishing (a transport torn down around it) still
    /// resumes its fetch, once: a continuation must never be left unresumed.
    deinit {
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: .failure(.transferFailed("request dropped")))
    }

    /// A fetch never pauses its answer (it collects the whole body).
    var holdsAnswerPaused: Bool { false }

    func readUpload(into destination: UnsafeMutableRawBufferPointer) -> UploadRead {
        guard let body = request.body else { return .end }
        return state.withLock { state in
            let n = min(destination.count, body.count - state.uploadOffset)
            guard n > 0 else { return .end }
            body.withUnsafeBytes { source in
                destination.baseAddress!.copyMemory(from: source.baseAddress! + state.uploadOffset, byteCount: n)
            }
            state.uploadOffset += n
            return state.uploadOffset == body.count ? .lastBytes(n) : .bytes(n)
        }
    }
}
