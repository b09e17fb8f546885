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
    /// began before the endpoint went down may report long after.
    @discardableResult
    public mutating func requestFailed(_ kind: RequestFailureKind, now: ContinuousClock.Instant) -> Transition? {
        recordingTransition { health in
            health.lastError = kind.description
            switch kind {
            case .connect:
                if health.observedState != .offline { health.breaker.recordFailure(now: now, answered: false) }
                health.observedState = .offline
                health.scheduleProbe(at: min(health.nextProbeAt, now + health.quickReprobeDelay), now: now)
            case .serverError:
                health.breaker.recordFailure(now: now)
                health.scheduleProbe(at: health.nextProbeAt, now: now)
            case .busy:
                health.breaker.recordFailure(now: now)
                if health.observedState.isRoutable { health.observedState = .busy }
                health.scheduleProbe(at: health.nextProbeAt, now: now)
            }
        }
    }

    /// Records a real request that succeeded. Resets the failure count; after the
    /// breaker's cool-down it is the successful half-open trial and closes the breaker
    /// (which can make the endpoint routable again, hence the transition).
    /// It does not change `observedState`: latency and busyness are the probes' call.
    @discardableResult
    public mutating func requestSucceeded(now: ContinuousClock.Instant) -> Transition? {
        recordingTransition { health in
            health.breaker.recordSuccess(now: now)
        }
    }
}
