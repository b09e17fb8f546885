/// The tunable constants of health tracking. `default` is what Olla uses; tests and
/// future configuration may pass others.
public struct HealthPolicy: Sendable, Equatable {
    /// A probe slower than this percentage of `check_timeout` marks the endpoint `busy`.
    /// Half the timeout: an endpoint that slow is close to failing probes outright.
    public var busyLatencyPercent: Int
    /// Longest delay between probes while they keep failing. Each failed probe doubles the
    /// delay, starting from `check_interval`; this caps it so a machine that comes back is
    /// noticed within a minute. If `check_interval` is longer than this cap, the interval
    /// wins (backing off must never probe *more* often than configured).
    public var maxBackoff: Duration
    /// After a real request fails to connect, the endpoint is re-probed this soon (or after
    /// `check_interval`, if that is shorter) to tell a blip from an outage quickly.
    public var quickReprobeDelay: Duration
    /// Consecutive failures (probes or requests, of any kind, including 5xx answers and
    /// fast 503s) that open the circuit breaker.
    public var breakerThreshold: Int
    /// How long the breaker stays open the first time. Each failed half-open trial doubles
    /// it, up to `maxBreakerCooldown`.
    public var breakerCooldown: Duration
    /// The longest breaker cool-down.
    public var maxBreakerCooldown: Duration
    /// Probe timeouts in a row taken as *late* (`busy`, still routable) rather than *down*
    /// (`offline`) on an endpoint whose last evidence was an answer: a probe that waited on an
    /// accepted connection is weak evidence when the instance answered just before (a stalled
    /// event loop, a machine briefly starved of CPU). The next timeout in a row with no answer
    /// in between takes it offline; a refused or reset connection, or a connect that timed
    /// out, does at once. 0: every timeout means offline.
    public var lateProbesForgiven: Int

    /// Creates a policy; the defaults are those `docs/configuration.md` lists for health checking.
    public init(
        busyLatencyPercent: Int = 50,
        maxBackoff: Duration = .seconds(60),
        quickReprobeDelay: Duration = .seconds(1),
        breakerThreshold: Int = 5,
        breakerCooldown: Duration = .seconds(30),
        maxBreakerCooldown: Duration = .seconds(60),
        lateProbesForgiven: Int = 1
    ) {
        self.busyLatencyPercent = busyLatencyPercent
        self.maxBackoff = maxBackoff
        self.quickReprobeDelay = quickReprobeDelay
        self.breakerThreshold = breakerThreshold
        self.breakerCooldown = breakerCooldown
        self.maxBreakerCooldown = maxBreakerCooldown
        self.lateProbesForgiven = max(0, lateProbesForgiven)
    }

    /// Busy above 50% of the timeout; back off to at most 60 s; re-probe 1 s after a
    /// failed connect; breaker opens after 5 failures for 30 s, then 60 s; one late probe
    /// forgiven after an answer.
    public static let `default` = HealthPolicy()
}
