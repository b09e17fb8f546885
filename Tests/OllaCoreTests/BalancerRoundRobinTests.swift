import Testing
import OllaCore

private func names(_ candidates: [BalancerCandidate]) -> [String] { candidates.map(\.name) }

@Suite("Balancing: weighted round robin")
struct BalancerRoundRobinTests {
    let balancer = Balancer(strategy: .roundRobin)

    private func firstChoices(_ candidates: [BalancerCandidate], turns: Range<UInt64>) -> [String] {
        turns.map { balancer.order(candidates, turn: $0)[0].name }
    }

    @Test func smoothSequenceMatchesNginx() {
        let candidates = [
            BalancerCandidate(name: "a", weight: 5),
            BalancerCandidate(name: "b", weight: 1),
            BalancerCandidate(name: "c", weight: 1),
        ]
        #expect(firstChoices(candidates, turns: 0..<7) == ["a", "a", "b", "a", "c", "a", "a"])
        // Periodic: the next 7 turns repeat it.
        #expect(firstChoices(candidates, turns: 7..<14) == ["a", "a", "b", "a", "c", "a", "a"])
    }

    @Test func equalWeightsAlternate() {
        let candidates = [BalancerCandidate(name: "a"), BalancerCandidate(name: "b"), BalancerCandidate(name: "c")]
        #expect(firstChoices(candidates, turns: 0..<6) == ["a", "b", "c", "a", "b", "c"])
    }

    @Test func everyWindowOfSumWeightsTurnsGivesExactCounts() {
        let candidates = [
            BalancerCandidate(name: "big", weight: 7),
            BalancerCandidate(name: "mid", weight: 4),
            BalancerCandidate(name: "small", weight: 2),
            BalancerCandidate(name: "tiny", weight: 1),
        ]
        let expected = ["big": 7, "mid": 4, "small": 2, "tiny": 1]
        // Exact counts over any window of 14 consecutive turns, not only aligned ones.
        for start in [0, 5, 14, 1_000_003] as [UInt64] {
            let window = firstChoices(candidates, turns: start..<start + 14)
            #expect(Dictionary(window.map { ($0, 1) }, uniquingKeysWith: +) == expected)
        }
        // And over many turns.
        let many = firstChoices(candidates, turns: 0..<1_400)
        #expect(Dictionary(many.map { ($0, 1) }, uniquingKeysWith: +) == ["big": 700, "mid": 400, "small": 200, "tiny": 100])
        // Interleaved: the heaviest is never chosen more than twice in a row here.
        #expect(!zip(zip(many, many.dropFirst()), many.dropFirst(2)).contains { $0.0 == $0.1 && $0.1 == $1 })
    }

    @Test func commonFactorsDoNotChangeTheSequence() {
        let small = [BalancerCandidate(name: "a", weight: 1), BalancerCandidate(name: "b", weight: 2)]
        let large = [BalancerCandidate(name: "a", weight: 300), BalancerCandidate(name: "b", weight: 600)]
        #expect(firstChoices(small, turns: 0..<30) == firstChoices(large, turns: 0..<30))
        #expect(firstChoices(large, turns: 0..<3) == ["b", "a", "b"])
    }

    @Test func failoverContinuesInRotationOrderThenLowerTiers() {
        let candidates = [
            BalancerCandidate(name: "a"),
            BalancerCandidate(name: "backup-1", priority: 50),
            BalancerCandidate(name: "b"),
            BalancerCandidate(name: "backup-2", priority: 50),
            BalancerCandidate(name: "c"),
        ]
        #expect(names(balancer.order(candidates, turn: 0)) == ["a", "b", "c", "backup-1", "backup-2"])
        #expect(names(balancer.order(candidates, turn: 1)) == ["b", "c", "a", "backup-2", "backup-1"])
        #expect(names(balancer.order(candidates, turn: 2)) == ["c", "a", "b", "backup-1", "backup-2"])
    }

    @Test func busyMembersRotateAfterHealthyOnes() {
        let candidates = [
            BalancerCandidate(name: "busy-1", state: .busy),
            BalancerCandidate(name: "a"),
            BalancerCandidate(name: "busy-2", state: .busy),
            BalancerCandidate(name: "b"),
        ]
        #expect(names(balancer.order(candidates, turn: 0)) == ["a", "b", "busy-1", "busy-2"])
        #expect(names(balancer.order(candidates, turn: 1)) == ["b", "a", "busy-2", "busy-1"])
    }

    @Test func inFlightAndLoadedModelAreIgnored() {
        let candidates = [
            BalancerCandidate(name: "a", inFlight: 50),
            BalancerCandidate(name: "b", modelLoaded: true),
        ]
        #expect(firstChoices(candidates, turns: 0..<2) == ["a", "b"])
    }
}
