import OllaCore
import Synchronization

/// One proxied request: what libmicrohttpd's callbacks, curl's callbacks, the scheduler and
/// the engine share about it.
///
/// Threads: the request's inbound callbacks (body, polling for the answer, reading it,
/// completion) and its transfer callbacks (head, body, upload, end, client hang-up) run on
/// the worker loop thread that owns its client connection; a held request's release or
/// refusal, a fan-out's result, a catalogue refresh and the shutdown deadline arrive from
/// other threads. Every per-request fact is in one `RequestStateMachine` behind one mutex:
/// an event takes the lock once, decides, suspends or resumes the client under it (the
/// machine's flag and libmicrohttpd's state must not drift apart), and carries out
/// everything else (curl commands, routing, accounting, health) after releasing it.
/// Routing, retry and `X-Olla-*` header rules live in `BufferedRouting`, `RetryPolicy` and
/// `OllaHeaders`; this class only performs the machine's actions.
public final class Exchange: TransferDelegate, ClientConnectionDelegate, Sendable {
    /// The transfer id (unique in the process) under which curl runs this request.
    public let id: UInt64
    /// `X-Request-ID` as the client sent it, or one Olla made (`X-Olla-Request-ID`).
    public let requestID: String
    /// The client's method, forwarded as is.
    public let method: String
    /// The route under Olla's prefix: path, query and API family.
    public let route: ProxyRoute.Forward
    /// What the request does in Ollama's terms (model-bound, pull, blob upload, ...).
    public let operation: OllamaOperation
    /// When the head arrived (durations in the access log and `X-Olla-Response-Time`).
    let startedAt: RequestTime

    let client: ClientConnection
    /// The outbound loop of the worker that owns the client connection.
    let transport: UpstreamTransport
    let context: ExchangeContext
    /// The client's headers as every backend gets them (hop-by-hop removed, forwarding added).
    let requestHeaders: [HTTPHeader]
    /// Headers every answer to this request carries (CORS).
    let extraResponseHeaders: [HTTPHeader]
    /// The request's whole state. Taken once per event (`event`, `run`), and nothing else is
    /// locked while it is held but libmicrohttpd's suspend/resume (see "Lock order" in
    /// docs/architecture.md).
    let machine: Mutex<RequestStateMachine>
    /// This exchange's position in the engine's table of exchanges in flight, -1 when not in
    /// it. Read and written only under that table's lock (`ProxyEngine`'s `live`).
    nonisolated(unsafe) var livePosition = -1

    typealias Action = RequestStateMachine.Action

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
        let settings = context.settings
        let limits = RequestStateMachine.Limits(
            streamsUpload: route.streamsUpload,
            highWater: settings.streamBufferSize,
            maxAttempts: settings.maxRetries + 1,
            // Blob uploads are model files of many gigabytes: streamed, never buffered, so the
            // body limit (which bounds buffering) does not apply to them.
            maxBodySize: route.streamsUpload ? 0 : settings.maxBodySize,
            // Unknown routes may be inference routes newer than Olla's table.
            keepsTail: operation == .modelBound || operation == .other,
            flavor: route.flavor)
        let announced = head.announcesBody || Self.sendsBody(method: head.method)
        self.machine = Mutex(RequestStateMachine(
            limits: limits, announcedBodyLength: announced ? (head.declaredLength ?? -1) : nil))
    }

    /// Methods whose requests carry a body even when the head does not announce one (a
    /// switch, not an array literal: that was an allocation per request).
    static func sendsBody(method: String) -> Bool {
        switch method {
        case "POST", "PUT", "PATCH": true
        default: false
        }
    }

    // MARK: Called by the inbound server

    /// The request head is in. A streamed upload is routed and started now, before its body.
    public func start() {
        guard route.streamsUpload else { return }
        let plan = context.router.plan(RoutingRequest(
            method: method, route: route, operation: operation, model: nil, smallBody: nil))
        run { $0.uploadRouted(plan) }
    }

    /// Body bytes from the client. A non-nil error is Olla's answer (413): the server sends
    /// it once the upload ends and drops the rest of the body.
    public func clientBodyReceived(_ bytes: UnsafeRawBufferPointer) -> ProxyError? {
        let (action, error) = event { $0.clientBodyReceived(bytes) }
        perform(action)
        return error
    }

    /// The client's body is complete, said on its own (tests); the server says it with its
    /// first `pollAnswer`.
    func clientBodyComplete() {
        run { $0.clientBodyComplete() }
    }

    /// The client's body is complete: what to answer now. libmicrohttpd asks once the body is
    /// in and again after every resume; the first call ends the body (a buffered request is
    /// routed and started), which the machine knows from its state. `.wait` means the
    /// connection was suspended until there is news.
    public func pollAnswer() -> Answer {
        // The answer is composed under the lock, from the facts in place: handing the poll and
        // the facts out (a tuple holding `ContinuousClock.Instant`s, a resilient type) made
        // every copy and destroy of the result a run-time value-witness call (~5 K
        // instructions per request).
        // The body's end and the answer leave the lock through captured variables: in the
        // event's result, `(Action, (Action, Answer?))`, each was copied out of the tuple and
        // destroyed again (~0.2 K instructions per request).
        var bodyEnd = Action.none
        var ready: Answer?
        _ = event { machine -> (Action, Void) in
            if machine.awaitsBodyEnd {
                bodyEnd = machine.clientBodyComplete()
                // Routing runs outside the lock; the answer is asked for again afterwards.
                if case .route = bodyEnd { return (.none, ()) }
            }
            let (action, poll) = machine.pollAnswer()
            ready = answer(to: poll, facts: machine.facts)
            return (action, ())
        }
        perform(bodyEnd)
        if let ready { return ready }
        return pollAnswer()
    }

    /// What the server gets for the machine's `poll`, with Olla's headers from `facts`.
    /// A backend's answer's headers are read from `facts` in place (`OllaHeaders.backendAnswer(_:
    /// requestID:startedAt:extra:facts:)`): an `OllaHeaders` copied the plan, model and endpoint
    /// out of the facts and released them again on every request.
    private func answer(to poll: RequestStateMachine.Poll, facts: borrowing RequestFacts) -> Answer {
        switch poll {
        case .wait:
            return .wait
        case .respondError(let error):
            return .local(OllaHeaders(requestID: requestID, startedAt: startedAt, extra: extraResponseHeaders, facts: copy facts)
                .errorResponse(error, flavor: route.flavor))
        case .respondLocal(let response):
            return .local(OllaHeaders(requestID: requestID, startedAt: startedAt, extra: extraResponseHeaders, facts: copy facts)
                .localResponse(response))
        case .respondComplete(let head, let body):
            let headers = OllaHeaders.backendAnswer(head, requestID: requestID, startedAt: startedAt,
                                                    extra: extraResponseHeaders, facts: facts)
            return .local(LocalResponse(status: head.status, headers: headers, body: body))
        case .respond(let head):
            let headers = OllaHeaders.backendAnswer(head, requestID: requestID, startedAt: startedAt,
                                                    extra: extraResponseHeaders, facts: facts)
            return .proxied(status: head.status, headers: headers, contentLength: head.contentLength)
        }
    }

    /// The server's next step with a request whose body is complete.
    public enum Answer: Sendable {
        /// Nothing to send yet: the connection is suspended until the exchange resumes it.
        case wait
        /// A complete response (Olla's own, or a backend answer that is already whole).
        case local(LocalResponse)
        /// Stream the backend's answer: queue this head, then read the body with `readResponse`.
        /// `contentLength` nil means chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
        case proxied(status: Int, headers: [HTTPHeader], contentLength: UInt64?)
    }

    /// Fills `destination` (libmicrohttpd's buffer) with response bytes.
    /// `suspendingWhenDrained`: the server keeps a `ClientConnection.suspend()` made during
    /// this call from taking effect until the bytes returned are sent (libmicrohttpd-olla's
    /// patch 0011); the read that hands over the last buffered bytes of a running transfer
    /// then suspends the client itself, and the server does not call again only to be told
    /// to suspend (one read per forwarded chunk instead of two).
    public func readResponse(
        into destination: UnsafeMutableRawBufferPointer, suspendingWhenDrained: Bool = false
    ) -> ResponseRead {
        let (action, read) = event { $0.readResponse(into: destination, suspendingWhenDrained: suspendingWhenDrained) }
        perform(action)
        return read
    }

    /// What the response reader hands libmicrohttpd.
    public enum ResponseRead: Sendable, Equatable {
        /// This many bytes were written into the buffer.
        case bytes(Int)
        /// Nothing to send yet: the connection was suspended, the reader returns 0.
        case suspended
        /// The body is complete.
        case end
        /// The body cannot be completed: close without the terminating chunk.
        case abort
    }

    /// The server is done with this request; `successfully` is false when the client did not
    /// get the whole answer (it left, or its connection failed).
    public func clientCompleted(successfully: Bool) {
        // The access record and the few facts the rest of the completion needs are read under
        // the lock, from the facts in place: a copy of the whole facts handed out of it
        // (retains of the model, the plan, the endpoint and the tail, and their releases)
        // cost ~0.8 K instructions per request.
        // Captured variables, not the event's result: a result tuple `(Action, AccessRecord)`
        // was copied and destroyed through the runtime's generic tuple witnesses (~0.5 K).
        var completion = Completion()
        var ended: RequestFacts.InFlight?
        var made: AccessRecord?
        run { machine in
            let action = successfully ? machine.clientCompleted() : machine.clientLeft()
            ended = machine.takeInFlight()
            completion.read(machine.facts, operation: operation)
            made = accessRecord(machine.facts)
            return action
        }
        guard let record = made else { preconditionFailure("the completion made no access record") }
        // The scheduler's `leave` comes with its lesson, in `scheduledRequestCompleted` (one lock).
        if let lastRun = attemptEnded(ended, scheduled: completion.scheduled) {
            completion.expectedColdLoad = lastRun.expectedColdLoad
        }
        noteManagementOutcome(completion)
        scheduledRequestCompleted(record, completion)
        context.finished(self, record: record)
    }

    /// What a completion needs from the request's facts besides its access record.
    struct Completion {
        /// `RequestFacts.status`.
        var status: Int?
        /// The name of the latest attempt's instance.
        var endpoint: String?
        /// The request ran as a fan-out.
        var fannedOut = false
        /// `RequestFacts.changesHoldings`.
        var changesHoldings = false
        /// The scheduler placed the request (`RoutingPlan.scheduled`).
        var scheduled = false
        /// The plan's `modelKey` and `estimatedWait`.
        var modelKey: String?
        var estimatedWait: Double?
        /// Whether the scheduler expected the last attempt to load its model.
        var expectedColdLoad = false

        init() {}

        /// Read in place (a binding of the plan copied it whole), into the completion itself:
        /// one made by an initializer was copied into the captured variable and destroyed
        /// (~0.3 K instructions per request). The endpoint's name is needed only by the
        /// management calls `noteManagementOutcome` follows up.
        mutating func read(_ facts: borrowing RequestFacts, operation: OllamaOperation) {
            status = facts.status
            switch operation {
            case .blobUpload, .pull, .copy, .delete, .create: endpoint = facts.endpoint?.name
            default: break
            }
            fannedOut = !facts.fanOutTargets.isEmpty
            changesHoldings = facts.changesHoldings
            scheduled = facts.plan?.scheduled ?? false
            if scheduled {
                modelKey = facts.plan?.modelKey
                estimatedWait = facts.plan?.estimatedWait
            }
            expectedColdLoad = facts.lastRunExpectedColdLoad
        }
    }

    // MARK: Called by the inbound server about its client (ClientConnectionDelegate)

    /// The client's socket hung up (seen by the worker loop, suspended or not).
    public func clientHungUp() {
        context.withScheduler { $0.leave(id) }
        run { $0.clientLeft() }
    }

    /// The client read nothing for longer than `server.write_timeout`: dropped like a hang-up.
    public func clientStalled() {
        clientHungUp()
    }

    /// `server.write_timeout` of the generation this request started with.
    public var clientStallTimeout: Duration? { context.settings.writeTimeout }

    // MARK: Called by the curl loop (TransferDelegate)

    /// The backend's head; `.abandon` when the exchange retries elsewhere instead.
    public func upstreamHeadReceived(_ head: UpstreamHead) -> HeadDisposition {
        // What the event learns leaves the lock through captured variables, as in
        // `clientCompleted`: a result tuple `(Action, (HeadDisposition, String?, InFlight?,
        // Bool))` was copied through run-time tuple witnesses (~1.3 K instructions).
        var endpoint: String?
        var streams: RequestFacts.InFlight?
        var scheduled = false
        let (action, disposition) = event { machine in
            endpoint = machine.facts.endpoint?.name
            streams = machine.noteStreaming(status: head.status)
            let result = machine.upstreamHeadReceived(head, at: RequestTime.now)
            scheduled = machine.facts.plan?.scheduled ?? false
            return result
        }
        if let streams { context.withRegistry { $0.streamStarted(on: streams.endpoint, slot: streams.slot) } }
        if let endpoint { context.reportOutcome(endpoint: endpoint, status: head.status) }
        if let endpoint, scheduled {
            context.withScheduler { $0.headReceived(id, endpoint: endpoint, status: head.status) }
        }
        if disposition == .abandon, let endpoint {
            context.attemptFailed(self, endpoint: endpoint, failure: .refused(status: head.status))
        }
        perform(action)
        return disposition
    }

    /// A chunk of the backend's answer; `.pause` when the response queue is full. A chunk for
    /// a client that waits idle goes to it at once (`ClientConnection.sendChunk`).
    public func upstreamBodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyAcceptance {
        let (action, acceptance) = event { $0.upstreamBodyReceived(bytes, sendChunk: { client.sendChunk($0) }) }
        perform(action)
        return acceptance
    }

    /// The transfer ended (`failure` nil: the whole answer arrived). A successful answer that
    /// changed what an instance holds ends only once the catalogue shows the change: `ollama
    /// rm` followed at once by `ollama list` must not list the model again.
    public func upstreamFinished(_ failure: UpstreamFailure?) {
        // Captured variables, not a result tuple (see `upstreamHeadReceived`).
        var name = "-"
        var ended: RequestFacts.InFlight?
        var scheduled = false
        var refreshFirst = false
        let (action, _) = event { machine -> (Action, Void) in
            name = machine.facts.endpoint?.name ?? "-"
            ended = machine.takeInFlight()
            let status = machine.facts.upstreamStatus ?? 0
            refreshFirst = failure == nil && machine.facts.changesHoldings && (200..<300).contains(status)
            let action = refreshFirst ? Action.none : machine.upstreamFinished(failure)
            scheduled = machine.facts.plan?.scheduled ?? false
            return (action, ())
        }
        let endpoint = name
        if let failure {
            context.attemptFailed(self, endpoint: endpoint, failure: failure)
            context.reportFailure(endpoint: endpoint, failure: failure)
        }
        if let lastRun = attemptEnded(ended, scheduled: scheduled) {
            // What the scheduler expected of the attempt, for its lesson at completion: known
            // only once the scheduler's lock is released, so kept by a write of its own (a
            // scheduled request's transfer end is the one event that takes the lock twice).
            machine.withLock { $0.facts.lastRunExpectedColdLoad = lastRun.expectedColdLoad }
        }
        if refreshFirst {
            Task {
                await context.refreshInventoryNow(endpoint)
                run { $0.upstreamFinished(nil) }
            }
            return
        }
        perform(action)
    }

    /// Request-body bytes for curl.
    public func readUpload(into destination: UnsafeMutableRawBufferPointer) -> UploadRead {
        let (action, read) = event { machine -> (Action, UploadRead) in
            let (action, read) = machine.readUpload(into: destination)
            if case .bytes(let n) = read, machine.uploadFullyTaken { return (action, .lastBytes(n)) }
            return (action, read)
        }
        perform(action)
        return read
    }

    /// Whether this request paused its transfer (a full answer queue) and curl has not
    /// delivered since: the backend's silence is Olla's doing.
    public var holdsAnswerPaused: Bool {
        machine.withLock { $0.holdsAnswerPaused }
    }

    // MARK: Called by the engine

    /// Ends the request if it still runs (the shutdown deadline passed).
    func terminate(reason: String) {
        run { $0.terminate(reason: reason) }
    }

    // MARK: Carrying out actions

    /// Runs one event under the lock and carries out its client action there too.
    func event<T>(_ body: (inout RequestStateMachine) -> (Action, T)) -> (Action, T) {
        machine.withLock { machine in
            let result = body(&machine)
            switch result.0.client {
            case .suspended?: client.suspend()
            case .flowing?: client.resume()
            case nil: break
            }
            return result
        }
    }

    /// Runs one event and carries out its action.
    func run(_ body: (inout RequestStateMachine) -> Action) {
        perform(event { (body(&$0), ()) }.0)
    }

    /// Carries out what an event decided, after the lock is released. Most events (two per
    /// forwarded chunk) leave nothing to do here: that check is inlined into each caller,
    /// and only an action with work calls `carryOut`.
    @inline(__always)
    func perform(_ action: Action) {
        switch action {
        case .none, .suspendClient, .resumeClient: return
        default: carryOut(action)
        }
    }

    /// The work of an action `perform` does not skip.
    @inline(never)
    private func carryOut(_ action: Action) {
        switch action {
        case .none, .suspendClient, .resumeClient:
            return
        case .startAttempt(let start):
            startAttempt(start)
        case .unpauseTransfer, .unpauseTransferAndSuspendClient:
            transport.unpause(transferID: id)
        case .cancelTransfer, .cancelTransferAndResumeClient:
            transport.cancel(transferID: id)
        case .route(let body):
            let routing = BufferedRouting.decide(
                body: body, method: method, route: route, operation: operation, id: id,
                contentType: { HeaderRules.value(of: "content-type", in: requestHeaders) }, router: context.router)
            run { $0.routed(routing.plan, model: routing.model, changesHoldings: routing.changesHoldings) }
        case .startFanOut(let targets, let body):
            runFanOut(targets, body: body)
        case .hold(let model):
            hold(model: model)
        }
    }

    /// Puts the request in the scheduler's hold queue. Kept out of `perform` (which runs twice
    /// per forwarded chunk): the clock reading it passes is a `ContinuousClock.Instant`, a
    /// type whose size is known only at run time, and a frame that holds one asks the runtime
    /// for the type's metadata and sizes its stack on every call, whichever case runs.
    @inline(never)
    private func hold(model: String) {
        context.withScheduler { $0.attach(id, model: model, request: self) }
    }
}
