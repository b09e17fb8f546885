/// The `server.rate_limits` section: token-bucket request limits, named as in Go Olla.
///
/// Each limit is a rate per minute with `burstSize` as the bucket capacity; 0 turns that
/// limit off. Proxied requests need a token from both the global and the per-client
/// bucket; `/internal/*` and the heartbeat draw from a separate health bucket, so
/// monitoring keeps working while clients are being throttled.
public struct RateLimitsConfig: Sendable, Equatable {
    /// `global_requests_per_minute`: across all clients; 0 = off. Default 0.
    public var globalRequestsPerMinute: Int
    /// `per_ip_requests_per_minute`: for each client address; 0 = off. Default 0.
    public var perIPRequestsPerMinute: Int
    /// `health_requests_per_minute`: for `/internal/*` and the heartbeat; 0 = off. Default 0.
    public var healthRequestsPerMinute: Int
    /// `burst_size`: how many requests may arrive at once before the rate applies, ≥ 1.
    /// Default 50.
    public var burstSize: Int
    /// `cleanup_interval`: how long a client's bucket is kept after its last request,
    /// greater than 0. Default 5m.
    public var cleanupInterval: Duration
    /// `trust_proxy_headers`: whether `X-Forwarded-For` from a trusted proxy names the
    /// client. Default false.
    public var trustProxyHeaders: Bool
    /// `trusted_proxy_cidrs`: the proxies whose `X-Forwarded-For` is believed. Default:
    /// loopback and the RFC 1918 private ranges.
    public var trustedProxyCIDRs: [CIDR]

    /// The valid range of the `*_requests_per_minute` keys.
    public static let requestsPerMinuteRange = 0...Int.max
    /// The valid range of `burst_size`.
    public static let burstSizeRange = 1...Int.max
    /// The default `trusted_proxy_cidrs`.
    public static let defaultTrustedProxyCIDRs: [CIDR] = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .map { try! CIDR(parsing: $0) }

    /// Creates rate limits; every parameter defaults to the documented default.
    public init(
        globalRequestsPerMinute: Int = 0,
        perIPRequestsPerMinute: Int = 0,
        healthRequestsPerMinute: Int = 0,
        burstSize: Int = 50,
        cleanupInterval: Duration = .seconds(300),
        trustProxyHeaders: Bool = false,
        trustedProxyCIDRs: [CIDR] = RateLimitsConfig.defaultTrustedProxyCIDRs
    ) {
        self.globalRequestsPerMinute = globalRequestsPerMinute
        self.perIPRequestsPerMinute = perIPRequestsPerMinute
        self.healthRequestsPerMinute = healthRequestsPerMinute
        self.burstSize = burstSize
        self.cleanupInterval = cleanupInterval
        self.trustProxyHeaders = trustProxyHeaders
        self.trustedProxyCIDRs = trustedProxyCIDRs
    }

    /// Whether any limit is on.
    public var isEnabled: Bool {
        globalRequestsPerMinute > 0 || perIPRequestsPerMinute > 0 || healthRequestsPerMinute > 0
    }

    /// The limits used when the section is absent: everything off.
    public static let defaults = RateLimitsConfig()
}
