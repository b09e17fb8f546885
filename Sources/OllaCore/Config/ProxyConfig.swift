/// The `proxy` section: how requests are forwarded to the backends.
public struct ProxyConfig: Sendable, Equatable {
    /// `engine`: accepted for compatibility with Go Olla; there is one engine.
    public var engine: ProxyEngineKind
    /// `profile`: accepted for compatibility with Go Olla; responses are always streamed.
    public var profile: ProxyProfile
    /// `load_balancer`: how an endpoint is chosen. Default `.residencyAware`.
    public var loadBalancer: LoadBalancerKind
    /// `connection_timeout`: the longest a TCP (and TLS) connect to a backend may take.
    /// Always greater than zero. Default 5s.
    public var connectionTimeout: Duration
    /// `response_timeout`: the longest to wait for a backend's response headers (first
    /// byte) once the request is sent; model loading counts here. `.zero` means no
    /// limit; otherwise at least 1s. Default 10m.
    public var responseTimeout: Duration
    /// `read_timeout`: the longest silence allowed between two body chunks of a
    /// response. `.zero` means no limit. Default 5m.
    public var readTimeout: Duration
    /// `max_retries`: how many other endpoints are tried after a connection failure,
    /// 0...100. Default 3.
    public var maxRetries: Int
    /// `stream_buffer_size`: per-request bound, in bytes, on response data buffered
    /// for a slow client before the backend transfer is paused. Default 1 MiB.
    public var streamBufferSize: Int
    /// `scheduler`: the `residency-aware` balancer's defaults and bounds.
    public var scheduler: SchedulerSettings

    /// The valid range of `max_retries`.
    public static let maxRetriesRange = 0...100
    /// The valid range of `stream_buffer_size`: 4 KiB to 64 MiB.
    public static let streamBufferSizeRange = 4_096...67_108_864
    /// The smallest non-zero `response_timeout`, so `"5ms"` typed for `"5m"` is caught.
    public static let minimumResponseTimeout = Duration.seconds(1)

    /// Creates a proxy configuration; every parameter defaults to the documented default.
    public init(
        engine: ProxyEngineKind = .olla,
        profile: ProxyProfile = .auto,
        loadBalancer: LoadBalancerKind = .residencyAware,
        connectionTimeout: Duration = .seconds(5),
        responseTimeout: Duration = .seconds(600),
        readTimeout: Duration = .seconds(300),
        maxRetries: Int = 3,
        streamBufferSize: Int = 1_048_576,
        scheduler: SchedulerSettings = .defaults
    ) {
        self.scheduler = scheduler
        self.engine = engine
        self.profile = profile
        self.loadBalancer = loadBalancer
        self.connectionTimeout = connectionTimeout
        self.responseTimeout = responseTimeout
        self.readTimeout = readTimeout
        self.maxRetries = maxRetries
        self.streamBufferSize = streamBufferSize
    }

    /// The configuration used when the `proxy` section is absent.
    public static let defaults = ProxyConfig()
}
