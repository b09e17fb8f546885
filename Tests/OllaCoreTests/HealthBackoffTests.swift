import Testing
import OllaCore

/// Probe scheduling: start-up, backoff doubling and its cap, recovery.
@Suite("Health: probes and backoff")
struct HealthBackoffTests {
    let t0 = ContinuousClock.now

    @Test func freshEndpointIsUnknownRoutableAndProbedAtOnce() {
        let health = EndpointHealth(checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0)
        #expect(health.state == .unknown)
        #expect(health.isRoutable)
        #expect(health.nextProbeAt == t0)
        #expect(health.consecutiveFailures == 0)
        #expect(health.lastCheckedAt == nil)
        #expect(health.lastLatency == nil)
        #expect(health.lastError == nil)
    }

    @Test func firstSuccessIsATransitionButNotARecovery() throws {
        var health = EndpointHealth(checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0)
        let transitionOutcome = health.probeSucceeded(latency: .milliseconds(20), now: t0)
        let transition = try #require(transitionOutcome)
        #expect(transition == .init(from: .unknown, to: .healthy))
        #expect(!transition.recovered)
        #expect(health.nextProbeAt == t0 + .seconds(5))
        #expect(health.lastLatency == .milliseconds(20))
        #expect(health.lastCheckedAt == t0)
        // Steady state: no transition to report.
        #expect(health.probeSucceeded(latency: .milliseconds(20), now: t0 + .seconds(5)) == nil)
    }

    @Test func failedProbesBackOffDoublingUpToTheCapThenOneSuccessRestores() throws {
        var health = EndpointHealth(checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0)
        health.probeSucceeded(latency: .milliseconds(10), now: t0)

        var now = t0 + .seconds(5)
        let downOutcome = health.probeFailed(.transport("connection refused"), now: now)
        let down = try #require(downOutcome)
        #expect(down == .init(from: .healthy, to: .offline))
        #expect(down.wentDown)
        #expect(!health.isRoutable)
        #expect(health.lastError == "probe failed: connection refused")

        var delays: [Duration] = [health.nextProbeAt - now]
        for _ in 0..<5 {
            now = health.nextProbeAt
            #expect(health.probeFailed(.timeout, now: now) == nil)
            delays.append(health.nextProbeAt - now)
        }
        // 5 s × 2, ×4, ×8, then capped at 60 s (the breaker, open since the 5th failure,
        // never shortens the backoff).
        #expect(delays == [.seconds(10), .seconds(20), .seconds(40), .seconds(60), .seconds(60), .seconds(60)])
        #expect(health.consecutiveFailures == 6)
        #expect(health.state == .offline)

        now = health.nextProbeAt
        let upOutcome = health.probeSucceeded(latency: .milliseconds(30), now: now)
        let up = try #require(upOutcome)
        #expect(up == .init(from: .offline, to: .healthy))
        #expect(up.recovered)
        #expect(health.isRoutable)
        #expect(health.nextProbeAt == now + .seconds(5))
        #expect(health.consecutiveFailures == 0)
        #expect(health.lastError == nil)
    }

    @Test func errorStatusMeansUnhealthyAndBacksOff() throws {
        var health = EndpointHealth(checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0)
        let transitionOutcome = health.probeFailed(.status(500), now: t0)
        let transition = try #require(transitionOutcome)
        #expect(transition == .init(from: .unknown, to: .unhealthy))
        #expect(transition.wentDown)
        #expect(health.nextProbeAt == t0 + .seconds(10))
        #expect(health.lastError == "probe answered HTTP 500")
    }

    @Test func intervalLongerThanTheCapIsNeverShortened() {
        let health = EndpointHealth(checkInterval: .seconds(120), checkTimeout: .seconds(2), now: t0)
        #expect(health.backoffDelay(afterFailures: 0) == .seconds(120))
        #expect(health.backoffDelay(afterFailures: 1) == .seconds(120))
        #expect(health.backoffDelay(afterFailures: 10_000) == .seconds(120))
    }

    @Test func backoffCapIsConfigurableAndSurvivesHugeFailureCounts() {
        let policy = HealthPolicy(maxBackoff: .seconds(15))
        let health = EndpointHealth(checkInterval: .seconds(1), checkTimeout: .milliseconds(500), now: t0, policy: policy)
        let delays = (0...5).map { health.backoffDelay(afterFailures: $0) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(15), .seconds(15)])
        #expect(health.backoffDelay(afterFailures: .max) == .seconds(15))
    }

    @Test func slowProbeIsBusyButRoutable() throws {
        var health = EndpointHealth(checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0)
        // Exactly half the timeout is still healthy; "slow" is strictly more.
        health.probeSucceeded(latency: .seconds(1), now: t0)
        #expect(health.state == .healthy)

        let slowOutcome = health.probeSucceeded(latency: .milliseconds(1_001), now: t0 + .seconds(5))
        let slow = try #require(slowOutcome)
        #expect(slow == .init(from: .healthy, to: .busy))
        #expect(!slow.wentDown)
        #expect(health.isRoutable)
        #expect(health.nextProbeAt == t0 + .seconds(10))

        let fastOutcome = health.probeSucceeded(latency: .milliseconds(50), now: t0 + .seconds(10))
        let fast = try #require(fastOutcome)
        #expect(fast == .init(from: .busy, to: .healthy))
        #expect(!fast.recovered)
    }

    @Test func busyProbeAnswerIsBusyWithoutBackoff() {
        var health = EndpointHealth(checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0)
        health.probeSucceeded(latency: .milliseconds(10), now: t0)
        health.probeFailed(.status(503), now: t0 + .seconds(5))
        #expect(health.state == .busy)
        #expect(health.isRoutable)
        #expect(health.consecutiveFailures == 1)
        #expect(health.nextProbeAt == t0 + .seconds(10))
        health.probeFailed(.status(429), now: t0 + .seconds(10))
        #expect(health.nextProbeAt == t0 + .seconds(15))
    }

    @Test func snapshotReportsEverything() {
        var health = EndpointHealth(checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0)
        health.probeSucceeded(latency: .milliseconds(40), now: t0)
        health.probeFailed(.status(502), now: t0 + .seconds(5))
        let snapshot = health.snapshot(now: t0 + .seconds(8))
        #expect(snapshot == HealthSnapshot(
            state: .unhealthy,
            isRoutable: false,
            lastCheckedAt: t0 + .seconds(5),
            sinceLastCheck: .seconds(3),
            nextProbeAt: t0 + .seconds(15),
            untilNextProbe: .seconds(7),
            consecutiveFailures: 1,
            lastError: "probe answered HTTP 502",
            lastLatency: .milliseconds(40),
            breakerOpenUntil: nil
        ))
    }

    @Test func builtFromEndpointConfig() {
        let config = EndpointConfig(
            name: "gpu", url: EndpointConfig.localOllama.url,
            checkInterval: .seconds(7), checkTimeout: .seconds(3)
        )
        let health = EndpointHealth(config: config, now: t0)
        #expect(health.checkInterval == .seconds(7))
        #expect(health.checkTimeout == .seconds(3))
    }
}
