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

    private let settings: ProxySettings
    private let selector: EndpointSelector
    private let logger: Logger
    private let requestLogging: Bool
    private let live = Mutex<[UInt64: Exchange]>([:])
    private let context: Mutex<ExchangeContext?> = Mutex(nil)

    public init(
        settings: ProxySettings, selector: EndpointSelector, logger: Logger, requestLogging: Bool = true
    ) {
        self.settings = settings
        self.selector = selector
        self.logger = logger
        self.requestLogging = requestLogging
    }

    /// Connects the engine to its outbound transport; must happen before the server starts.
    public func attach(transport: UpstreamTransport) {
        let context = ExchangeContext(
            settings: settings, transport: transport,
            onFinished: { [weak self] exchange, record in self?.exchangeFinished(exchange, record) },
            onAttemptFailed: { [weak self] exchange, endpoint, failure in
                self?.logger.warning("backend attempt failed", metadata: [
                    "request_id": "\(exchange.requestID)",
                    "endpoint": "\(endpoint)",
                    "error": "\(failure.message)",
                ])
            })
        self.context.withLock { $0 = context }
    }

    /// Called once per request, when its head is complete.
    public func begin(head: InboundHead, client: ClientConnection) -> Begin {
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
            return beginForward(head: head, route: route, client: client)
        }
    }

    private func beginForward(head: InboundHead, route: ProxyRoute.Forward, client: ClientConnection) -> Begin {
        let requestID = RequestID.resolve(inbound: HeaderRules.value(of: "x-request-id", in: head.headers))
        if !route.streamsUpload, settings.maxBodySize > 0, let length = head.declaredLength, length > settings.maxBodySize {
            let error = ProxyError(.payloadTooLarge, "request body of \(length) bytes exceeds the limit of \(settings.maxBodySize) bytes")
            return .respond(.error(error, flavor: route.flavor, requestID: requestID))
        }
        let candidates = selector.candidates()
        guard let context = context.withLock({ $0 }), !candidates.isEmpty else {
            let error = ProxyError(.serviceUnavailable, "no backend endpoint is configured")
            return .respond(.error(error, flavor: route.flavor, requestID: requestID))
        }
        let exchange = Exchange(
            id: TransferID.next(), requestID: requestID, head: head,
            route: route, candidates: candidates, client: client, context: context)
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

    /// Requests still in flight.
    public var liveCount: Int { live.withLock { $0.count } }

    /// Ends every stream still running (shutdown deadline): each gets an error trailer.
    public func terminateAll(reason: String) {
        let exchanges = live.withLock { Array($0.values) }
        for exchange in exchanges { exchange.terminate(reason: reason) }
    }
}
