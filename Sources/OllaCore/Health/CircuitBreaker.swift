/// Stops routing to an endpoint that keeps failing, then lets one trial decide when to
/// resume.
///
/// - Closed: counts consecutive failures; any success resets the count. At
///   `threshold` failures it opens.
/// - Open: the endpoint is not routable until `openUntil`. Outcomes reported before then
///   (requests that were already in flight, an early probe) neither close nor re-open it.
/// - Half-open: once `openUntil` has passed, the next outcome reported is the trial (in
///   practice the probe scheduled for the end of the cool-down). Success closes the
///   breaker; failure re-opens it with a doubled cool-down, capped.
///
/// Half-open is not stored: it is "open, and the cool-down has passed", so no timer is
/// needed to enter it.
///
/// Failures are of two kinds. An *answered* failure (a 5xx, a busy 503/429, a probe's
/// non-2xx) is something a probe of `/` cannot contradict: that is what the cool-down is for.
/// An *unreachable* one (refused, reset, timed out) is exactly what a probe tests, so when
/// every failure behind an open breaker was unreachability, the first probe that reaches the
/// endpoint closes it (`recordProbeSuccess`): a backend that was killed and restarted serves
/// again at its first good probe, not 30 s later.
public struct CircuitBreaker: Sendable, Equatable {
    /// Failures since the last success (or since the breaker last closed).
    public private(set) var consecutiveFailures = 0
    /// Of those, the failures in which the endpoint answered (see above).
    public private(set) var answeredFailures = 0
    /// When the current cool-down ends; `nil` while closed.
    public var openUntil: ContinuousClock.Instant? { cooldownEnd?.instant }
    /// `openUntil`, stored with a fixed layout (`StoredInstant`): `isOpen` is read for every
    /// answer's health report, and testing an optional instant for nil went through run-time
    /// value witnesses (~280 instructions).
    private var cooldownEnd: StoredInstant?
    /// How many times in a row the breaker has opened without closing in between;
    /// drives the cool-down escalation.
    public private(set) var trips = 0

    let threshold: Int
    let cooldown: Duration
    let maxCooldown: Duration

    /// Creates a closed breaker.
    public init(threshold: Int, cooldown: Duration, maxCooldown: Duration) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self.maxCooldown = max(cooldown, maxCooldown)
    }

    /// Whether routing is blocked: open, trial outcome not yet reported.
    public var isOpen: Bool { cooldownEnd != nil }

    /// Whether the next reported outcome will be the half-open trial.
    public func isHalfOpen(now: ContinuousClock.Instant) -> Bool {
        guard let cooldownEnd else { return false }
        return now >= cooldownEnd.instant
    }

    /// Whether the cool-down holds: the breaker is open because the endpoint answered with
    /// failures, which only time (then a trial) can clear. False while closed, and while
    /// open only for unreachability.
    public var holdsUntilCooldownEnds: Bool { cooldownEnd != nil && answeredFailures > 0 }

    /// Records a success. Closes the breaker unless it is still cooling down.
    public mutating func recordSuccess(now: ContinuousClock.Instant) {
        if let cooldownEnd, now < cooldownEnd.instant { return }
        close()
    }

    /// Records a probe that reached the endpoint and got a 2xx. If the breaker is open only
    /// for unreachability, this contradicts every failure behind it: closed at once.
    /// Otherwise the same as `recordSuccess`.
    public mutating func recordProbeSuccess(now: ContinuousClock.Instant) {
        if cooldownEnd != nil && answeredFailures == 0 {
            close()
        } else {
            recordSuccess(now: now)
        }
    }

    private mutating func close() {
        consecutiveFailures = 0
        answeredFailures = 0
        cooldownEnd = nil
        trips = 0
    }

    /// Records a failure; `answered` says whether the endpoint answered (a 5xx, busy, a
    /// probe's non-2xx) rather than being unreachable. Opens the breaker at the threshold,
    /// or re-opens it for longer if this was the half-open trial.
    public mutating func recordFailure(now: ContinuousClock.Instant, answered: Bool = true) {
        consecutiveFailures += 1
        if answered { answeredFailures += 1 }
        if let cooldownEnd {
            // Still cooling down: the failure was already "priced in".
            guard now >= cooldownEnd.instant else { return }
            open(now: now)
        } else if consecutiveFailures >= threshold {
            open(now: now)
        }
    }

    private mutating func open(now: ContinuousClock.Instant) {
        trips += 1
        cooldownEnd = StoredInstant(now + currentCooldown)
    }

    /// The cool-down of the current trip: `cooldown × 2^(trips-1)`, capped.
    var currentCooldown: Duration {
        var length = cooldown
        for _ in 1..<max(1, min(trips, 64)) {
            length = length * 2
            if length >= maxCooldown { return maxCooldown }
        }
        return min(length, maxCooldown)
    }
}
