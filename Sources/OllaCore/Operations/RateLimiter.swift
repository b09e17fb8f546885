import Synchronization

/// Token-bucket rate limiting for the whole daemon (`server.rate_limits`).
///
/// Proxy requests need a token from the global bucket and from their client's bucket;
/// a request refused by one takes nothing from the other. Health requests use their own
/// global bucket. Buckets start full, hold `burst_size` tokens and refill at the
/// configured requests per minute.
///
/// Memory is bounded: client buckets idle longer than `cleanup_interval` are dropped by
/// `cleanup(now:)`, and at most `maxClients` are tracked; beyond that the least recently
/// used tenth is evicted (an evicted client simply starts again with a full bucket).
public final class RateLimiter: Sendable {
    /// The default cap on tracked clients.
    public static let defaultMaxClients = 100_000

    private let config: RateLimitsConfig
    private let maxClients: Int
    private let state: Mutex<State>

    struct State {
        var global: TokenBucket?
        var health: TokenBucket?
        var clients: [String: TokenBucket] = [:]
    }

    /// Creates a limiter with full buckets at `now`.
    public init(config: RateLimitsConfig, maxClients: Int = RateLimiter.defaultMaxClients, now: ContinuousClock.Instant) {
        self.config = config
        self.maxClients = max(1, maxClients)
        var initial = State()
        if config.globalRequestsPerMinute > 0 {
            initial.global = TokenBucket(perMinute: config.globalRequestsPerMinute, capacity: config.burstSize, now: now)
        }
        if config.healthRequestsPerMinute > 0 {
            initial.health = TokenBucket(perMinute: config.healthRequestsPerMinute, capacity: config.burstSize, now: now)
        }
        self.state = Mutex(initial)
    }

    /// Decides whether `client` may make a request in `scope` now, taking a token if so.
    ///
    /// - Parameters:
    ///   - client: The client address (see `ClientAddress.resolve`); ignored for `.health`.
    ///   - scope: Which budget the request draws from.
    ///   - now: The current time.
    public func check(client: String, scope: RateLimitScope, now: ContinuousClock.Instant) -> RateDecision {
        state.withLock { state in
            switch scope {
            case .health:
                guard let bucket = state.health else { return .unlimited }
                var buckets = [bucket]
                let decision = Self.consume(&buckets, now: now)
                state.health = buckets[0]
                return decision
            case .proxy:
                return checkProxy(client: client, state: &state, now: now)
            }
        }
    }

    /// Drops client buckets not used for `cleanup_interval`; call it periodically (for
    /// example every `cleanup_interval`).
    public func cleanup(now: ContinuousClock.Instant) {
        let cutoff = config.cleanupInterval
        state.withLock { state in
            state.clients = state.clients.filter { now - $0.value.updatedAt < cutoff }
        }
    }

    /// How many clients have a bucket (for tests and metrics).
    public var trackedClients: Int {
        state.withLock { $0.clients.count }
    }

    private func checkProxy(client: String, state: inout State, now: ContinuousClock.Instant) -> RateDecision {
        var clientBucket: TokenBucket?
        if config.perIPRequestsPerMinute > 0 {
            if state.clients[client] == nil, state.clients.count >= maxClients {
                Self.evictLeastRecentlyUsed(&state.clients, keeping: maxClients - max(1, maxClients / 10))
            }
            clientBucket = state.clients[client]
                ?? TokenBucket(perMinute: config.perIPRequestsPerMinute, capacity: config.burstSize, now: now)
        }
        var buckets = [state.global, clientBucket].compactMap { $0 }
        guard !buckets.isEmpty else { return .unlimited }
        let decision = Self.consume(&buckets, now: now)
        var index = 0
        if state.global != nil {
            state.global = buckets[index]
            index += 1
        }
        if clientBucket != nil {
            state.clients[client] = buckets[index]
        }
        return decision
    }

    /// Refills every bucket, then takes one token from each if all have one. Reports the
    /// bucket that refused (the longest wait) or, when allowed, the one with the fewest
    /// tokens left.
    private static func consume(_ buckets: inout [TokenBucket], now: ContinuousClock.Instant) -> RateDecision {
        for index in buckets.indices {
            buckets[index].refill(now: now)
        }
        let refusing = buckets.filter { !$0.hasToken }
        if let worst = refusing.max(by: { $0.secondsUntilToken < $1.secondsUntilToken }) {
            return RateDecision(
                allowed: false, limit: worst.perMinute, remaining: 0,
                resetSeconds: worst.secondsUntilFull, retryAfterSeconds: max(1, worst.secondsUntilToken))
        }
        for index in buckets.indices {
            buckets[index].take()
        }
        let tightest = buckets.min { ($0.remaining, $0.perMinute) < ($1.remaining, $1.perMinute) }!
        return RateDecision(
            allowed: true, limit: tightest.perMinute, remaining: tightest.remaining,
            resetSeconds: tightest.secondsUntilFull, retryAfterSeconds: nil)
    }

    /// Keeps the `count` most recently used buckets. Sorting is O(n log n) but happens
    /// once per `maxClients / 10` new clients, so it is cheap amortised.
    private static func evictLeastRecentlyUsed(_ clients: inout [String: TokenBucket], keeping count: Int) {
        let keep = clients.sorted { $0.value.updatedAt > $1.value.updatedAt }.prefix(max(0, count))
        clients = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
