/// A token bucket: holds up to `capacity` tokens, refilled continuously at `perMinute`
/// tokens a minute; each request takes one.
///
/// Refill is computed lazily from the time elapsed since the last update, so an idle
/// bucket costs nothing and time is always passed in.
struct TokenBucket: Sendable {
    /// The refill rate, tokens per minute (also what `X-RateLimit-Limit` reports).
    let perMinute: Int
    /// The most tokens the bucket holds: the burst size.
    let capacity: Int
    private(set) var tokens: Double
    private(set) var updatedAt: ContinuousClock.Instant

    /// A full bucket.
    init(perMinute: Int, capacity: Int, now: ContinuousClock.Instant) {
        self.perMinute = perMinute
        self.capacity = max(1, capacity)
        self.tokens = Double(self.capacity)
        self.updatedAt = now
    }

    private var tokensPerSecond: Double { Double(perMinute) / 60 }

    /// Adds the tokens earned since the last update. A clock that goes backwards (it
    /// cannot with `ContinuousClock`, but callers pass instants in) adds nothing.
    mutating func refill(now: ContinuousClock.Instant) {
        guard now > updatedAt else { return }
        let elapsed = (now - updatedAt).seconds
        tokens = min(Double(capacity), tokens + elapsed * tokensPerSecond)
        updatedAt = now
    }

    var hasToken: Bool { tokens >= 1 }

    mutating func take() {
        tokens -= 1
    }

    /// Whole tokens left.
    var remaining: Int { max(0, Int(tokens.rounded(.down))) }

    /// Whole seconds until the bucket is full again (0 when it is).
    var secondsUntilFull: Int { secondsUntil(Double(capacity)) }

    /// Whole seconds until at least one token is available (0 when one is).
    var secondsUntilToken: Int { secondsUntil(1) }

    private func secondsUntil(_ level: Double) -> Int {
        guard tokens < level else { return 0 }
        return Int(((level - tokens) / tokensPerSecond).rounded(.up))
    }
}
