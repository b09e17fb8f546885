/// One backend in `discovery.static.endpoints`.
///
/// The streaming core uses `name`, `url`, `type` and `priority` (failover goes through
/// endpoints in priority order); the remaining settings drive health checking and model
/// routing across instances.
public struct EndpointConfig: Sendable, Equatable {
    /// `name`: unique, non-empty, without whitespace; used in logs and status output.
    public var name: String
    /// `url`: where the backend listens.
    public var url: EndpointURL
    /// `type`: the API the backend speaks.
    public var type: EndpointType
    /// `priority`: 0...1000000, higher is preferred. Default 100.
    public var priority: Int
    /// `weight`: 1...1000, the share of traffic within a priority tier. Default 1.
    public var weight: Int
    /// `health_check_url`: a path (appended to `url`) or absolute URL probed for health.
    /// Default depends on `type`.
    public var healthCheckURL: String
    /// `model_url`: a path or absolute URL listing the backend's models. Default depends on `type`.
    public var modelURL: String
    /// `check_interval`: time between health checks, greater than 0. Default 5s.
    public var checkInterval: Duration
    /// `check_timeout`: the longest one health check may take; greater than 0 and shorter
    /// than `checkInterval`. Default 2s.
    public var checkTimeout: Duration
    /// `headers`: extra headers sent with every request to this backend, in file order.
    public var headers: [HTTPHeader]
    /// `auth`: the credential sent to this backend; it wins over `headers` for its header.
    public var auth: EndpointAuth? = nil
    /// `num_parallel`: requests one model runs at once on this instance (the instance's
    /// `OLLAMA_NUM_PARALLEL`), 1...1024. Nil: learned from concurrent streams, starting at
    /// Ollama's default of 1 (unlimited for `openai-compatible` servers).
    public var numParallel: Int? = nil
    /// `max_loaded_models`: models this instance holds in memory at once (its
    /// `OLLAMA_MAX_LOADED_MODELS`, or fewer when memory is the limit), 1...1024. Nil: learned
    /// from `/api/ps`, starting at Ollama's default of 3.
    public var maxLoadedModels: Int? = nil

    /// The valid range of `priority`.
    public static let priorityRange = 0...1_000_000
    /// The valid range of `weight`.
    public static let weightRange = 1...1_000
    /// The valid range of `num_parallel` and `max_loaded_models`.
    public static let capacityRange = 1...1_024

    /// Creates an endpoint. `healthCheckURL` and `modelURL` default to `type`'s paths.
    public init(
        name: String,
        url: EndpointURL,
        type: EndpointType = .ollama,
        priority: Int = 100,
        weight: Int = 1,
        healthCheckURL: String? = nil,
        modelURL: String? = nil,
        checkInterval: Duration = .seconds(5),
        checkTimeout: Duration = .seconds(2),
        headers: [HTTPHeader] = []
    ) {
        self.name = name
        self.url = url
        self.type = type
        self.priority = priority
        self.weight = weight
        self.healthCheckURL = healthCheckURL ?? type.defaultHealthCheckURL
        self.modelURL = modelURL ?? type.defaultModelURL
        self.checkInterval = checkInterval
        self.checkTimeout = checkTimeout
        self.headers = headers
    }

    /// The endpoint used when no endpoints are configured: Ollama on its default port.
    public static let localOllama = EndpointConfig(
        name: "local-ollama",
        url: EndpointURL(scheme: .http, host: "localhost", port: 11_434),
        type: .ollama,
        priority: 100
    )

    /// `healthCheckURL` as an absolute URL.
    public var resolvedHealthCheckURL: String { url.resolving(healthCheckURL) }

    /// `modelURL` as an absolute URL.
    public var resolvedModelURL: String { url.resolving(modelURL) }

    /// Every setting equal, headers in the same order. Written out (it predates `HTTPHeader`'s
    /// `Equatable`): a new stored property belongs here too.
    public static func == (lhs: EndpointConfig, rhs: EndpointConfig) -> Bool {
        lhs.name == rhs.name && lhs.url == rhs.url && lhs.type == rhs.type && lhs.priority == rhs.priority
            && lhs.weight == rhs.weight && lhs.healthCheckURL == rhs.healthCheckURL && lhs.modelURL == rhs.modelURL
            && lhs.checkInterval == rhs.checkInterval && lhs.checkTimeout == rhs.checkTimeout
            && lhs.headers.elementsEqual(rhs.headers, by: ==) && lhs.auth == rhs.auth
            && lhs.numParallel == rhs.numParallel && lhs.maxLoadedModels == rhs.maxLoadedModels
    }
}
