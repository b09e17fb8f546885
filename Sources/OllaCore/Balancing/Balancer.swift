/// Orders the endpoints that can serve a request: the first is tried first, the rest are
/// the failover order. A pure function of its inputs (plus `turn` for rotation), so it
/// needs no lock and tests need no timing.
public struct Balancer: Sendable, Equatable {
    /// The ordering rule.
    public var strategy: BalancerStrategy

    /// Creates a balancer that orders by `strategy`.
    public init(strategy: BalancerStrategy) {
        self.strategy = strategy
    }

    /// Returns every candidate, in the order to try them.
    ///
    /// - Parameters:
    ///   - candidates: the endpoints that could serve the request, in configuration order
    ///     (which breaks the final ties).
    ///   - turn: a counter the caller increments per request (per model or globally); only
    ///     `roundRobin` uses it.
    ///
    /// Unroutable candidates (unhealthy, offline) are defensively moved to the end, in
    /// input order, whatever the strategy.
    public func order(_ candidates: [BalancerCandidate], turn: UInt64) -> [BalancerCandidate] {
        let indexed = candidates.enumerated().map { Ranked(index: $0.offset, candidate: $0.element) }
        let routable = indexed.filter { $0.candidate.state.isRoutable }
        let unroutable = indexed.filter { !$0.candidate.state.isRoutable }
        let ordered: [Ranked]
        switch strategy {
        case .priority: ordered = orderByPriority(routable)
        case .roundRobin: ordered = orderRoundRobin(routable, turn: turn)
        case .leastConnections: ordered = orderLeastConnections(routable)
        case .modelAware: ordered = orderModelAware(routable)
        case .residencyAware: ordered = orderLeastConnections(routable)
        }
        return (ordered + unroutable).map(\.candidate)
    }

    /// A candidate with its input position, the last tie-breaker of every strategy
    /// (`sort` is not guaranteed stable, so stability is spelled out).
    struct Ranked {
        var index: Int
        var candidate: BalancerCandidate
    }

    /// Groups `items` into priority tiers, highest first, each in input order.
    func tiers(_ items: [Ranked]) -> [[Ranked]] {
        var byPriority: [Int: [Ranked]] = [:]
        for item in items { byPriority[item.candidate.priority, default: []].append(item) }
        return byPriority.keys.sorted(by: >).map { byPriority[$0]! }
    }
}
