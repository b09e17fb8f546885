import OllaCore

/// When a request may move on to its next candidate, and what the client reads when it
/// cannot. Retries happen only before any byte reached the client, and only for failures
/// where the backend never took the request (nginx's `proxy_next_upstream error timeout
/// http_503 http_429`, `ngx_http_upstream_next`).
enum RetryPolicy {
    /// Whether a head with `status` is turned down in favour of the next candidate: 429 and
    /// 503 mean "this instance cannot take it now" (Ollama's queue is full, `server/sched.go`
    /// `ErrMaxQueue`, or a rate limit), and another instance can. A `switch`, not a
    /// `Set<Int>`: a hash per backend head (~0.15 K instructions).
    static func retries(status: Int) -> Bool {
        switch status {
        case 429, 503: true
        default: false
        }
    }

    /// Whether a transfer that ended with `failure` before any head is retried.
    static func retries(_ failure: UpstreamFailure) -> Bool {
        failure.isConnectFailure
    }

    /// Whether another attempt may start after attempt `index` (zero-based) of `maxAttempts`:
    /// one is left, and the body can be sent again (a streamed body only if curl took none).
    static func hasAttemptLeft(after index: Int, of maxAttempts: Int, bodyTaken: Int64, streamed: Bool) -> Bool {
        (!streamed || bodyTaken == 0) && index + 1 < maxAttempts
    }

    /// How many attempts a request may make: the configured retries plus one, at most one
    /// per candidate, at least one.
    static func maxAttempts(configured: Int, candidates: Int) -> Int {
        max(1, min(configured, candidates))
    }

    /// The answer to a request whose last attempt failed before any head: 502 when the
    /// backend could not be reached or broke the connection, 504 when it timed out.
    static func error(for failure: UpstreamFailure, endpoint: String? = nil) -> ProxyError {
        let message = describe(failure, endpoint: endpoint)
        switch failure {
        case .connectFailed, .transferFailed, .refused: return ProxyError(.badGateway, message)
        case .connectTimedOut, .firstByteTimedOut, .idleTimedOut: return ProxyError(.gatewayTimeout, message)
        }
    }

    /// The failure as the client reads it: `instance NAME: REASON` when the instance is known,
    /// so a client of a fleet can tell which instance failed and why.
    static func describe(_ failure: UpstreamFailure, endpoint: String?) -> String {
        guard let endpoint, !endpoint.isEmpty, endpoint != "-" else { return failure.message }
        return "instance \(endpoint): \(failure.message)"
    }
}
