extension EndpointHealth {
    /// The delay before the next probe after `failures` probes failed in a row:
    /// `checkInterval × 2^failures`, capped at `max(policy.maxBackoff, checkInterval)`.
    /// With the default 5 s interval that is 10 s, 20 s, 40 s, then 60 s.
    public func backoffDelay(afterFailures failures: Int) -> Duration {
        let cap = max(policy.maxBackoff, checkInterval)
        var delay = checkInterval
        // Bounded loop instead of a power: no overflow however long the outage.
        for _ in 0..<min(max(failures, 0), 64) {
            delay = delay * 2
            if delay >= cap { return cap }
        }
        return min(delay, cap)
    }

    /// The delay before re-probing after a real request failed to connect.
    public var quickReprobeDelay: Duration { min(checkInterval, policy.quickReprobeDelay) }

    /// Sets `nextProbeAt` to `preferred`, except that while the breaker is cooling down for
    /// answered failures the probe waits for the end of the cool-down: that probe is the
    /// half-open trial, and an earlier one could not close the breaker anyway. (Opened only
    /// for unreachability, a probe can close it, so probes keep their schedule.) The breaker
    /// only ever delays probes.
    mutating func scheduleProbe(at preferred: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        if breaker.holdsUntilCooldownEnds, let openUntil = breaker.openUntil, openUntil > now {
            nextProbeAt = max(preferred, openUntil)
        } else {
            nextProbeAt = preferred
        }
    }

    /// Whether a successful probe with this latency means `busy` rather than `healthy`:
    /// strictly more than `busyLatencyPercent`% of `checkTimeout` (compared in integer
    /// arithmetic on `Duration`, so no rounding).
    func isSlow(_ latency: Duration) -> Bool {
        latency * 100 > checkTimeout * policy.busyLatencyPercent
    }
}
