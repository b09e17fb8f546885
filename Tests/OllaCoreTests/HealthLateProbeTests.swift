import Testing
import OllaCore

/// A probe that times out is weak evidence when the instance answered just before (a stalled
/// event loop, a machine starved of CPU for a moment): it is late, not down. A refusal, a
/// connect timeout and a second timeout in a row with no answer between are strong: offline.
/// Every event carries its own time (no clock, no sleeping).
@Suite("Health: late probes")
struct HealthLateProbeTests {
    let t0 = ContinuousClock.now

    /// Probed every 1 s with a 500 ms timeout (the bench's endpoints), answered at t0.
    private func answered(policy: HealthPolicy = .default) -> EndpointHealth {
        var health = EndpointHealth(checkInterval: .seconds(1), checkTimeout: .milliseconds(500), now: t0, policy: policy)
        health.probeSucceeded(latency: .milliseconds(5), now: t0)
        return health
    }

    @Test func oneLateProbeAfterAnAnswerIsBusyRoutableAndReprobedSoon() throws {
        var health = answered(policy: HealthPolicy(quickReprobeDelay: .milliseconds(300)))
        let now = t0 + .milliseconds(1_500)
        let outcome = health.probeFailed(.timeout, now: now)
        let transition = try #require(outcome)
        #expect(transition == .init(from: .healthy, to: .busy))
        #expect(!transition.wentDown)
        #expect(health.isRoutable)
        #expect(health.lastError == "probe timed out (late: it answered before; offline if the next probe times out too)")
        #expect(health.nextProbeAt == now + .milliseconds(300), "re-probed quickly to tell a stall from a hang")
        #expect(health.consecutiveFailures == 0, "a late probe counts towards neither the breaker…")
        #expect(health.consecutiveProbeFailures == 0, "…nor the backoff")
        #expect(health.lateProbesLeft == 0)
        // The stall is over: the next probe answers and the instance is healthy again.
        #expect(health.probeSucceeded(latency: .milliseconds(5), now: now + .milliseconds(300)) == .init(from: .busy, to: .healthy))
        #expect(health.lastError == nil)
        #expect(health.lateProbesLeft == 1)
    }

    @Test func aSecondTimeoutInARowWithNoAnswerBetweenIsOffline() throws {
        var health = answered()
        health.probeFailed(.timeout, now: t0 + .milliseconds(1_500))
        let now = health.nextProbeAt + .milliseconds(500)
        let outcome = health.probeFailed(.timeout, now: now)
        let transition = try #require(outcome)
        #expect(transition == .init(from: .busy, to: .offline))
        #expect(transition.wentDown)
        #expect(health.lastError == "probe timed out")
        #expect(health.consecutiveFailures == 1)
        #expect(health.nextProbeAt == now + .seconds(2), "an outage backs off as before")
        // A hang that goes on stays offline: no more late probes until something answers.
        #expect(health.probeFailed(.timeout, now: health.nextProbeAt + .milliseconds(500)) == nil)
        #expect(health.state == .offline)
    }

    @Test func anAnswerBetweenTwoLateProbesForgivesTheSecondToo() {
        var health = answered()
        health.probeFailed(.timeout, now: t0 + .milliseconds(1_500))
        // A request of Olla's got its answer's head meanwhile: the instance is alive.
        health.requestSucceeded(now: t0 + .milliseconds(1_800))
        health.probeFailed(.timeout, now: t0 + .milliseconds(2_500))
        #expect(health.state == .busy && health.isRoutable)
        // An error answer is a sign of life as well.
        health.requestFailed(.serverError(500), now: t0 + .milliseconds(2_700))
        health.probeFailed(.timeout, now: t0 + .milliseconds(3_500))
        #expect(health.state == .busy && health.isRoutable)
        // Nothing answered since: down.
        health.probeFailed(.timeout, now: t0 + .milliseconds(4_500))
        #expect(health.state == .offline)
    }

    @Test func anInstanceThatNeverAnsweredIsOfflineAtItsFirstTimeout() {
        var health = EndpointHealth(checkInterval: .seconds(1), checkTimeout: .milliseconds(500), now: t0)
        #expect(health.probeFailed(.timeout, now: t0 + .milliseconds(500)) == .init(from: .unknown, to: .offline))
        #expect(health.lastError == "probe timed out")
    }

    @Test func refusedAndConnectTimeoutsAreOfflineAtOnceWhateverAnsweredBefore() {
        var refused = answered()
        #expect(refused.probeFailed(.transport("connection refused"), now: t0 + .seconds(1)) == .init(from: .healthy, to: .offline))
        // The outage spent the forgiveness: a timeout after it is no late probe.
        refused.probeFailed(.timeout, now: refused.nextProbeAt)
        #expect(refused.state == .offline)

        var unreachable = answered()
        #expect(unreachable.probeFailed(.connectTimeout, now: t0 + .seconds(1)) == .init(from: .healthy, to: .offline))
        #expect(unreachable.lastError == "probe could not connect within check_timeout")

        // A request that could not connect (refused, reset) is strong evidence too.
        var reset = answered()
        reset.requestFailed(.connect("connection reset"), now: t0 + .milliseconds(200))
        #expect(reset.state == .offline)
        reset.probeFailed(.timeout, now: reset.nextProbeAt)
        #expect(reset.state == .offline, "no late probe after a failed connect")
    }

    @Test func aStaleAnswerDoesNotForgiveAnOfflineInstance() {
        var health = answered()
        health.probeFailed(.transport("connection refused"), now: t0 + .seconds(1))
        // A request that began before the outage reports its answer late.
        health.requestSucceeded(now: t0 + .milliseconds(1_100))
        #expect(health.lateProbesLeft == 0)
        health.probeFailed(.timeout, now: health.nextProbeAt)
        #expect(health.state == .offline)
    }

    @Test func aBusyAnswerIsASignOfLife() {
        var health = answered()
        health.probeFailed(.status(503), now: t0 + .seconds(1))
        #expect(health.state == .busy)
        health.probeFailed(.timeout, now: t0 + .seconds(2))
        #expect(health.state == .busy && health.isRoutable)
    }

    @Test func streamingRefillsTheForgiveness() {
        var health = answered()
        health.probeFailed(.timeout, now: t0 + .seconds(1))
        health.probeTimedOutWhileServing(streams: 1, now: t0 + .seconds(2))
        health.probeFailed(.timeout, now: t0 + .seconds(3))
        #expect(health.state == .busy, "bytes streamed in between: still only late")
        health.probeFailed(.timeout, now: t0 + .seconds(4))
        #expect(health.state == .offline)
    }

    @Test func thePolicySetsHowManyLateProbesInARowAreForgiven() {
        var strict = answered(policy: HealthPolicy(lateProbesForgiven: 0))
        #expect(strict.probeFailed(.timeout, now: t0 + .seconds(1)) == .init(from: .healthy, to: .offline))

        var patient = answered(policy: HealthPolicy(lateProbesForgiven: 2))
        patient.probeFailed(.timeout, now: t0 + .seconds(1))
        #expect(patient.lastError == "probe timed out (late: it answered before; offline after 2 more timeouts in a row)")
        patient.probeFailed(.timeout, now: t0 + .seconds(2))
        #expect(patient.state == .busy)
        patient.probeFailed(.timeout, now: t0 + .seconds(3))
        #expect(patient.state == .offline)
    }
}
