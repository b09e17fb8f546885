/// Everything the status page and `/internal/metrics` show about one endpoint, gathered
/// by the daemon from the configuration, the health checker, the catalogue and `Metrics`.
public struct EndpointStatusRow: Sendable, Equatable {
    /// The endpoint's configured name.
    public var name: String
    /// The base URL, as configured (normalised).
    public var url: String
    /// `ollama` or `openai-compatible`.
    public var type: String
    /// `priority` from the configuration: higher is preferred.
    public var priority: Int
    /// `weight` from the configuration: the share within a priority tier.
    public var weight: Int
    /// The health state, breaker included.
    public var state: EndpointState
    /// Whether requests may be sent to it now.
    public var routable: Bool
    /// Models the endpoint offers, and those it has loaded in memory.
    public var models: [String]
    /// The names of the models it has loaded in memory (`/api/ps`).
    public var loadedModels: [String]
    /// The loaded models with their memory and expiry, as `/api/ps` reported them.
    public var loaded: [LoadedModel] = []
    /// The backend's version (`/api/version`); nil when unknown.
    public var version: String?
    /// Requests to this endpoint in progress now.
    public var inFlight: Int
    /// Requests completed against this endpoint.
    public var requests: Int
    /// Successful fraction of `requests`, 0...1; nil before the first request.
    public var successRate: Double?
    /// Percentiles of recent request durations; nil before the first request.
    public var latencyP50: Duration?
    /// The 95th percentile of recent request durations.
    public var latencyP95: Duration?
    /// The 99th percentile of recent request durations.
    public var latencyP99: Duration?
    /// Time since the last health probe finished; nil before the first.
    public var lastCheckedAgo: Duration?
    /// Time until the next probe (negative when overdue).
    public var nextCheckIn: Duration?
    /// The last error seen, cleared by a successful probe.
    public var lastError: String?

    /// Creates a row from its parts.
    public init(
        name: String, url: String, type: String, priority: Int, weight: Int,
        state: EndpointState, routable: Bool, models: [String] = [], loadedModels: [String] = [],
        inFlight: Int = 0, requests: Int = 0, successRate: Double? = nil,
        latencyP50: Duration? = nil, latencyP95: Duration? = nil, latencyP99: Duration? = nil,
        lastCheckedAgo: Duration? = nil, nextCheckIn: Duration? = nil, lastError: String? = nil
    ) {
        self.name = name
        self.url = url
        self.type = type
        self.priority = priority
        self.weight = weight
        self.state = state
        self.routable = routable
        self.models = models
        self.loadedModels = loadedModels
        self.inFlight = inFlight
        self.requests = requests
        self.successRate = successRate
        self.latencyP50 = latencyP50
        self.latencyP95 = latencyP95
        self.latencyP99 = latencyP99
        self.lastCheckedAgo = lastCheckedAgo
        self.nextCheckIn = nextCheckIn
        self.lastError = lastError
    }

    /// A row from the pieces the daemon already has.
    ///
    /// - Parameters:
    ///   - config: The endpoint's configuration (name, URL, type, priority, weight).
    ///   - health: Its health checker's snapshot.
    ///   - stats: `Metrics.endpointStats(config.name)`.
    ///   - models: The models it offers (from its inventory).
    ///   - loadedModels: The models it has loaded.
    ///   - inFlight: Requests to it in progress.
    ///   - loaded: The loaded models' details (memory, expiry) from its inventory.
    ///   - version: The backend's version, when known.
    public init(
        config: EndpointConfig, health: HealthSnapshot, stats: EndpointRequestStats,
        models: [String], loadedModels: [String], inFlight: Int, loaded: [LoadedModel] = [], version: String? = nil
    ) {
        let latency = stats.latencyPercentiles
        self.init(
            name: config.name, url: config.url.baseURL, type: config.type.rawValue,
            priority: config.priority, weight: config.weight,
            state: health.state, routable: health.isRoutable,
            models: models, loadedModels: loadedModels, inFlight: inFlight,
            requests: stats.requests, successRate: stats.successRate,
            latencyP50: latency.p50, latencyP95: latency.p95, latencyP99: latency.p99,
            lastCheckedAgo: health.sinceLastCheck, nextCheckIn: health.untilNextProbe,
            lastError: health.lastError)
        self.loaded = loaded
        self.version = version
    }
}
