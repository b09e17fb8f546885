import Testing
import OllaCore

/// Outcomes of real requests fed back into health.
@Suite("Health: request feedback")
struct HealthRequestFeedbackTests {
    let t0 = ContinuousClock.now

    private func healthyEndpoint(interval: Duration = .seconds(5)) -> EndpointHealth {
        var health = EndpointHealth(checkInterval: interval, checkTimeout: .seconds(2), now: t0)
        health.probeSucceeded(latency: .milliseconds(10), now: t0)
        return health
    }

    @Test func connectFailureMarksOfflineAtOnceAndReprobesQuickly() throws {
        var health = healthyEndpoint()
        let now = t0 + .seconds(2)
        let transitionOutcome = health.requestFailed(.connect("connection refused"), now: now)
        let transition = try #require(transitionOutcome)
        #expect(transition == .init(from: .healthy, to: .offline))
        #expect(transition.wentDown)
        #expect(!health.isRoutable)
        #expect(health.nextProbeAt == now + .seconds(1))
        #expect(health.lastError == "request could not connect: connection refused")

        // Further connect failures never push the quick re-probe later.
        #expect(health.requestFailed(.connect("reset"), now: now + .milliseconds(500)) == nil)
        #expect(health.nextProbeAt == now + .seconds(1))

        // The quick re-probe finds it back: a recovery, and the normal interval resumes.
        let backOutcome = health.probeSucceeded(latency: .milliseconds(10), now: now + .seconds(1))
        let back = try #require(backOutcome)
        #expect(back.recovered)
        #expect(health.nextProbeAt == now + .seconds(6))
    }

    @Test func quickReprobeNeverWaitsLongerThanTheInterval() {
        var health = healthyEndpoint(interval: .milliseconds(400))
        health.requestFailed(.connect("refused"), now: t0)
        #expect(health.nextProbeAt == t0 + .milliseconds(400))
    }

    @Test func quickReprobeFailureBacksOffNormally() {
        var health = healthyEndpoint()
        health.requestFailed(.connect("refused"), now: t0 + .seconds(1))
        health.probeFailed(.transport("refused"), now: t0 + .seconds(2))
        #expect(health.state == .offline)
        #expect(health.nextProbeAt == t0 + .seconds(12))
    }

    @Test func oneServerErrorDoesNotTakeTheEndpointOut() {
        var health = healthyEndpoint()
        #expect(health.requestFailed(.serverError(500), now: t0 + .seconds(1)) == nil)
        #expect(health.state == .healthy)
        #expect(health.isRoutable)
        #expect(health.consecutiveFailures == 1)
        #expect(health.nextProbeAt == t0 + .seconds(5))
        #expect(health.lastError == "request answered HTTP 500")
    }

    @Test func fastBusyAnswerMakesItBusyUntilAFastProbe() throws {
        var health = healthyEndpoint()
        let busyOutcome = health.requestFailed(.busy, now: t0 + .seconds(1))
        let busy = try #require(busyOutcome)
        #expect(busy == .init(from: .healthy, to: .busy))
        #expect(health.isRoutable)
        // A successful request does not clear busy: only a probe measures it.
        #expect(health.requestSucceeded(now: t0 + .seconds(2)) == nil)
        #expect(health.state == .busy)
        #expect(health.probeSucceeded(latency: .milliseconds(10), now: t0 + .seconds(5)) == .init(from: .busy, to: .healthy))
    }

    @Test func requestFeedbackNeverImprovesAnUnroutableEndpoint() {
        var health = healthyEndpoint()
        health.probeFailed(.transport("refused"), now: t0 + .seconds(5))
        // A request that started before the outage reports late.
        #expect(health.requestFailed(.busy, now: t0 + .seconds(6)) == nil)
        #expect(health.requestSucceeded(now: t0 + .seconds(6)) == nil)
        #expect(health.state == .offline)
    }

    @Test func requestSuccessResetsTheFailureCount() {
        var health = healthyEndpoint()
        for second in 1...4 { health.requestFailed(.serverError(500), now: t0 + .seconds(second)) }
        #expect(health.consecutiveFailures == 4)
        health.requestSucceeded(now: t0 + .seconds(5))
        #expect(health.consecutiveFailures == 0)
        health.requestFailed(.serverError(500), now: t0 + .seconds(6))
        #expect(health.isRoutable)
    }
}
