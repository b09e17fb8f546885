extension EndpointHealth {
    /// Records a probe that answered 2xx after `latency`.
    ///
    /// The endpoint becomes `healthy`, or `busy` if the answer was slow. One success ends
    /// any backoff: the next probe is one `checkInterval` away. If the breaker's cool-down
    /// has passed this is the successful trial and closes it; during the cool-down the
    /// breaker stays open, unless only unreachability opened it: then this probe, which
    /// reached the endpoint, closes it (see `CircuitBreaker`).
    /// - Returns: the state change, if any; `recovered` tells the owner to re-discover models.
    @discardableResult
    public mutating func probeSucceeded(latency: Duration, now: ContinuousClock.Instant) -> Transition? {
        recordingTransition { health in
            health.observedState = health.isSlow(latency) ? .busy : .healthy
            health.lastCheckedAt = now
            health.lastLatency = latency
            health.lastError = nil
            health.consecutiveProbeFailures = 0
            health.lateProbesLeft = health.policy.lateProbesForgiven
            health.breaker.recordProbeSuccess(now: now)
            health.scheduleProbe(at: now + health.checkInterval, now: now)
        }
    }

    /// Records a probe that timed out while the endpoint was streaming `streams` responses
    /// to Olla's clients: it is alive and working, only too busy to answer the probe in time
    /// (llama.cpp's health route waits behind the running generation). It becomes `busy`,
    /// never `offline`, and nothing counts towards the breaker or the backoff.
    @discardableResult
    public mutating func probeTimedOutWhileServing(streams: Int, now: ContinuousClock.Instant) -> Transition? {
        recordingTransition { health in
            if health.observedState != .unhealthy { health.observedState = .busy }
            health.lastCheckedAt = now
            health.lastError = "probe timed out while streaming \(streams) response\(streams == 1 ? "" : "s")"
            health.consecutiveProbeFailures = 0
            health.lateProbesLeft = health.policy.lateProbesForgiven
            health.scheduleProbe(at: now + health.checkInterval, now: now)
        }
    }

    /// Records a failed probe.
    ///
    /// Transport failures and timeouts mean `offline`; 503/429 mean `busy`; other statuses
    /// mean `unhealthy`. Every failure counts towards the breaker. Outages back off
    /// (`backoffDelay`); a busy answer does not, because the endpoint is up and we want
    /// to see promptly when it has capacity again.
    ///
    /// Except a *late* probe: a `.timeout` while `lateProbesLeft > 0` (the endpoint answered
    /// since its last unforgiven failure) is taken as late, not down (`probeLate`).
    @discardableResult
    public mutating func probeFailed(_ failure: ProbeFailure, now: ContinuousClock.Instant) -> Transition? {
        if failure == .timeout && lateProbesLeft > 0 { return probeLate(now: now) }
        return recordingTransition { health in
            let observed = failure.observedState
            health.observedState = observed
            health.lastCheckedAt = now
            health.lastError = failure.description
            health.breaker.recordFailure(now: now, answered: failure.isAnswer)
            // An answer, even an error, is a sign of life; an outage spends every late probe.
            health.lateProbesLeft = failure.isAnswer ? health.policy.lateProbesForgiven : 0
            let delay: Duration
            if observed == .busy {
                health.consecutiveProbeFailures = 0
                delay = health.checkInterval
            } else {
                health.consecutiveProbeFailures += 1
                delay = health.backoffDelay(afterFailures: health.consecutiveProbeFailures)
            }
            health.scheduleProbe(at: now + delay, now: now)
        }
    }

    /// A probe that timed out on an endpoint that answered since its last failure: one
    /// late answer is weak evidence (a stalled event loop, a machine starved of CPU for a
    /// moment), so the endpoint becomes `busy` and stays routable (an `unhealthy` one stays
    /// unhealthy), and is re-probed within `quickReprobeDelay` to tell a stall from a hang. Counts towards
    /// neither the breaker nor the backoff; spends one of `lateProbesLeft`.
    private mutating func probeLate(now: ContinuousClock.Instant) -> Transition? {
        recordingTransition { health in
            health.lateProbesLeft -= 1
            if health.observedState != .unhealthy { health.observedState = .busy }
            health.lastCheckedAt = now
            health.lastError = health.lateProbesLeft == 0
                ? "probe timed out (late: it answered before; offline if the next probe times out too)"
                : "probe timed out (late: it answered before; offline after \(health.lateProbesLeft + 1) more timeouts in a row)"
            health.scheduleProbe(at: now + health.quickReprobeDelay, now: now)
        }
    }
}
