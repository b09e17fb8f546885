import OllaCore

/// The engine-wide settings every exchange reads (the `proxy` and `server` sections of the
/// configuration; see docs/configuration.md).
public struct ProxySettings: Sendable {
    /// `proxy.connection_timeout`: how long curl may take to connect to an instance.
    public var connectTimeout: Duration
    /// `proxy.response_timeout`: from the end of the upload to the response head. Nil means no limit.
    public var responseTimeout: Duration?
    /// `proxy.read_timeout`: the longest silence between two chunks of an answer. Nil means no limit.
    public var readTimeout: Duration?
    /// `server.write_timeout`: a client that reads nothing for this long is dropped (nil: never).
    public var writeTimeout: Duration?
    /// `proxy.max_retries`: further candidates tried after a connect failure or a busy answer.
    public var maxRetries: Int
    /// `proxy.stream_buffer_size`, bytes queued per direction before the producer is paused.
    public var streamBufferSize: Int
    /// `server.request_limits.max_body_size`, bytes of a buffered request body. Zero means unlimited.
    public var maxBodySize: Int64

    /// Settings with every value given (durations as they are, sizes in bytes).
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
    /// The engine that made this context, told of every finished exchange. Weak: the engine
    /// holds the context; a `weak let` is read without the run-time exclusivity check a
    /// closure's captured `weak var` cost (and without the closure's call) on every request.
    private weak let engine: ProxyEngine?

    init(settings: ProxySettings, router: Router, registry: EndpointRegistry, requestLogging: Bool,
         hooks: ProxyEngine.Hooks, engine: ProxyEngine) {
        self.settings = settings
        self.requestLogging = requestLogging
        self.router = router
        self.registry = registry
        self.hooks = hooks
        self.engine = engine
        unretainedRegistry = Unmanaged.passUnretained(registry)
        unretainedScheduler = Unmanaged.passUnretained(registry.scheduler)
    }

    /// `registry` and its scheduler without a reference count: `registry` (a `let`, held for
    /// the context's life) keeps both alive, so the calls every request makes on them (its
    /// in-flight and stream counts, the scheduler's attempt records) borrow them
    /// (`_withUnsafeGuaranteedRef`). Called through `registry` and `registry.scheduler`, each
    /// call retained and released the object around it (~40 instructions a call).
    private let unretainedRegistry: Unmanaged<EndpointRegistry>
    private let unretainedScheduler: Unmanaged<FleetScheduler>

    /// Runs `body` with `registry`, borrowed.
    @inline(__always)
    func withRegistry<R>(_ body: (EndpointRegistry) -> R) -> R {
        unretainedRegistry._withUnsafeGuaranteedRef(body)
    }

    /// Runs `body` with `registry.scheduler`, borrowed.
    @inline(__always)
    func withScheduler<R>(_ body: (FleetScheduler) -> R) -> R {
        unretainedScheduler._withUnsafeGuaranteedRef(body)
    }

    func finished(_ exchange: Exchange, record: AccessRecord) { engine?.exchangeFinished(exchange, record) }

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
        let transition = withRegistry { registry in registry.updateHealth(endpoint, now: now) { health in
            switch status {
            case 429, 503: health.requestFailed(.busy, now: now)
            case 500...599: health.requestFailed(.serverError(status), now: now)
            default: health.requestSucceeded(now: now)
            }
        } }
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

/// One line of the access log, also fed to metrics and the fleet page's list.
public struct AccessRecord: Sendable {
    /// `X-Olla-Request-ID`.
    public var requestID: String
    /// The client's method.
    public var method: String
    /// The path and query as forwarded (without Olla's prefix).
    public var path: String
    /// The model the body named, if any.
    public var model: String?
    /// The instance that answered (every instance of a fan-out, comma-separated); nil when none did.
    public var endpoint: String?
    /// 499 (nginx's convention) when the client left before an answer was queued.
    public var status: Int
    /// Response body bytes handed to the server.
    public var bytesSent: Int64
    /// From the request head to the backend's response head; nil when no head came.
    public var timeToFirstByte: Duration?
    /// From the request head to the end of the answer.
    public var duration: Duration
    /// Read from the end of an inference answer (Ollama's final chunk or OpenAI's usage).
    public var tokens: TokenUsage?
    /// The routing plan's decision (`X-Olla-Routing-Decision`); nil before routing.
    public var routingDecision: String?
    /// The routing plan's reason (`X-Olla-Routing-Reason`); nil before routing.
    public var routingReason: String?
}
