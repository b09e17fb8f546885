import Logging
import OllaCore
import Synchronization

/// Decides what happens to each inbound request and owns the set of live exchanges.
///
/// The engine holds no C pointers: the inbound server hands it request heads and a
/// `ClientConnection`, and it talks to backends through the `UpstreamTransport` port.
public final class ProxyEngine: Sendable {
    public enum Begin: Sendable {
        case respond(LocalResponse)
        case proxy(Exchange)
    }

    /// Callbacks from exchanges back to the engine and the monitor.
    struct Hooks: Sendable {
        var finished: @Sendable (Exchange, AccessRecord) -> Void
        var attemptFailed: @Sendable (Exchange, String, UpstreamFailure) -> Void
        var healthChanged: @Sendable (String, EndpointHealth.Transition) -> Void
        var refreshInventory: @Sendable (String) async -> Void
    }

    public let registry: EndpointRegistry
    private let settings: ProxySettings
    private let router: Router
    private let logger: Logger
    private let requestLogging: Bool
    private let live = Mutex<[UInt64: Exchange]>([:])
    private let context: Mutex<ExchangeContext?> = Mutex(nil)

    public init(settings: ProxySettings, registry: EndpointRegistry, router: Router, logger: Logger,
                requestLogging: Bool = true) {
        self.settings = settings
        self.registry = registry
        self.router = router
        self.logger = logger
        self.requestLogging = requestLogging
    }

    /// Completes the engine before the servers start. `refreshInventory` re-reads an endpoint's
    /// models after a management call changed them, returning once the catalogue shows it.
    public func attach(refreshInventory: @escaping @Sendable (String) async -> Void) {
        let logger = self.logger
        let hooks = Hooks(
            finished: { [weak self] exchange, record in self?.exchangeFinished(exchange, record) },
            attemptFailed: { exchange, endpoint, failure in
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
            refreshInventory: refreshInventory)
        let context = ExchangeContext(settings: settings, router: router, registry: registry, hooks: hooks)
        self.context.withLock { $0 = context }
    }

    /// Called once per request, when its head is complete.
    /// `transport` is the outbound loop of the worker that received the request.
    public func begin(head: InboundHead, client: ClientConnection, transport: UpstreamTransport) -> Begin {
        switch ProxyRoute.classify(method: head.method, rawTarget: head.rawTarget) {
        case .heartbeat:
            return .respond(LocalResponse(
                status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: Array("Ollama is running".utf8)))
        case .notFound:
            let path = head.rawTarget.prefix { $0 != "?" }
            let error = ProxyError(.notFound, "no route for \(path): Ollama's API is served under \(ProxyRoute.prefix)/")
            return .respond(.error(error, flavor: .native))
        case .forward(let route):
            return beginForward(head: head, route: route, client: client, transport: transport)
        }
    }

    private func beginForward(
        head: InboundHead, route: ProxyRoute.Forward, client: ClientConnection, transport: UpstreamTransport
    ) -> Begin {
        let requestID = RequestID.resolve(inbound: HeaderRules.value(of: "x-request-id", in: head.headers))
        if let answer = CatalogueAnswers.answer(
            operation: OllamaOperation.classify(method: head.method, upstreamTarget: route.upstreamTarget),
            catalogue: registry.snapshot.catalogue, requestID: requestID) {
            logLocal(head: head, route: route, status: answer.status, bytes: answer.body.count, requestID: requestID)
            return .respond(answer)
        }
        if !route.streamsUpload, settings.maxBodySize > 0, let length = head.declaredLength, length > settings.maxBodySize {
            let error = ProxyError(.payloadTooLarge, "request body of \(length) bytes exceeds the limit of \(settings.maxBodySize) bytes")
            return .respond(.error(error, flavor: route.flavor, requestID: requestID))
        }
        guard let context = context.withLock({ $0 }) else {
            let error = ProxyError(.serviceUnavailable, "olla is starting")
            return .respond(.error(error, flavor: route.flavor, requestID: requestID))
        }
        let exchange = Exchange(id: TransferID.next(), requestID: requestID, head: head, route: route,
                                client: client, transport: transport, context: context)
        live.withLock { $0[exchange.id] = exchange }
        return .proxy(exchange)
    }

    private func exchangeFinished(_ exchange: Exchange, _ record: AccessRecord) {
        live.withLock { _ = $0.removeValue(forKey: exchange.id) }
        guard requestLogging else { return }
        var metadata: Logger.Metadata = [
            "request_id": "\(record.requestID)",
            "method": "\(record.method)",
            "path": "\(record.path)",
            "status": .stringConvertible(record.status),
            "bytes": .stringConvertible(record.bytesSent),
            "duration_ms": .stringConvertible(Exchange.milliseconds(record.duration)),
        ]
        if let model = record.model { metadata["model"] = "\(model)" }
        if let endpoint = record.endpoint { metadata["endpoint"] = "\(endpoint)" }
        if let ttfb = record.timeToFirstByte { metadata["ttfb_ms"] = .stringConvertible(Exchange.milliseconds(ttfb)) }
        logger.info("request", metadata: metadata)
    }

    private func logLocal(head: InboundHead, route: ProxyRoute.Forward, status: Int, bytes: Int, requestID: String) {
        guard requestLogging else { return }
        logger.info("request", metadata: [
            "request_id": "\(requestID)", "method": "\(head.method)", "path": "\(route.upstreamTarget)",
            "status": .stringConvertible(status), "bytes": .stringConvertible(bytes), "endpoint": "olla",
            "duration_ms": .stringConvertible(0),
        ])
    }

    /// Requests still in flight.
    public var liveCount: Int { live.withLock { $0.count } }

    /// Ends every stream still running (shutdown deadline): each gets an error trailer.
    public func terminateAll(reason: String) {
        let exchanges = live.withLock { Array($0.values) }
        for exchange in exchanges { exchange.terminate(reason: reason) }
    }
}
