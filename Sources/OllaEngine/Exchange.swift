import OllaCore
import Synchronization

/// One proxied request: the object the inbound server, the curl loop and the engine share.
///
/// Threads: server callbacks (request body, polling for the answer, reading the response,
/// completion) run on libmicrohttpd's threads; transfer callbacks (head, body, upload, finish)
/// run on the curl thread. All state lives in `ExchangeStateMachine` behind one mutex; the
/// exchange decides under the lock and runs upstream commands after releasing it.
public final class Exchange: TransferDelegate, Sendable {
    public let id: UInt64
    public let requestID: String
    public let method: String
    public let route: ProxyRoute.Forward
    public let startedAt: ContinuousClock.Instant

    private let client: ClientConnection
    private let context: ExchangeContext
    private let requestHeaders: [HTTPHeader]
    private let candidates: [EndpointTarget]
    private let machine: Mutex<ExchangeStateMachine>
    private let details: Mutex<Details>

    /// Facts for headers and the access log, written once each.
    struct Details {
        var model: String?
        var endpoint: EndpointTarget?
        var headAt: ContinuousClock.Instant?
        var bodyLength: Int64?
    }

    init(
        id: UInt64, requestID: String, head: InboundHead, route: ProxyRoute.Forward,
        candidates: [EndpointTarget], client: ClientConnection, context: ExchangeContext
    ) {
        self.id = id
        self.requestID = requestID
        self.method = head.method
        self.route = route
        self.startedAt = .now
        self.client = client
        self.context = context
        self.candidates = candidates
        self.requestHeaders = HeaderRules.upstreamRequestHeaders(
            client: head.headers, peerAddress: head.peerAddress, requestID: requestID)
        let limits = context.settings
        self.machine = Mutex(ExchangeStateMachine(
            streamsUpload: route.streamsUpload,
            highWater: limits.streamBufferSize,
            maxAttempts: min(candidates.count, limits.maxRetries + 1),
            // Blob uploads are model files of many gigabytes: streamed, never buffered, so the
            // body limit (which bounds buffering) does not apply to them.
            maxBodySize: route.streamsUpload ? 0 : limits.maxBodySize))
        let announced = head.announcesBody || ["POST", "PUT", "PATCH"].contains(head.method)
        self.details = Mutex(Details(bodyLength: announced ? (head.declaredLength ?? -1) : nil))
    }

    // MARK: Called by the inbound server

    /// The request head is in. A streamed upload starts its transfer now.
    public func start() {
        let actions = withMachine { $0.requestHeadReceived() }
        perform(actions.upstream)
    }

    /// Body bytes from the client; an error means Olla answers it now and stops reading.
    public func clientBodyReceived(_ bytes: UnsafeRawBufferPointer) -> ProxyError? {
        let (actions, error) = withMachine { $0.clientBodyReceived(bytes) }
        perform(actions.upstream)
        return error
    }

    /// The client's body is complete.
    public func clientBodyComplete() {
        if !route.streamsUpload {
            let body = machine.withLock { $0.bufferedBodyLength }
            extractModel()
            details.withLock { if $0.bodyLength != nil || body > 0 { $0.bodyLength = body } }
        }
        let actions = withMachine { $0.clientBodyComplete() }
        perform(actions.upstream)
    }

    /// What to answer now. `.wait` means the connection was suspended until there is news.
    public func pollAnswer() -> Answer {
        let poll = withMachine { $0.pollAnswer() }
        switch poll.1 {
        case .wait:
            return .wait
        case .respondError(let error):
            return .local(LocalResponse.error(error, flavor: route.flavor, requestID: requestID))
        case .respond(let head):
            return .proxied(status: head.status, headers: clientHeaders(for: head), contentLength: head.contentLength)
        }
    }

    public enum Answer: Sendable {
        case wait
        case local(LocalResponse)
        case proxied(status: Int, headers: [HTTPHeader], contentLength: UInt64?)
    }

    /// Fills `destination` with response bytes for the server.
    public func readResponse(into destination: UnsafeMutableRawBufferPointer) -> ResponseRead {
        let (actions, read) = withMachine { $0.readResponse(into: destination) }
        perform(actions.upstream)
        switch read {
        case .bytes(let n): return .bytes(n)
        case .suspended: return .suspended
        case .end: return .end
        case .abort: return .abort
        }
    }

    public enum ResponseRead: Sendable, Equatable {
        case bytes(Int)
        case suspended
        case end
        case abort
    }

    /// The server is done with this request; `successfully` is false when the client vanished.
    public func clientCompleted(successfully: Bool) {
        let actions = withMachine { $0.clientCompleted(successfully: successfully) }
        perform(actions.upstream)
        context.finished(self, record: accessRecord())
    }

    // MARK: Called by the curl loop

    public func upstreamHeadReceived(_ head: UpstreamHead) -> HeadDisposition {
        let (actions, disposition) = withMachine { $0.upstreamHeadReceived(head) }
        if disposition == .accept {
            details.withLock { $0.headAt = .now }
        } else {
            let endpoint = details.withLock { $0.endpoint?.name ?? "-" }
            context.attemptFailed(self, endpoint: endpoint, failure: .refused(status: head.status))
        }
        perform(actions.upstream)
        return disposition
    }

    public func upstreamBodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyAcceptance {
        withMachine { $0.upstreamBodyReceived(bytes) }.1
    }

    public func upstreamFinished(_ failure: UpstreamFailure?) {
        if let failure {
            let endpoint = details.withLock { $0.endpoint?.name ?? "-" }
            context.attemptFailed(self, endpoint: endpoint, failure: failure)
        }
        let actions = withMachine { $0.upstreamFinished(failure) }
        perform(actions.upstream)
    }

    public func readUpload(into destination: UnsafeMutableRawBufferPointer) -> UploadRead {
        withMachine { $0.readUpload(into: destination) }.1
    }

    /// The curl loop found the client's socket hung up while the client was suspended.
    public func clientHungUp() {
        let actions = withMachine { $0.clientWentAway() }
        perform(actions.upstream)
    }

    /// The client read nothing for longer than `server.write_timeout`: drop it like a hang-up.
    public func clientStalled() {
        let actions = withMachine { $0.clientWentAway() }
        perform(actions.upstream)
    }

    /// The client's socket, for the hang-up probe.
    public var clientSocket: Int32? { client.socketDescriptor }

    /// Whether the curl loop's hang-up probe should watch this client's socket now.
    public var clientNeedsProbe: Bool { machine.withLock { $0.clientNeedsProbe } }

    // MARK: Called by the engine

    func terminate(reason: String) {
        let actions = withMachine { $0.terminate(reason: reason) }
        perform(actions.upstream)
    }

    // MARK: Internals

    /// Runs an event under the lock and carries out its client action there too.
    private func withMachine<T>(
        _ event: (inout ExchangeStateMachine) -> (ExchangeStateMachine.Actions, T)
    ) -> (ExchangeStateMachine.Actions, T) {
        machine.withLock { machine in
            let result = event(&machine)
            switch result.0.client {
            case .none: break
            case .suspend: client.suspend()
            case .resume: client.resume()
            }
            return result
        }
    }

    private func withMachine(
        _ event: (inout ExchangeStateMachine) -> ExchangeStateMachine.Actions
    ) -> ExchangeStateMachine.Actions {
        withMachine { machine in (event(&machine), ()) }.0
    }

    private func perform(_ action: ExchangeStateMachine.UpstreamAction) {
        switch action {
        case .none: return
        case .start(let attempt): startAttempt(attempt)
        case .cancel: context.transport.cancel(transferID: id)
        case .unpause: context.transport.unpause(transferID: id)
        }
    }

    private func startAttempt(_ attempt: Int) {
        let endpoint = candidates[attempt]
        let bodyLength = details.withLock { details -> Int64? in
            details.endpoint = endpoint
            return details.bodyLength
        }
        let settings = context.settings
        let request = UpstreamRequest(
            transferID: id,
            url: endpoint.baseURL + route.upstreamTarget,
            method: method,
            headers: requestHeaders + endpoint.extraHeaders,
            bodyLength: bodyLength,
            connectTimeout: settings.connectTimeout,
            firstByteTimeout: settings.responseTimeout,
            idleTimeout: settings.readTimeout,
            clientStallTimeout: settings.writeTimeout)
        context.transport.start(request, delegate: self)
    }

    private func extractModel() {
        let model = machine.withLock { machine in
            machine.withUploadBytes { JSONBodyScanner.topLevelString(forKeys: route.modelKeys, in: $0)?.value }
        }
        details.withLock { $0.model = model }
    }

    private func clientHeaders(for head: UpstreamHead) -> [HTTPHeader] {
        let facts = details.withLock { $0 }
        var headers = HeaderRules.clientResponseHeaders(upstream: head.headers)
        headers.append(("X-Olla-Request-ID", requestID))
        if let endpoint = facts.endpoint { headers.append(("X-Olla-Endpoint", endpoint.name)) }
        if let model = facts.model { headers.append(("X-Olla-Model", model)) }
        headers.append(("X-Olla-Backend-Type", "ollama"))
        if let headAt = facts.headAt {
            headers.append(("X-Olla-Response-Time", "\(Self.milliseconds(headAt - startedAt))ms"))
        }
        return headers
    }

    private func accessRecord() -> AccessRecord {
        let facts = details.withLock { $0 }
        let (status, bytes) = machine.withLock { ($0.status, $0.bytesSent) }
        let now = ContinuousClock.now
        return AccessRecord(
            requestID: requestID, method: method, path: route.upstreamTarget,
            model: facts.model, endpoint: facts.endpoint?.name, status: status ?? 499,
            bytesSent: bytes,
            timeToFirstByte: facts.headAt.map { $0 - startedAt },
            duration: now - startedAt)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

