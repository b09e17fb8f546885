import OllaCore
import Synchronization

/// One proxied request: the object the inbound server, the curl loop and the engine share.
///
/// Threads: server callbacks (request body, polling for the answer, reading the response,
/// completion) run on libmicrohttpd's threads; transfer callbacks (head, body, upload, finish)
/// run on the curl thread. All state lives in `ExchangeStateMachine` behind one mutex; the
/// exchange decides under the lock and runs upstream commands after releasing it.
public final class Exchange: TransferDelegate, ClientConnectionDelegate, Sendable {
    public let id: UInt64
    public let requestID: String
    public let method: String
    public let route: ProxyRoute.Forward
    public let operation: OllamaOperation
    public let startedAt: ContinuousClock.Instant

    let client: ClientConnection
    /// The outbound loop of the worker that owns the client connection.
    let transport: UpstreamTransport
    let context: ExchangeContext
    let requestHeaders: [HTTPHeader]
    /// Headers every answer to this request carries (CORS).
    let extraResponseHeaders: [HTTPHeader]
    let machine: Mutex<ExchangeStateMachine>
    let details: Mutex<Details>

    /// Facts for routing, headers and the access log.
    struct Details {
        var model: String?
        var plan: RoutingPlan?
        var candidates: [EndpointTarget] = []
        var endpoint: EndpointTarget?
        /// The endpoint counted as busy with this request right now (in-flight accounting).
        var activeEndpoint: String?
        var fanOutTargets: [EndpointTarget] = []
        var headAt: ContinuousClock.Instant?
        var bodyLength: Int64?
        /// The endpoint counted as streaming this response now (health evidence).
        var streamingEndpoint: String?
        /// What the scheduler recorded about the last attempt, once it ended.
        var lastRun: RunningRequest?
        /// The status of the backend's answer, once its head arrived.
        var upstreamStatus: Int?
        /// The request changes what an instance holds: its answer ends after the catalogue
        /// was refreshed (`finishAfterCatalogueRefresh`).
        var refreshesBeforeEnd = false
    }

    init(id: UInt64, requestID: String, head: InboundHead, route: ProxyRoute.Forward,
         operation: OllamaOperation, client: ClientConnection, transport: UpstreamTransport, context: ExchangeContext,
         extraResponseHeaders: [HTTPHeader] = []) {
        self.transport = transport
        self.extraResponseHeaders = extraResponseHeaders
        self.id = id
        self.requestID = requestID
        self.method = head.method
        self.route = route
        self.operation = operation
        self.startedAt = .now
        self.client = client
        self.context = context
        self.requestHeaders = HeaderRules.upstreamRequestHeaders(
            client: head.headers, peerAddress: head.peerAddress, requestID: requestID)
        let limits = context.settings
        self.machine = Mutex(ExchangeStateMachine(
            streamsUpload: route.streamsUpload,
            highWater: limits.streamBufferSize,
            maxAttempts: limits.maxRetries + 1,
            // Blob uploads are model files of many gigabytes: streamed, never buffered, so the
            // body limit (which bounds buffering) does not apply to them.
            maxBodySize: route.streamsUpload ? 0 : limits.maxBodySize,
            // Unknown routes may be inference routes newer than Olla's table.
            keepsTail: operation == .modelBound || operation == .other,
            flavor: route.flavor))
        let announced = head.announcesBody || ["POST", "PUT", "PATCH"].contains(head.method)
        self.details = Mutex(Details(bodyLength: announced ? (head.declaredLength ?? -1) : nil))
    }

    // MARK: Called by the inbound server

    /// The request head is in. A streamed upload is routed and started now.
    public func start() {
        guard route.streamsUpload else { return }
        let plan = context.router.plan(RoutingRequest(
            method: method, route: route, operation: operation, model: nil, smallBody: nil))
        details.withLock { $0.plan = plan }
        switch plan.target {
        case .forward(let candidates) where !candidates.isEmpty:
            details.withLock { $0.candidates = candidates }
            let actions = withMachine { machine -> ExchangeStateMachine.Actions in
                machine.setCandidateCount(candidates.count)
                return machine.requestHeadReceived()
            }
            perform(actions.upstream)
        case .forward, .fanOut, .reject, .hold:
            // Uploads go to one instance; anything else is answered once the body is drained.
            let error = Self.rejection(of: plan) ?? ProxyError(.badRequest, "uploads go to one instance")
            _ = withMachine { $0.answerLocally(error) }
        }
    }

    /// Body bytes from the client; an error means Olla answers it now and stops reading.
    public func clientBodyReceived(_ bytes: UnsafeRawBufferPointer) -> ProxyError? {
        let (actions, error) = withMachine { $0.clientBodyReceived(bytes) }
        perform(actions.upstream)
        return error
    }

    /// The client's body is complete: route it (buffered requests) and start.
    public func clientBodyComplete() {
        if route.streamsUpload {
            let actions = withMachine { $0.clientBodyComplete() }
            perform(actions.upstream)
            return
        }
        let plan = routeBufferedRequest()
        switch plan.target {
        case .forward(let candidates) where candidates.isEmpty:
            _ = withMachine { machine -> ExchangeStateMachine.Actions in
                _ = machine.clientBodyComplete(startTransfer: false)
                return machine.answerLocally(ProxyError(.serviceUnavailable, "no instance can take this request"))
            }
        case .forward(let candidates):
            details.withLock { $0.candidates = candidates }
            let actions = withMachine { machine -> ExchangeStateMachine.Actions in
                machine.setCandidateCount(candidates.count)
                return machine.clientBodyComplete()
            }
            perform(actions.upstream)
        case .fanOut(let targets):
            details.withLock { $0.fanOutTargets = targets }
            let body = machine.withLock { machine -> [UInt8] in
                machine.fanOutStarted()
                return machine.withUploadBytes { Array($0) }
            }
            _ = withMachine { $0.clientBodyComplete(startTransfer: false) }
            runFanOut(targets, body: body)
        case .reject(let error, _):
            _ = withMachine { machine -> ExchangeStateMachine.Actions in
                _ = machine.clientBodyComplete(startTransfer: false)
                return machine.answerLocally(error)
            }
        case .hold(let model):
            _ = withMachine { $0.clientBodyComplete(startTransfer: false) }
            context.registry.scheduler.attach(id, model: model, request: self)
        }
    }

    /// What to answer now. `.wait` means the connection was suspended until there is news.
    public func pollAnswer() -> Answer {
        let poll = withMachine { $0.pollAnswer() }
        let (plan, model) = details.withLock { ($0.plan, $0.model) }
        let modelHeader: [HTTPHeader] = (model.map { [("X-Olla-Model", $0)] } ?? []) + extraResponseHeaders
        switch poll.1 {
        case .wait:
            return .wait
        case .respondError(let error):
            var response = LocalResponse.error(error, flavor: route.flavor, requestID: requestID)
            response.headers += modelHeader + (plan?.headers ?? [])
            if let plan, case .reject(_, let retryAfter?) = plan.target {
                response.headers.append(("Retry-After", String(retryAfter)))
            }
            return .local(response)
        case .respondLocal(var response):
            response.headers.append(("X-Olla-Request-ID", requestID))
            response.headers += modelHeader + (plan?.headers ?? [])
            return .local(response)
        case .respondComplete(let head, let body):
            return .local(LocalResponse(status: head.status,
                                        headers: clientHeaders(for: head) + (plan?.headers ?? []) + extraResponseHeaders,
                                        body: body))
        case .respond(let head):
            return .proxied(status: head.status, headers: clientHeaders(for: head) + (plan?.headers ?? []) + extraResponseHeaders,
                            contentLength: head.contentLength)
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
        context.registry.scheduler.leave(id)
        endActiveAttempt()
        noteManagementOutcome()
        let record = accessRecord()
        scheduledRequestCompleted(record)
        context.finished(self, record: record)
    }

    // MARK: Called by the curl loop (TransferDelegate)

    public func upstreamHeadReceived(_ head: UpstreamHead) -> HeadDisposition {
        // Recorded before the event: accepting the head resumes the client, whose thread
        // builds the response headers (X-Olla-Response-Time) at once.
        let (endpoint, streams) = details.withLock { details -> (String?, String?) in
            details.headAt = .now
            details.upstreamStatus = head.status
            var streams: String? = nil
            if (200..<300).contains(head.status), let active = details.activeEndpoint, details.streamingEndpoint == nil {
                details.streamingEndpoint = active
                streams = active
            }
            return (details.endpoint?.name, streams)
        }
        if let streams { context.registry.streamStarted(on: streams) }
        let (actions, disposition) = withMachine { $0.upstreamHeadReceived(head) }
        if let endpoint { context.reportOutcome(endpoint: endpoint, status: head.status) }
        if let endpoint, isScheduled { context.registry.scheduler.headReceived(id, endpoint: endpoint, status: head.status) }
        if disposition == .abandon, let endpoint {
            context.attemptFailed(self, endpoint: endpoint, failure: .refused(status: head.status))
        }
        perform(actions.upstream)
        return disposition
    }

    public func upstreamBodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyAcceptance {
        withMachine { $0.upstreamBodyReceived(bytes) }.1
    }

    public func upstreamFinished(_ failure: UpstreamFailure?) {
        let endpoint = details.withLock { $0.endpoint?.name ?? "-" }
        if let failure {
            context.attemptFailed(self, endpoint: endpoint, failure: failure)
            context.reportFailure(endpoint: endpoint, failure: failure)
        }
        endActiveAttempt()
        if failure == nil, finishAfterCatalogueRefresh(endpoint: endpoint) { return }
        let actions = withMachine { $0.upstreamFinished(failure, endpoint: endpoint) }
        perform(actions.upstream)
    }

    public func readUpload(into destination: UnsafeMutableRawBufferPointer) -> UploadRead {
        withMachine { $0.readUpload(into: destination) }.1
    }

    // MARK: Called by the inbound server about its client (ClientConnectionDelegate)

    /// The client's socket hung up (seen by the worker loop, suspended or not).
    public func clientHungUp() {
        context.registry.scheduler.leave(id)
        let actions = withMachine { $0.clientWentAway() }
        perform(actions.upstream)
    }

    /// The client read nothing for longer than `server.write_timeout`: drop it like a hang-up.
    public func clientStalled() {
        clientHungUp()
    }

    /// `server.write_timeout` of the generation this request started with.
    public var clientStallTimeout: Duration? { context.settings.writeTimeout }


    // MARK: Called by the engine

    func terminate(reason: String) {
        let actions = withMachine { $0.terminate(reason: reason) }
        perform(actions.upstream)
    }

    // MARK: Internals

    /// Runs an event under the lock and carries out its client action there too.
    func withMachine<T>(
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

    func withMachine(
        _ event: (inout ExchangeStateMachine) -> ExchangeStateMachine.Actions
    ) -> ExchangeStateMachine.Actions {
        withMachine { machine in (event(&machine), ()) }.0
    }

    func perform(_ action: ExchangeStateMachine.UpstreamAction) {
        switch action {
        case .none: return
        case .start(let attempt): startAttempt(attempt)
        case .cancel: transport.cancel(transferID: id)
        case .unpause: transport.unpause(transferID: id)
        }
    }

    private func startAttempt(_ attempt: Int) {
        endActiveAttempt()
        let (endpoint, bodyLength) = details.withLock { details -> (EndpointTarget, Int64?) in
            let endpoint = details.candidates[attempt]
            details.endpoint = endpoint
            details.activeEndpoint = endpoint.name
            return (endpoint, details.bodyLength)
        }
        context.registry.requestStarted(on: endpoint.name)
        if isScheduled, let model = details.withLock({ $0.model }) {
            context.registry.scheduler.attemptStarted(id, model: model, endpoint: endpoint.name)
        }
        let settings = context.settings
        var request = UpstreamRequest(
            transferID: id,
            url: endpoint.baseURL + route.upstreamTarget,
            method: method,
            headers: requestHeaders + endpoint.extraHeaders,
            bodyLength: bodyLength,
            connectTimeout: settings.connectTimeout,
            firstByteTimeout: settings.responseTimeout,
            idleTimeout: settings.readTimeout)
        if !route.streamsUpload, let length = bodyLength, length > 0, length <= Self.inlineBodyLimit {
            request.inlineBody = machine.withLock { $0.withUploadBytes { Array($0) } }
        }
        transport.start(request, delegate: self)
    }

    /// Buffered bodies up to this size go to curl whole (chat requests, embeddings).
    static let inlineBodyLimit: Int64 = 1 << 20

    /// Stops counting this request against its endpoint. Idempotent.
    func endActiveAttempt() {
        let (active, streaming) = details.withLock { details -> (String?, String?) in
            defer { details.activeEndpoint = nil; details.streamingEndpoint = nil }
            return (details.activeEndpoint, details.streamingEndpoint)
        }
        if let streaming { context.registry.streamEnded(on: streaming) }
        if let active {
            context.registry.requestEnded(on: active)
            if isScheduled, let ended = context.registry.scheduler.attemptEnded(id) {
                details.withLock { $0.lastRun = ended.request }
            }
        }
    }

    private func routeBufferedRequest() -> RoutingPlan {
        let (model, smallBody, length) = machine.withLock { machine in
            machine.withUploadBytes { body -> (String?, [UInt8]?, Int64) in
                // JSON bodies name the model in a top-level key; audio uploads in a form field.
                let model = JSONBodyScanner.topLevelString(forKeys: route.modelKeys, in: body)?.value
                    ?? MultipartFormScanner.field("model", in: body, contentType: requestContentType)
                // Unload and create requests are tiny; only those are looked into further.
                let small = body.count <= 64 * 1024 ? Array(body) : nil
                return (model, small, Int64(body.count))
            }
        }
        let plan = context.router.plan(RoutingRequest(
            method: method, route: route, operation: operation, model: model, smallBody: smallBody, id: id))
        let changesHoldings = Self.changesHoldings(operation, path: route.path, body: smallBody)
        details.withLock { details in
            details.model = model
            details.plan = plan
            details.refreshesBeforeEnd = changesHoldings
            if details.bodyLength != nil || length > 0 { details.bodyLength = length }
        }
        if changesHoldings { machine.withLock { $0.holdFinalRecord() } }
        return plan
    }

    private var requestContentType: String? { HeaderRules.value(of: "content-type", in: requestHeaders) }

    static func rejection(of plan: RoutingPlan) -> ProxyError? {
        if case .reject(let error, _) = plan.target { return error }
        return nil
    }

    private func clientHeaders(for head: UpstreamHead) -> [HTTPHeader] {
        let facts = details.withLock { $0 }
        var headers = HeaderRules.clientResponseHeaders(upstream: head.headers)
        headers.append(("X-Olla-Request-ID", requestID))
        if let endpoint = facts.endpoint { headers.append(("X-Olla-Endpoint", endpoint.name)) }
        if let model = facts.model { headers.append(("X-Olla-Model", model)) }
        if let endpoint = facts.endpoint { headers.append(("X-Olla-Backend-Type", endpoint.type.rawValue)) }
        if let headAt = facts.headAt {
            headers.append(("X-Olla-Response-Time", "\((headAt - startedAt).wholeMilliseconds)ms"))
        }
        return headers
    }

    func accessRecord() -> AccessRecord {
        let facts = details.withLock { $0 }
        let (status, bytes, tail, streamed) = machine.withLock {
            ($0.status, $0.bytesSent, $0.tailBytes, $0.respondedWithStream)
        }
        let endpoint = facts.fanOutTargets.isEmpty ? facts.endpoint?.name
            : facts.fanOutTargets.map(\.name).joined(separator: ",")
        let now = ContinuousClock.now
        var tokens = tail.isEmpty ? nil : TokenScanner.scan(tail, flavor: route.flavor)
        if streamed, tokens?.evalDuration == nil, let headAt = facts.headAt {
            tokens?.streamDuration = now - headAt
        }
        return AccessRecord(
            requestID: requestID, method: method, path: route.upstreamTarget,
            model: facts.model, endpoint: endpoint, status: status ?? 499,
            bytesSent: bytes,
            timeToFirstByte: facts.headAt.map { $0 - startedAt },
            duration: now - startedAt,
            tokens: tokens,
            routingDecision: facts.plan?.decision.rawValue, routingReason: facts.plan?.reason)
    }
}
