import OllaCore
import Synchronization

/// Orders the configured endpoints into the candidates one request tries, first to last.
///
/// Endpoints are tried in priority order (higher first); within one priority tier the
/// strategy decides. This is the streaming core's failover order; model-aware balancing
/// builds on the same interface.
public final class EndpointSelector: Sendable {
    public enum Strategy: Sendable {
        /// Always the same order: config order within a tier.
        case priority
        /// Rotates the start within each tier, request by request.
        case roundRobin
    }

    private let tiers: [[EndpointTarget]]
    private let strategy: Strategy
    private let counter = Atomic<Int>(0)

    public init(endpoints: [EndpointTarget], strategy: Strategy) {
        var byPriority: [Int: [EndpointTarget]] = [:]
        for endpoint in endpoints { byPriority[endpoint.priority, default: []].append(endpoint) }
        self.tiers = byPriority.keys.sorted(by: >).map { byPriority[$0]! }
        self.strategy = strategy
    }

    public func candidates() -> [EndpointTarget] {
        switch strategy {
        case .priority:
            return tiers.flatMap { $0 }
        case .roundRobin:
            let turn = counter.wrappingAdd(1, ordering: .relaxed).oldValue
            return tiers.flatMap { tier in
                let start = turn % tier.count
                return Array(tier[start...] + tier[..<start])
            }
        }
    }
}
