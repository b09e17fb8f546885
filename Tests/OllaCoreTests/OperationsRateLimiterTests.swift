import Testing
@testable import OllaCore

@Suite("Operations: rate limiter")
struct OperationsRateLimiterTests {
    private let start = ContinuousClock.now

    private func limiter(global: Int = 0, perIP: Int = 0, health: Int = 0, burst: Int = 3, maxClients: Int = 100) -> RateLimiter {
        RateLimiter(config: RateLimitsConfig(
            globalRequestsPerMinute: global, perIPRequestsPerMinute: perIP, healthRequestsPerMinute: health,
            burstSize: burst, cleanupInterval: .seconds(300)), maxClients: maxClients, now: start)
    }

    @Test func unlimitedByDefault() {
        let limiter = RateLimiter(config: .defaults, now: start)
        for _ in 0..<1_000 {
            #expect(limiter.check(client: "1.2.3.4", scope: .proxy, now: start) == .unlimited)
        }
        #expect(limiter.check(client: "1.2.3.4", scope: .health, now: start).headers.isEmpty)
        #expect(limiter.trackedClients == 0)
    }

    @Test func burstThenRefusalWithHeaders() {
        let limiter = limiter(perIP: 60, burst: 3)
        let decisions = (0..<4).map { _ in limiter.check(client: "a", scope: .proxy, now: start) }
        #expect(decisions.map(\.allowed) == [true, true, true, false])
        #expect(decisions.map(\.remaining) == [2, 1, 0, 0])
        #expect(decisions[0].limit == 60)
        #expect(decisions[2].resetSeconds == 3)  // 3 tokens at 1/s
        #expect(decisions[3].retryAfterSeconds == 1)
        #expect(decisions[3].headers.map(\.name) == ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"])
        #expect(decisions[3].headers.map(\.value) == ["60", "0", "3", "1"])
        #expect(decisions[0].headers.count == 3)
    }

    @Test func refillsOverInjectedTime() {
        let limiter = limiter(perIP: 30, burst: 2)  // one token every 2s
        _ = limiter.check(client: "a", scope: .proxy, now: start)
        _ = limiter.check(client: "a", scope: .proxy, now: start)
        let refused = limiter.check(client: "a", scope: .proxy, now: start + .seconds(1))
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 1)
        #expect(limiter.check(client: "a", scope: .proxy, now: start + .seconds(2)).allowed)
        #expect(!limiter.check(client: "a", scope: .proxy, now: start + .seconds(2)).allowed)
        // Never more than the burst, however long the pause.
        let later = start + .seconds(3_600)
        #expect((0..<3).map { _ in limiter.check(client: "a", scope: .proxy, now: later).allowed } == [true, true, false])
    }

    @Test func perClientBucketsAreSeparate() {
        let limiter = limiter(perIP: 60, burst: 1)
        #expect(limiter.check(client: "a", scope: .proxy, now: start).allowed)
        #expect(!limiter.check(client: "a", scope: .proxy, now: start).allowed)
        #expect(limiter.check(client: "b", scope: .proxy, now: start).allowed)
        #expect(limiter.trackedClients == 2)
    }

    @Test func globalAppliesAcrossClientsAndTheTighterIsReported() {
        let limiter = limiter(global: 120, perIP: 60, burst: 2)
        let first = limiter.check(client: "a", scope: .proxy, now: start)
        #expect(first.allowed && first.remaining == 1)
        #expect(limiter.check(client: "b", scope: .proxy, now: start).allowed)
        // Global bucket is empty now; c's own bucket is full.
        let refused = limiter.check(client: "c", scope: .proxy, now: start)
        #expect(!refused.allowed)
        #expect(refused.limit == 120)
        // A refusal takes nothing from the per-client bucket: c still has its burst.
        let soon = start + .seconds(1)  // global refills 2 tokens
        #expect(limiter.check(client: "c", scope: .proxy, now: soon).allowed)
        let second = limiter.check(client: "c", scope: .proxy, now: soon)
        #expect(second.allowed)
        #expect(second.remaining == 0)
    }

    @Test func healthScopeHasItsOwnBudget() {
        let limiter = limiter(global: 60, health: 600, burst: 1)
        #expect(limiter.check(client: "a", scope: .proxy, now: start).allowed)
        #expect(!limiter.check(client: "a", scope: .proxy, now: start).allowed)
        let health = limiter.check(client: "a", scope: .health, now: start)
        #expect(health.allowed && health.limit == 600)
        #expect(!limiter.check(client: "a", scope: .health, now: start).allowed)
        #expect(limiter.check(client: "a", scope: .health, now: start + .milliseconds(100)).allowed)
        // Health limit off: health requests are never refused even when proxy is exhausted.
        let noHealth = self.limiter(global: 60, burst: 1)
        _ = noHealth.check(client: "a", scope: .proxy, now: start)
        #expect(noHealth.check(client: "a", scope: .health, now: start) == .unlimited)
    }

    @Test func cleanupForgetsIdleClients() {
        let limiter = limiter(perIP: 60)
        _ = limiter.check(client: "old", scope: .proxy, now: start)
        _ = limiter.check(client: "new", scope: .proxy, now: start + .seconds(200))
        limiter.cleanup(now: start + .seconds(301))
        #expect(limiter.trackedClients == 1)
        limiter.cleanup(now: start + .seconds(1_000))
        #expect(limiter.trackedClients == 0)
    }

    @Test func clientCountIsCapped() {
        let limiter = limiter(perIP: 60, burst: 1, maxClients: 50)
        for index in 0..<500 {
            _ = limiter.check(client: "client-\(index)", scope: .proxy, now: start + .milliseconds(index))
        }
        #expect(limiter.trackedClients <= 50)
        // The most recent client was kept: its bucket is still empty.
        #expect(!limiter.check(client: "client-499", scope: .proxy, now: start + .milliseconds(499)).allowed)
    }
}
