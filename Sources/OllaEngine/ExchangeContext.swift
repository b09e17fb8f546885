import OllaCore

/// The engine-wide settings every exchange reads.
public struct ProxySettings: Sendable {
    public var connectTimeout: Duration
    /// Nil means no limit.
    public var responseTimeout: Duration?
    public var readTimeout: Duration?
    /// A client that reads nothing for this long is dropped (nil: never).
    public var writeTimeout: Duration?
    public var maxRetries: Int
    public var streamBufferSize: Int
    /// Zero means unlimited.
    public var maxBodySize: Int64

    public init(connectTimeout: Duration, responseTimeout: Duration?, readTimeout: Duration?,
                writeTimeout: Duration?, maxRetries: Int, streamBufferSize: Int, maxBodySize: Int64) {
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.maxRetries = maxRetries
        self.streamBufferSize = streamBufferSize
        self.maxBodySize = maxBodySize
    }
}

/// What an exchange needs from the engine that made it.
final class ExchangeContext: Sendable {
    let settings: ProxySettings
    let router: Router
    let registry: EndpointRegistry
    let requestLogging: Bool
    private let hooks: ProxyEngine.Hooks

    init(settings: ProxySettings, router: Router, registry: EndpointRegistry, requestLogging: Bool,
         hooks: ProxyEngine.Hooks) {
        self.settings = settings
        self.requestLogging = requestLogging
        self.router = router
        self.registry = registry
        self.hooks = hooks
    }

    func finished(_ exchange: Exchange, record: AccessRecord) { hooks.finished(exchange, record) }

    /// A scheduled request completed: metrics for cold loads and estimate error.
    func scheduled(endpoint: String, coldLoad: Bool, estimatedWait: Double?, timeToFirstByte: Duration?) {
        hooks.scheduled(endpoint, coldLoad, estimatedWait, timeToFirstByte)
    }

    func attemptFailed(_ exchange: Exchange, endpoint: String, failure: UpstreamFailure) {
        hooks.attemptFailed(exchange, endpoint, failure)
    }

    /// Real traffic is evidence about an endpoint's health, as good as a probe.
    func reportOutcome(endpoint: String, status: Int) {
        let now = ContinuousClock.now
        let transition = registry.updateHealth(endpoint, now: now) { health in
            switch status {
            case 429, 503: health.requestFailed(.busy, now: now)
            case 500...599: health.requestFailed(.serverError(status), now: now)
            default: health.requestSucceeded(now: now)
            }
        }
        if let transition { hooks.healthChanged(endpoint, transition) }
    }

    func reportFailure(endpoint: String, failure: UpstreamFailure) {
        guard failure.isConnectFailure else { return }
        let now = ContinuousClock.now
        if let transition = registry.updateHealth(endpoint, now: now, { $0.requestFailed(.connect(failure.message), now: now) }) {
            hooks.healthChanged(endpoint, transition)
        }
    }

    /// Re-reads an endpoint's models in the background.
    func refreshInventory(_ endpoint: String) {
        let refresh = hooks.refreshInventory
        Task { await refresh(endpoint) }
    }

    /// Re-reads an endpoint's models and returns when the catalogue shows them.
    func refreshInventoryNow(_ endpoint: String) async {
        await hooks.refreshInventory(endpoint)
    }
}

/// One line of the access log.
public struct AccessRecord: Sendable {
    public var requestID: String
    public var method: String
    public var path: String
    public var model: String?
    public var endpoint: String?
    /// 499 (nginx's convention) when the client left before an answer was queued.
    public var status: Int
    public var bytesSent: Int64
    public var timeToFirstByte: Duration?
    public var duration: Duration
    /// Read from the end of an inference answer (Ollama's final chunk or OpenAI's usage).
    public var tokens: TokenUsage?
    /// The routing plan's decision and reason (`X-Olla-Routing-Decision`, `-Reason`); nil before routing.
    public var routingDecision: String?
    public var routingReason: String?
}
