import Testing
import OllaCore

private func names(_ candidates: [BalancerCandidate]) -> [String] { candidates.map(\.name) }

@Suite("Balancing: model-aware")
struct BalancerModelAwareTests {
    let balancer = Balancer(strategy: .modelAware)

    @Test func loadedModelBeatsLoadAndPriority() {
        let candidates = [
            BalancerCandidate(name: "cold-idle-preferred", priority: 1000, inFlight: 0),
            BalancerCandidate(name: "warm-queued", priority: 1, inFlight: 3, modelLoaded: true),
        ]
        #expect(names(balancer.order(candidates, turn: 0)) == ["warm-queued", "cold-idle-preferred"])
    }

    @Test func amongLoadedTheLeastLoadedRelativeToWeightWins() {
        let candidates = [
            BalancerCandidate(name: "a", priority: 500, weight: 1, inFlight: 1, modelLoaded: true),  // 1
            BalancerCandidate(name: "b", priority: 100, weight: 3, inFlight: 2, modelLoaded: true),  // 2/3
            BalancerCandidate(name: "c", priority: 100, weight: 1, inFlight: 0),                     // cold
        ]
        #expect(names(balancer.order(candidates, turn: 0)) == ["b", "a", "c"])
    }

    @Test func priorityBreaksEqualLoadThenInputOrder() {
        let candidates = [
            BalancerCandidate(name: "low", priority: 10, weight: 2, inFlight: 2, modelLoaded: true),
            BalancerCandidate(name: "high", priority: 90, weight: 1, inFlight: 1, modelLoaded: true),
            BalancerCandidate(name: "high-too", priority: 90, weight: 4, inFlight: 4, modelLoaded: true),
        ]
        #expect(names(balancer.order(candidates, turn: 0)) == ["high", "high-too", "low"])
    }

    @Test func busyGoesLastEvenWithTheModelLoadedAndUnknownSitsBetween() {
        let candidates = [
            BalancerCandidate(name: "busy-warm", priority: 1000, state: .busy, modelLoaded: true),
            BalancerCandidate(name: "unknown-warm", state: .unknown, modelLoaded: true),
            BalancerCandidate(name: "healthy-cold", priority: 1, inFlight: 4),
            BalancerCandidate(name: "busy-cold", state: .busy),
        ]
        #expect(names(balancer.order(candidates, turn: 0)) == ["healthy-cold", "unknown-warm", "busy-warm", "busy-cold"])
    }

    @Test func hugeCountsCompareWithoutOverflow() {
        let candidates = [
            BalancerCandidate(name: "a", weight: 1_000, inFlight: .max),
            BalancerCandidate(name: "b", weight: 999, inFlight: .max),
        ]
        // max/1000 < max/999.
        #expect(names(balancer.order(candidates, turn: 0)) == ["a", "b"])
    }

    @Test func orderDoesNotDependOnTurn() {
        let candidates = (0..<5).map { BalancerCandidate(name: "e\($0)", weight: $0 + 1, inFlight: $0 % 2) }
        let first = balancer.order(candidates, turn: 0)
        for turn in 1..<20 as Range<UInt64> { #expect(balancer.order(candidates, turn: turn) == first) }
    }
}
