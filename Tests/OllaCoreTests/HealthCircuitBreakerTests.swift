import Testing
import OllaCore

/// The circuit breaker inside `EndpointHealth`: 5 consecutive failures open it for 30 s,
/// then one trial decides.
@Suite("Health: circuit breaker")
struct HealthCircuitBreakerTests {
    let t0 = ContinuousClock.now

    private func healthyEndpoint() -> EndpointHealth {
        var health = EndpointHealth(checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0)
        health.probeSucceeded(latency: .milliseconds(10), now: t0)
        return health
    }

    @Test func fiveServerErrorsOpenTheBreakerAndAnEarlyProbeCannotCloseIt() throws {
        var health = healthyEndpoint()
        for millisecond in 1...4 {
            #expect(health.requestFailed(.serverError(500), now: t0 + .milliseconds(millisecond)) == nil)
            #expect(health.isRoutable)
        }
        let trip = t0 + .milliseconds(5)
        let openedOutcome = health.requestFailed(.serverError(502), now: trip)
        let opened = try #require(openedOutcome)
        #expect(opened == .init(from: .healthy, to: .unhealthy))
        #expect(opened.wentDown)
        #expect(health.breaker.openUntil == trip + .seconds(30))
        // The trial probe waits for the end of the cool-down.
        #expect(health.nextProbeAt == trip + .seconds(30))

        // A probe during the cool-down passes (the probe path works, requests do not)
        // but the breaker stays open.
        #expect(health.probeSucceeded(latency: .milliseconds(10), now: trip + .seconds(5)) == nil)
        #expect(health.state == .unhealthy)
        #expect(health.nextProbeAt == trip + .seconds(30))
        // In-flight requests finishing during the cool-down change nothing either.
        #expect(health.requestSucceeded(now: trip + .seconds(6)) == nil)
        #expect(!health.isRoutable)

        // The half-open trial probe succeeds: closed, routable, a recovery.
        let closedOutcome = health.probeSucceeded(latency: .milliseconds(10), now: trip + .seconds(30))
        let closed = try #require(closedOutcome)
        #expect(closed == .init(from: .unhealthy, to: .healthy))
        #expect(closed.recovered)
        #expect(health.breaker.openUntil == nil)
        #expect(health.consecutiveFailures == 0)
        #expect(health.nextProbeAt == trip + .seconds(35))
    }

    @Test func fastBusyAnswersCountAndAFailedTrialReopensForLonger() throws {
        var health = healthyEndpoint()
        #expect(health.requestFailed(.busy, now: t0 + .seconds(1)) == .init(from: .healthy, to: .busy))
        for second in 2...4 { #expect(health.requestFailed(.busy, now: t0 + .seconds(second)) == nil) }
        let trip = t0 + .seconds(5)
        #expect(health.requestFailed(.busy, now: trip) == .init(from: .busy, to: .unhealthy))
        #expect(health.breaker.openUntil == trip + .seconds(30))

        // The trial probe still finds it queue-full: re-opened for 60 s.
        let trial = trip + .seconds(30)
        #expect(health.probeFailed(.status(503), now: trial) == nil)
        #expect(health.breaker.openUntil == trial + .seconds(60))
        #expect(health.nextProbeAt == trial + .seconds(60))
        #expect(health.state == .unhealthy)

        // Failed again: the cool-down stays at the 60 s cap.
        let secondTrial = trial + .seconds(60)
        health.probeFailed(.status(503), now: secondTrial)
        #expect(health.breaker.openUntil == secondTrial + .seconds(60))

        // Third trial: fast again. Closed and healthy; the next trip starts from 30 s again.
        let thirdTrial = secondTrial + .seconds(60)
        let closedOutcome = health.probeSucceeded(latency: .milliseconds(5), now: thirdTrial)
        let closed = try #require(closedOutcome)
        #expect(closed == .init(from: .unhealthy, to: .healthy))
        #expect(closed.recovered)
        for millisecond in 1...5 { health.requestFailed(.serverError(500), now: thirdTrial + .milliseconds(millisecond)) }
        #expect(health.breaker.openUntil == thirdTrial + .milliseconds(5) + .seconds(30))
    }

    @Test func aRequestCanBeTheHalfOpenTrial() throws {
        var health = healthyEndpoint()
        for millisecond in 1...5 { health.requestFailed(.serverError(500), now: t0 + .milliseconds(millisecond)) }
        #expect(!health.isRoutable)
        let afterCooldown = t0 + .milliseconds(5) + .seconds(30)
        #expect(health.breaker.isHalfOpen(now: afterCooldown))
        let closedOutcome = health.requestSucceeded(now: afterCooldown)
        let closed = try #require(closedOutcome)
        #expect(closed.recovered)
        #expect(health.isRoutable)
    }

    @Test func aFailedRequestTrialReopens() {
        var health = healthyEndpoint()
        for millisecond in 1...5 { health.requestFailed(.serverError(500), now: t0 + .milliseconds(millisecond)) }
        let trial = t0 + .seconds(40)
        #expect(health.requestFailed(.serverError(500), now: trial) == nil)
        #expect(health.breaker.openUntil == trial + .seconds(60))
        #expect(health.nextProbeAt == trial + .seconds(60))
    }

    /// A killed backend fails every request on its way to it at once: one outage, one
    /// failure for the breaker (soak finding: five of them opened it for 30 s after the
    /// backend was back).
    @Test func connectFailuresOfOneOutageCountOnce() {
        var health = healthyEndpoint()
        for millisecond in 1...12 { health.requestFailed(.connect("refused"), now: t0 + .milliseconds(millisecond)) }
        #expect(health.consecutiveFailures == 1)
        #expect(!health.breaker.isOpen)
        #expect(health.state == .offline)
        #expect(health.nextProbeAt == t0 + .milliseconds(1) + .seconds(1), "the quick re-probe")
    }

    /// Opened only because the endpoint was unreachable, the breaker closes at the first probe
    /// that reaches it, and never delays probes: nothing a probe cannot see is behind it.
    @Test func anOutageOnlyBreakerClosesAtTheFirstGoodProbe() throws {
        var health = healthyEndpoint()
        health.requestFailed(.connect("refused"), now: t0 + .seconds(1))
        var now = t0 + .seconds(1)
        for _ in 1...4 {
            now = health.nextProbeAt
            health.probeFailed(.transport("refused"), now: now)
        }
        #expect(health.breaker.isOpen)
        #expect(health.state == .offline)
        #expect(!health.breaker.holdsUntilCooldownEnds)
        #expect(health.nextProbeAt == now + .seconds(60), "backoff alone, not the cool-down")
        let back = now + .seconds(1)  // inside the 30 s cool-down
        #expect(health.breaker.openUntil.map { back < $0 } == true)
        let outcome = health.probeSucceeded(latency: .milliseconds(5), now: back)
        let recovered = try #require(outcome)
        #expect(recovered == .init(from: .offline, to: .healthy))
        #expect(!health.breaker.isOpen && health.consecutiveFailures == 0)
    }

    /// Answered failures among them (the endpoint said 5xx): the cool-down holds as before.
    @Test func answeredFailuresKeepTheCoolDown() {
        var health = healthyEndpoint()
        for millisecond in 1...3 { health.requestFailed(.serverError(500), now: t0 + .milliseconds(millisecond)) }
        health.requestFailed(.connect("refused"), now: t0 + .milliseconds(4))
        health.probeFailed(.timeout, now: t0 + .milliseconds(5))
        #expect(health.breaker.isOpen)
        #expect(health.breaker.holdsUntilCooldownEnds)
        #expect(health.state == .offline)
        #expect(health.nextProbeAt == t0 + .milliseconds(5) + .seconds(30))
        #expect(health.probeSucceeded(latency: .milliseconds(5), now: t0 + .seconds(10)) == .init(from: .offline, to: .unhealthy))
        #expect(!health.isRoutable, "probes pass, but the answered failures hold it for the cool-down")
    }

    @Test func thresholdIsConfigurable() {
        var health = EndpointHealth(
            checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0,
            policy: HealthPolicy(breakerThreshold: 2)
        )
        health.requestFailed(.serverError(500), now: t0)
        #expect(health.isRoutable)
        health.requestFailed(.serverError(500), now: t0)
        #expect(!health.isRoutable)
        #expect(health.state == .unhealthy)
    }
}
