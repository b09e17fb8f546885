/// The health of one endpoint: the pure decision logic the health-check service and the
/// forwarding code feed with outcomes.
///
/// It never reads a clock: every event carries `now`, so the owner decides what time it
/// is and tests replay scripts of events without sleeping. It never does I/O: the owner
/// probes when `nextProbeAt` is reached and reports the result.
///
/// Two sources of evidence feed it:
/// - Probes (`probeSucceeded`, `probeFailed`) are the arbiter: they may move the endpoint
///   up (back to healthy) or down.
/// - Real requests (`requestFailed`, `requestSucceeded`) only ever move it down (or close
///   a half-open breaker). A request outcome can be stale (it began before the last probe),
///   so it must not overrule a probe that saw the endpoint down.
///
/// Not all failures weigh the same. A refused or reset connection, or a connect that timed
/// out, is strong evidence: `offline` at once. A probe that timed out on an accepted
/// connection is weak when the instance answered since its last failure (a stalled loop, a
/// machine briefly starved of CPU): it is *late*, `busy` and still routable, and re-probed
/// within `quickReprobeDelay`; a second timeout in a row with no answer in between takes it
/// offline (`HealthPolicy.lateProbesForgiven`).
///
/// A `CircuitBreaker` sits on top: after `HealthPolicy.breakerThreshold` consecutive
/// failures of any kind the endpoint is unroutable for a cool-down, even if probes pass,
/// because a probe of `/` can succeed while real requests fail with 5xx.
public struct EndpointHealth: Sendable, Equatable {
    /// The configured time between probes while all is well.
    public let checkInterval: Duration
    /// The configured limit for one probe; also the yardstick for "slow" (busy).
    public let checkTimeout: Duration
    /// The constants in use.
    public let policy: HealthPolicy

    /// What the last evidence showed, before the breaker is taken into account.
    public internal(set) var observedState: EndpointState = .unknown
    /// The circuit breaker.
    public internal(set) var breaker: CircuitBreaker
    /// When the owner should probe next. Starts at the creation time: probe at once.
    public internal(set) var nextProbeAt: ContinuousClock.Instant
    /// The last error seen (probe or request); cleared by a successful probe.
    public internal(set) var lastError: String?
    /// When the last probe completed; `nil` before the first.
    public internal(set) var lastCheckedAt: ContinuousClock.Instant?
    /// How long the last successful probe took; `nil` before the first.
    public internal(set) var lastLatency: Duration?
    /// Probes failed in a row; drives the backoff. Requests do not count here: backoff is
    /// about not hammering a dead machine with probes, not about request errors.
    public internal(set) var consecutiveProbeFailures = 0
    /// Probe timeouts still to be taken as late rather than down (`probeFailed`): refilled to
    /// `policy.lateProbesForgiven` by every answer (a probe's, a request's, a stream's bytes),
    /// emptied by every unforgiven failure. 0 before the first answer, so an instance that
    /// never answered is `offline` at its first timeout.
    public internal(set) var lateProbesLeft = 0

    /// Creates the health of an endpoint that has not been probed yet (`unknown`).
    public init(
        checkInterval: Duration,
        checkTimeout: Duration,
        now: ContinuousClock.Instant,
        policy: HealthPolicy = .default
    ) {
        self.checkInterval = checkInterval
        self.checkTimeout = checkTimeout
        self.policy = policy
        self.breaker = CircuitBreaker(
            threshold: policy.breakerThreshold,
            cooldown: policy.breakerCooldown,
            maxCooldown: policy.maxBreakerCooldown
        )
        self.nextProbeAt = now
    }

    /// Creates the health of a configured endpoint, using its `check_interval` and
    /// `check_timeout`.
    public init(config: EndpointConfig, now: ContinuousClock.Instant, policy: HealthPolicy = .default) {
        self.init(checkInterval: config.checkInterval, checkTimeout: config.checkTimeout, now: now, policy: policy)
    }

    /// The state to report and route by. While the breaker is open an endpoint that is
    /// otherwise answering reads `unhealthy`; an offline one stays `offline` (more precise).
    public var state: EndpointState {
        guard breaker.isOpen else { return observedState }
        return observedState == .offline ? .offline : .unhealthy
    }

    /// Whether requests may be sent here: `healthy`, `busy` or `unknown` (a fresh start
    /// serves traffic before the first probe), and the breaker not open.
    public var isRoutable: Bool { state.isRoutable }

    /// Failures (probes and requests) since the last success.
    public var consecutiveFailures: Int { breaker.consecutiveFailures }
}
