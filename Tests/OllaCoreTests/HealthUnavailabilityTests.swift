import Testing
import OllaCore

/// What a `503` for a down fleet says: every instance with its state and last error, and a
/// `Retry-After` of the soonest next probe.
@Suite("Health: unavailability")
struct HealthUnavailabilityTests {
    let t0 = ContinuousClock.now

    private func health(interval: Duration = .seconds(5)) -> EndpointHealth {
        EndpointHealth(checkInterval: interval, checkTimeout: .seconds(2), now: t0)
    }

    @Test func namesEveryInstanceWithStateAndLastError() {
        var refused = health()
        refused.probeFailed(.transport("backend unreachable: Couldn't connect to server"), now: t0)
        var silent = health()
        silent.probeFailed(.timeout, now: t0)
        var broken = health()
        broken.probeFailed(.status(500), now: t0)
        let why = Unavailability([
            ("gpu-a", refused.snapshot(now: t0)), ("gpu-b", silent.snapshot(now: t0)), ("gpu-c", broken.snapshot(now: t0)),
        ])
        #expect(why.detail == "gpu-a (offline: probe failed: backend unreachable: Couldn't connect to server), "
            + "gpu-b (offline: probe timed out), gpu-c (unhealthy: probe answered HTTP 500)")
    }

    @Test func retryAfterIsTheSoonestNextProbeRoundedUp() {
        var soon = health(interval: .milliseconds(300))
        soon.probeFailed(.timeout, now: t0)            // backoff: next probe 600 ms later
        var late = health(interval: .seconds(5))
        late.probeFailed(.timeout, now: t0)            // 10 s later
        let now = t0 + .milliseconds(100)
        #expect(Unavailability([("a", late.snapshot(now: now))]).retryAfterSeconds == 10)
        #expect(Unavailability([("a", late.snapshot(now: now)), ("b", soon.snapshot(now: now))]).retryAfterSeconds == 1)
        #expect(Unavailability([("a", late.snapshot(now: t0 + .milliseconds(6_500)))]).retryAfterSeconds == 4)
    }

    @Test func anOverdueProbeStillAsksForAtLeastOneSecond() {
        var down = health()
        down.probeFailed(.timeout, now: t0)
        #expect(Unavailability([("a", down.snapshot(now: t0 + .seconds(30)))]).retryAfterSeconds == 1)
    }

    @Test func anOpenBreakerIsTheReasonWithTheLastErrorAfterIt() {
        var failing = health()
        failing.probeSucceeded(latency: .milliseconds(5), now: t0)
        for millisecond in 1...5 {
            failing.requestFailed(.serverError(500), now: t0 + .milliseconds(millisecond))
        }
        let snapshot = failing.snapshot(now: t0 + .seconds(1))
        #expect(Unavailability.clause(name: "gpu-a", snapshot)
            == "gpu-a (unhealthy: circuit breaker open after 5 failures in a row; last: request answered HTTP 500)")
        // The cool-down's end is the next probe: 30 s after the 5th failure.
        #expect(Unavailability([("gpu-a", snapshot)]).retryAfterSeconds == 30)
    }

    @Test func noInstancesMeansNothingToNameAndTheFallbackDelay() {
        let why = Unavailability([])
        #expect(why.detail == "")
        #expect(why.retryAfterSeconds == Unavailability.fallbackRetryAfterSeconds)
    }

    @Test func anUncheckedInstanceIsNamedByItsStateAlone() {
        #expect(Unavailability.clause(name: "new", health().snapshot(now: t0)) == "new (unknown)")
    }
}
