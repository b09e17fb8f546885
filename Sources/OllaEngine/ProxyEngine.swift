import Logging
import OllaCore
import Synchronization

/// Decides what happens to each inbound request and owns the set of live exchanges.
///
/// The engine holds no C pointers: the inbound server hands it request heads and a
/// `ClientConnection`, and it talks to backends through the `UpstreamTransport` port.
/// Everything that comes from the configuration is one `Generation`, replaced whole on
/// reload: requests already running keep the generation they started with.
public final class ProxyEngine: Sendable {
    /// What the inbound server does with a request head.
    public enum Begin: Sendable {
        /// Queue this response now (Olla answers itself).
        case respond(LocalResponse)
        /// Forward the request through this exchange.
        case proxy(Exchange)
    }

    /// One configuration's worth of engine state.
    public struct Generation: Sendable {
        /// Timeouts, retries, buffer and body limits.
        public var settings: ProxySettings
        /// The endpoints with their live health, models and counters.
        public var registry: EndpointRegistry
        /// Turns a request and a routing snapshot into a plan.
        public var router: Router
        /// API keys, CORS, rate limits and request-head limits.
        public var policy: AccessPolicy
        /// Whether every request gets an access-log line (`logging.requests`).
        public var requestLogging: Bool

        /// A generation with every part given.
        public init(settings: ProxySettings, registry: EndpointRegistry, router: Router, policy: AccessPolicy,
                    requestLogging: Bool) {
            self.settings = settings
            self.registry = registry
            self.router = router
            self.policy = policy
            self.requestLogging = requestLogging
        }
    }

    /// The generation in force and its exchanges' context, behind one reference: each
    /// request takes them once, and copying the `Generation` struct out of the lock retained
    /// every part of it.
    private final class Installed: Sendable {
        let generation: Generation
        let context: ExchangeContext
        init(generation: Generation, context: ExchangeContext) {
            self.generation = generation
            self.context = context
        }
    }

    /// Callbacks from exchanges back to the engine and the monitor.
    struct Hooks: Sendable {
        var attemptFailed: @Sendable (Exchange, String, UpstreamFailure) -> Void
        var healthChanged: @Sendable (String, EndpointHealth.Transition) -> Void
        var refreshInventory: @Sendable (String) async -> Void
        var scheduled: @Sendable (_ endpoint: String, _ coldLoad: Bool, _ estimatedWait: Double?, _ ttfb: Duration?) -> Void
    }

    /// The counters and histograms `/internal/metrics` renders.
    public let metrics = Metrics()
    /// The last API requests and the timeline the fleet page shows.
    public let activity = FleetActivity()
    let logger: Logger
    /// The logger's handler when it writes access lines from their fields (the daemon's does).
    private let accessLogWriter: (any AccessLogWriter)?
    let startedAt = ContinuousClock.now
    private let current: Mutex<Installed?> = Mutex(nil)
    /// The exchanges in flight. Also the in-flight gauge of `/internal/metrics` (no
    /// `Metrics.inFlight` per request: that was its lock taken twice more).
    private let live = Mutex<LiveExchanges>(LiveExchanges())
    private let refreshInventory: @Sendable (String) async -> Void

    /// `refreshInventory` re-reads an endpoint's models after a management call changed them,
    /// returning once the catalogue shows it.
    public init(generation: Generation, logger: Logger, refreshInventory: @escaping @Sendable (String) async -> Void) {
        self.logger = logger
        accessLogWriter = logger.handler as? any AccessLogWriter
        self.refreshInventory = refreshInventory
        install(generation)
    }

    /// Switches to a new configuration. Requests in flight finish with the old one.
    public func install(_ generation: Generation) {
        let context = ExchangeContext(settings: generation.settings, router: generation.router,
                                      registry: generation.registry, requestLogging: generation.requestLogging,
                                      hooks: hooks(), engine: self)
        let installed = Installed(generation: generation, context: context)
        current.withLock { $0 = installed }
    }

    /// The configuration in force now.
    public var generation: Generation { current.withLock { $0!.generation } }

    private func hooks() -> Hooks {
        let logger = self.logger
        let metrics = self.metrics
        return Hooks(
            attemptFailed: { exchange, endpoint, failure in
                metrics.failover(from: endpoint, reason: failure.metricReason)
                logger.warning("backend attempt failed", metadata: [
                    "request_id": "\(exchange.requestID)", "endpoint": "\(endpoint)", "error": "\(failure.message)",
                ])
            },
            healthChanged: { endpoint, transition in
                logger.warning("endpoint state changed", metadata: [
                    "endpoint": "\(endpoint)", "from": "\(transition.from.rawValue)", "to": "\(transition.to.rawValue)",
                    "cause": "request",
                ])
            },
            refreshInventory: refreshInventory,
            scheduled: { endpoint, coldLoad, estimate, ttfb in
                metrics.scheduled(endpoint: endpoint, coldLoad: coldLoad, estimatedWait: estimate, timeToFirstByte: ttfb)
            })
    }

    /// Called once per request, when its head is complete: answers it at once, or hands back
    /// the exchange that will proxy it. `transport` is the outbound loop of the worker that
    /// received the request.
    public func begin(head: InboundHead, client: ClientConnection, transport: UpstreamTransport) -> Begin {
        let installed = current.withLock { $0! }
        var gate = RequestGate(head: head, policy: installed.generation.policy, metrics: metrics)
        if let refusal = gate.refuseAmbiguousFraming(head) { return .respond(finishLocal(refusal, head, gate, installed)) }
        if let answer = gate.preflightOrOversize(head) { return .respond(finishLocal(answer, head, gate, installed)) }
        switch Self.disposition(method: head.method, rawTarget: head.rawTarget) {
        case .internalRoute(let route):
            let answer = gate.admitInternal(route, head) ?? InternalRoutes.answer(
                route, registry: installed.generation.registry, metrics: metrics, activity: activity, startedAt: startedAt,
                inFlight: { [self] in liveCount }, ifNoneMatch: HeaderRules.value(of: "if-none-match", in: head.headers))
            return .respond(finishLocal(answer, head, gate, installed))
        case .heartbeat:
            let answer = gate.admit(head, scope: .health, needsKey: false) ?? Self.heartbeat
            return .respond(finishLocal(answer, head, gate, installed))
        case .notFound(let error):
            return .respond(finishLocal(.error(error, flavor: .native), head, gate, installed))
        case .forward(let route):
            if let refusal = gate.admit(head, scope: .proxy, needsKey: true, flavor: route.flavor) {
                return .respond(finishLocal(refusal, head, gate, installed))
            }
            return beginForward(head: head, route: route, client: client, transport: transport,
                                installed: installed, gate: gate)
        }
    }

    /// `route` is taken (moved into the exchange, not copied there).
    private func beginForward(
        head: InboundHead, route: consuming ProxyRoute.Forward, client: ClientConnection, transport: UpstreamTransport,
        installed: Installed, gate: RequestGate
    ) -> Begin {
        let requestID = RequestID.resolve(inbound: HeaderRules.value(of: "x-request-id", in: head.headers))
        switch Self.forwardDecision(method: head.method, route: route, declaredLength: head.declaredLength,
                                    maxBodySize: installed.generation.settings.maxBodySize,
                                    registry: installed.generation.registry, requestID: requestID) {
        case .answer(let answer):
            return .respond(finishLocal(answer, head, gate, installed, requestID: requestID, route: route.path))
        case .bodyTooLarge(let error):
            metrics.rejected(reason: .bodyTooLarge)
            return .respond(finishLocal(.error(error, flavor: route.flavor, requestID: requestID), head, gate, installed,
                                        requestID: requestID, route: route.path))
        case .exchange(let operation):
            let exchange = Exchange(id: TransferID.next(), requestID: requestID, head: head, route: route,
                                    operation: operation, client: client, transport: transport, context: installed.context,
                                    extraResponseHeaders: gate.responseHeaders)
            live.withLock { $0.add(exchange) }
            return .proxy(exchange)
        }
    }

    /// Adds CORS headers to an answer Olla makes itself, and records it. `route` is given
    /// for API requests (under the proxy prefix), which the fleet page lists too.
    private func finishLocal(_ response: LocalResponse, _ head: InboundHead, _ gate: RequestGate, _ installed: Installed,
                             requestID: String? = nil, route: Substring? = nil) -> LocalResponse {
        var response = response
        response.headers += gate.responseHeaders
        let path = route.map(String.init) ?? String(head.rawTarget.pathBeforeQuery)
        metrics.requestCompleted(endpoint: nil, model: nil, route: MetricsRoute.name(path), status: response.status,
                                 bytesOut: Int64(response.body.count), timeToFirstByte: nil, duration: .zero)
        if route != nil {
            activity.record(RecentRequest(
                requestID: requestID, method: head.method, route: MetricsRoute.name(path), model: nil, endpoint: nil,
                status: response.status, timeToFirstByte: nil, duration: .zero, reason: "answered by olla"))
        }
        if installed.generation.requestLogging, logger.logLevel <= .info {
            logger.access(AccessLogLine(requestID: requestID, method: head.method, path: path, status: response.status,
                                        bytes: Int64(response.body.count), durationMilliseconds: 0, endpoint: "olla",
                                        client: gate.client),
                          writer: accessLogWriter)
        }
        return response
    }

    /// An exchange finished (`ExchangeContext.finished`): out of the table, into metrics, the
    /// fleet page's list and the access log.
    func exchangeFinished(_ exchange: Exchange, _ record: AccessRecord) {
        live.withLock { $0.remove(exchange) }
        let route = exchange.route.metricsLabel
        metrics.requestCompleted(endpoint: record.endpoint, model: record.model, route: route, status: record.status,
                                 bytesOut: record.bytesSent, timeToFirstByte: record.timeToFirstByte, duration: record.duration,
                                 tokens: record.tokens)
        // The fields themselves: a `RecentRequest` built here was copied and destroyed whole.
        activity.record(
            requestID: record.requestID, method: record.method, route: route, model: record.model,
            endpoint: record.endpoint, status: record.status, timeToFirstByte: record.timeToFirstByte,
            duration: record.duration, usage: record.tokens, decision: record.routingDecision, reason: record.routingReason)
        // The line is built only when it is written (level info or below).
        guard exchange.context.requestLogging, logger.logLevel <= .info else { return }
        logger.access(record.logLine, writer: accessLogWriter)
    }

    /// Requests still in flight.
    public var liveCount: Int { live.withLock { $0.exchanges.count } }

    /// The most requests in flight at once since the last call (at least those in flight
    /// now). The heap trim samples once a second, and a burst that begins and ends between
    /// two samples would go unseen by `liveCount` (its memory then stayed resident).
    public func takeLivePeak() -> Int {
        live.withLock { live in
            defer { live.peak = live.exchanges.count }
            return max(live.peak, live.exchanges.count)
        }
    }

    /// Ends every stream still running (shutdown deadline): each gets an error trailer.
    public func terminateAll(reason: String) {
        let exchanges = live.withLock { $0.exchanges }
        for exchange in exchanges { exchange.terminate(reason: reason) }
    }

    /// Drops idle rate-limit buckets; the daemon calls it now and then.
    public func cleanupRateLimits() {
        generation.policy.rateLimiter?.cleanup(now: .now)
    }
}

extension UpstreamFailure {
    /// A short label for `olla_failovers_total{reason}`.
    var metricReason: String {
        switch self {
        case .connectFailed: "connect_failed"
        case .connectTimedOut: "connect_timeout"
        case .firstByteTimedOut: "response_timeout"
        case .idleTimedOut: "read_timeout"
        case .transferFailed: "transfer_failed"
        case .refused(let status): "status_\(status)"
        }
    }
}

/// The exchanges in flight, each knowing its position (`Exchange.livePosition`): added at
/// the end, removed by moving the last one into its place. A dictionary by id cost a hash and
/// a probe on each side of every request (~0.3 K instructions).
private struct LiveExchanges {
    var exchanges: [Exchange] = []
    /// The most there were at once since `ProxyEngine.takeLivePeak()` last asked.
    var peak = 0

    mutating func add(_ exchange: Exchange) {
        exchange.livePosition = exchanges.count
        exchanges.append(exchange)
        peak = max(peak, exchanges.count)
    }

    mutating func remove(_ exchange: Exchange) {
        let at = exchange.livePosition
        guard exchanges.indices.contains(at), exchanges[at] === exchange else { return }
        let last = exchanges.removeLast()
        if at < exchanges.count {
            exchanges[at] = last
            last.livePosition = at
        }
        exchange.livePosition = -1
    }
}
