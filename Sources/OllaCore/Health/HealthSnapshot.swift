/// A read-only view of one endpoint's health at a moment, for status pages and logs.
public struct HealthSnapshot: Sendable, Equatable {
    /// The state, breaker included.
    public var state: EndpointState
    /// Whether requests may be sent to the endpoint.
    public var isRoutable: Bool
    /// When the last probe completed, and how long ago; `nil` before the first.
    public var lastCheckedAt: ContinuousClock.Instant?
    /// How long ago the last probe completed; `nil` before the first.
    public var sinceLastCheck: Duration?
    /// When the next probe is due, and how far away that is (negative when overdue).
    public var nextProbeAt: ContinuousClock.Instant
    /// How long until the next probe is due; negative when overdue.
    public var untilNextProbe: Duration
    /// Failures (probes and requests) since the last success.
    public var consecutiveFailures: Int
    /// The last error seen, cleared by a successful probe.
    public var lastError: String?
    /// The latency of the last successful probe.
    public var lastLatency: Duration?
    /// When the open breaker's cool-down ends; `nil` while it is closed.
    public var breakerOpenUntil: ContinuousClock.Instant?

    /// Creates a snapshot (`EndpointHealth.snapshot(now:)` builds them).
    public init(
        state: EndpointState,
        isRoutable: Bool,
        lastCheckedAt: ContinuousClock.Instant?,
        sinceLastCheck: Duration?,
        nextProbeAt: ContinuousClock.Instant,
        untilNextProbe: Duration,
        consecutiveFailures: Int,
        lastError: String?,
        lastLatency: Duration?,
        breakerOpenUntil: ContinuousClock.Instant?
    ) {
        self.state = state
        self.isRoutable = isRoutable
        self.lastCheckedAt = lastCheckedAt
        self.sinceLastCheck = sinceLastCheck
        self.nextProbeAt = nextProbeAt
        self.untilNextProbe = untilNextProbe
        self.consecutiveFailures = consecutiveFailures
        self.lastError = lastError
        self.lastLatency = lastLatency
        self.breakerOpenUntil = breakerOpenUntil
    }
}
