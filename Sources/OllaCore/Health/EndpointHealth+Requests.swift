extension EndpointHealth {
    /// Records a real request that failed.
    ///
    /// - `.connect`: the endpoint is marked `offline` at once, so the next request goes
    ///   elsewhere without waiting for the probe timer, and a probe is scheduled
    ///   `quickReprobeDelay` from now to tell a blip from an outage. Connect failures while
    ///   it is already `offline` are the same outage (a killed backend fails every request
    ///   in flight at once): they count towards the breaker once, not once each.
    /// - `.serverError`: counts towards the breaker only. One 5xx is often specific to the
    ///   request (say, one model failing to load), so it does not take the whole endpoint
    ///   out; `breakerThreshold` of them in a row do.
    /// - `.busy`: a routable endpoint becomes `busy` (less preferred until a probe finds
    ///   it fast again), and the failure counts towards the breaker.
    ///
    /// Request feedback never makes an unroutable endpoint look better: a request that
    /// began before the endpoint went down may report long after. An answer (5xx, busy)
    /// to a routable endpoint's request is a sign of life: its next late probe is forgiven
    /// (`lateProbesLeft`); a connect failure spends them all.
    @discardableResult
    public mutating func requestFailed(_ kind: RequestFailureKind, now: ContinuousClock.Instant) -> Transition? {
        recordingTransition { health in
            health.lastError = kind.description
            switch kind {
            case .connect:
                if health.observedState != .offline { health.breaker.recordFailure(now: now, answered: false) }
                health.observedState = .offline
                health.lateProbesLeft = 0
                health.scheduleProbe(at: min(health.nextProbeAt, now + health.quickReprobeDelay), now: now)
            case .serverError:
                health.breaker.recordFailure(now: now)
                health.answered()
                health.scheduleProbe(at: health.nextProbeAt, now: now)
            case .busy:
                health.breaker.recordFailure(now: now)
                health.answered()
                if health.observedState.isRoutable { health.observedState = .busy }
                health.scheduleProbe(at: health.nextProbeAt, now: now)
            }
        }
    }

    /// Records a real request that succeeded. Resets the failure count; after the
    /// breaker's cool-down it is the successful half-open trial and closes the breaker
    /// (which can make the endpoint routable again, hence the transition).
    /// It does not change `observedState`: latency and busyness are the probes' call. It is
    /// a sign of life, though: the next late probe of a routable endpoint is forgiven.
    @discardableResult
    public mutating func requestSucceeded(now: ContinuousClock.Instant) -> Transition? {
        recordingTransition { health in
            health.breaker.recordSuccess(now: now)
            health.answered()
        }
    }

    /// A request of Olla's got an answer: while the endpoint is routable, late probes are
    /// forgiven again (an offline endpoint is the probes' to bring back).
    private mutating func answered() {
        if observedState.isRoutable { lateProbesLeft = policy.lateProbesForgiven }
    }
}
