/// The outcome of `RateLimiter.check`, with what the response headers should say.
public struct RateDecision: Sendable, Equatable {
    /// Whether the request may proceed. When false, answer `429` with `headers`.
    public var allowed: Bool
    /// The limit that applied, in requests per minute (`X-RateLimit-Limit`); 0 when no
    /// limit applies to the request.
    public var limit: Int
    /// Requests left right now (whole tokens in the tighter bucket).
    public var remaining: Int
    /// Seconds until the tighter bucket is full again (`X-RateLimit-Reset`).
    public var resetSeconds: Int
    /// Seconds until a request would be allowed (`Retry-After`); nil when allowed.
    public var retryAfterSeconds: Int?

    /// Creates a decision.
    public init(allowed: Bool, limit: Int, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The decision when no limit is configured for the scope.
    public static let unlimited = RateDecision(allowed: true, limit: 0, remaining: 0, resetSeconds: 0, retryAfterSeconds: nil)

    /// `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` and, when
    /// refused, `Retry-After`; empty when no limit applies.
    public var headers: [HTTPHeader] {
        guard limit > 0 else { return [] }
        var headers: [HTTPHeader] = [
            HTTPHeader("X-RateLimit-Limit", String(limit)),
            HTTPHeader("X-RateLimit-Remaining", String(remaining)),
            HTTPHeader("X-RateLimit-Reset", String(resetSeconds)),
        ]
        if let retryAfterSeconds {
            headers.append(HTTPHeader("Retry-After", String(retryAfterSeconds)))
        }
        return headers
    }
}

/// Which budget a request draws from.
public enum RateLimitScope: Sendable, Equatable {
    /// Proxied API requests: the global and the per-client buckets.
    case proxy
    /// `/internal/*` and the heartbeat: the separate health bucket, so monitoring still
    /// works while clients are throttled.
    case health
}
