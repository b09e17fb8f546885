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
            health.scheduleProbe(at: now + health.checkInterval, now: now)
        }
    }

    /// Records a failed probe.
    ///
    /// Transport failures and timeouts mean `offline`; 503/429 mean `busy`; other statuses
    /// mean `unhealthy`. Every failure counts towards the breaker. Outages back off
    /// (`backoffDelay`); a busy answer does not, because the endpoint is up and we want
    /// to see promptly when it has capacity again.
    @discardableResult
    public mutating func probeFailed(_ failure: ProbeFailure, now: ContinuousClock.Instant) -> Transition? {
        recordingTransition { health in
            let observed = failure.observedState
            health.observedState = observed
            health.lastCheckedAt = now
            health.lastError = failure.description
            health.breaker.recordFailure(now: now, answered: failure.isAnswer)
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
}
