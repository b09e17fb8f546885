/// The `server` section: where Olla listens and how it treats client connections.
public struct ServerConfig: Sendable, Equatable {
    /// `host`: the address or host name to bind. Default `"localhost"`.
    public var host: String
    /// `port`: the TCP port to listen on, 1...65535. Default 40114.
    public var port: Int
    /// `read_timeout`: the longest a client may stay silent while sending request
    /// headers or body. `.zero` means no limit. Default 30s.
    public var readTimeout: Duration
    /// `write_timeout`: the longest a response may wait on a client that reads nothing.
    /// `.zero` means no limit (the default, since generations can be slow to consume).
    public var writeTimeout: Duration
    /// `shutdown_timeout`: how long SIGTERM waits for in-flight requests. Default 10s.
    public var shutdownTimeout: Duration
    /// `request_logging`: whether each proxied request is logged. Default true.
    public var requestLogging: Bool
    /// `request_limits`: size limits for incoming requests.
    public var requestLimits: RequestLimitsConfig
    /// `rate_limits`: token-bucket request limits (all off by default).
    public var rateLimits: RateLimitsConfig
    /// `auth`: API keys clients must present (none by default: no authentication).
    public var auth: AuthConfig
    /// `cors`: browser origins allowed to call Olla (none by default).
    public var cors: CORSConfig
    /// `internal_allowed_cidrs`: client ranges allowed to call `/internal/*`; empty (the
    /// default) allows everyone.
    public var internalAllowedCIDRs: [CIDR]
    /// `workers`: how many worker threads (each an event loop with its own listening socket
    /// on the port) serve connections; 0 (the default) means one per online CPU core.
    public var workers: Int

    /// The valid range of `port`.
    public static let portRange = 1...65_535
    /// The valid range of `workers` (0: one per online core).
    public static let workersRange = 0...1024

    /// Creates a server configuration; every parameter defaults to the documented default.
    public init(
        host: String = "localhost",
        port: Int = 40_114,
        readTimeout: Duration = .seconds(30),
        writeTimeout: Duration = .zero,
        shutdownTimeout: Duration = .seconds(10),
        requestLogging: Bool = true,
        requestLimits: RequestLimitsConfig = .defaults,
        rateLimits: RateLimitsConfig = .defaults,
        auth: AuthConfig = .defaults,
        cors: CORSConfig = .defaults,
        internalAllowedCIDRs: [CIDR] = [],
        workers: Int = 0
    ) {
        self.host = host
        self.port = port
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.shutdownTimeout = shutdownTimeout
        self.requestLogging = requestLogging
        self.requestLimits = requestLimits
        self.rateLimits = rateLimits
        self.auth = auth
        self.cors = cors
        self.internalAllowedCIDRs = internalAllowedCIDRs
        self.workers = workers
    }

    /// The configuration used when the `server` section is absent.
    public static let defaults = ServerConfig()
}
