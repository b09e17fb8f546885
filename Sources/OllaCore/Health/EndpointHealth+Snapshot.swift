extension EndpointHealth {
    /// The current health as plain values; `now` turns instants into "ago"/"in" durations.
    public func snapshot(now: ContinuousClock.Instant) -> HealthSnapshot {
        HealthSnapshot(
            state: state,
            isRoutable: isRoutable,
            lastCheckedAt: lastCheckedAt,
            sinceLastCheck: lastCheckedAt.map { now - $0 },
            nextProbeAt: nextProbeAt,
            untilNextProbe: nextProbeAt - now,
            consecutiveFailures: consecutiveFailures,
            lastError: lastError,
            lastLatency: lastLatency,
            breakerOpenUntil: breaker.openUntil
        )
    }
}
