import Testing
import OllaCore

private func names(_ candidates: [BalancerCandidate]) -> [String] { candidates.map(\.name) }

@Suite("Balancing: priority and least connections")
struct BalancerTests {
    @Test func strategiesMatchConfigSpellings() {
        #expect(BalancerStrategy(rawValue: "model-aware") == .modelAware)
        #expect(BalancerStrategy(rawValue: "round-robin") == .roundRobin)
        #expect(BalancerStrategy(rawValue: "least-connections") == .leastConnections)
        #expect(BalancerStrategy(.priority) == .priority)
        #expect(BalancerStrategy(.roundRobin) == .roundRobin)
        #expect(BalancerStrategy(.leastConnections) == .leastConnections)
    }

    @Test func everyConfiguredLoadBalancerHasAStrategy() {
        for kind in LoadBalancerKind.allCases {
            #expect(BalancerStrategy(kind)?.rawValue == kind.rawValue, "\(kind)")
        }
    }

    @Test func emptyInputGivesEmptyOrder() {
        for strategy in BalancerStrategy.allCases {
            #expect(Balancer(strategy: strategy).order([], turn: 7).isEmpty)
        }
    }

    @Test func priorityOrdersTiersThenHealthyBeforeBusyThenInputOrder() {
        let candidates = [
            BalancerCandidate(name: "low", priority: 10),
            BalancerCandidate(name: "high-busy", priority: 100, state: .busy),
            BalancerCandidate(name: "high-a", priority: 100),
            BalancerCandidate(name: "high-unknown", priority: 100, state: .unknown),
            BalancerCandidate(name: "high-b", priority: 100, inFlight: 9),
        ]
        let ordered = Balancer(strategy: .priority).order(candidates, turn: 0)
        #expect(names(ordered) == ["high-a", "high-b", "high-unknown", "high-busy", "low"])
    }

    @Test func unroutableCandidatesGoLastInInputOrderWhateverTheStrategy() {
        let candidates = [
            BalancerCandidate(name: "dead", priority: 1000, state: .offline, modelLoaded: true),
            BalancerCandidate(name: "ok", priority: 1),
            BalancerCandidate(name: "sick", priority: 1000, state: .unhealthy),
            BalancerCandidate(name: "slow", priority: 1, state: .busy),
        ]
        for strategy in BalancerStrategy.allCases {
            let ordered = Balancer(strategy: strategy).order(candidates, turn: 3)
            #expect(names(ordered) == ["ok", "slow", "dead", "sick"], "\(strategy)")
        }
    }

    @Test func leastConnectionsRespectsPriorityTiers() {
        let candidates = [
            BalancerCandidate(name: "fallback-idle", priority: 10, inFlight: 0),
            BalancerCandidate(name: "main-a", priority: 100, inFlight: 7),
            BalancerCandidate(name: "main-b", priority: 100, inFlight: 3),
        ]
        let ordered = Balancer(strategy: .leastConnections).order(candidates, turn: 0)
        #expect(names(ordered) == ["main-b", "main-a", "fallback-idle"])
    }

    @Test func leastConnectionsWeighsInFlightByWeightExactly() {
        let candidates = [
            BalancerCandidate(name: "one-of-one", weight: 1, inFlight: 1),   // 1
            BalancerCandidate(name: "two-of-four", weight: 4, inFlight: 2),  // 1/2
            BalancerCandidate(name: "three-of-six", weight: 6, inFlight: 3), // 1/2, later in input
            BalancerCandidate(name: "one-of-three", weight: 3, inFlight: 1), // 1/3
            BalancerCandidate(name: "idle", weight: 1, inFlight: 0),         // 0
        ]
        let ordered = Balancer(strategy: .leastConnections).order(candidates, turn: 0)
        #expect(names(ordered) == ["idle", "one-of-three", "two-of-four", "three-of-six", "one-of-one"])
    }

    @Test func leastConnectionsPutsBusyAfterHealthyWithinATier() {
        let candidates = [
            BalancerCandidate(name: "busy-idle", state: .busy),
            BalancerCandidate(name: "loaded", inFlight: 5),
            BalancerCandidate(name: "low", priority: 1),
        ]
        let ordered = Balancer(strategy: .leastConnections).order(candidates, turn: 0)
        #expect(names(ordered) == ["loaded", "busy-idle", "low"])
    }

    @Test func zeroWeightAndNegativeCountsAreTreatedDefensively() {
        let candidates = [
            BalancerCandidate(name: "zero-weight", weight: 0, inFlight: 1),
            BalancerCandidate(name: "negative", weight: 1, inFlight: -3),
        ]
        let ordered = Balancer(strategy: .leastConnections).order(candidates, turn: 0)
        #expect(names(ordered) == ["negative", "zero-weight"])
        let rotated = Balancer(strategy: .roundRobin).order(candidates, turn: 1)
        #expect(names(rotated) == ["negative", "zero-weight"])
    }
}
