/// How the balancer orders the endpoints that can serve a request
/// (`proxy.load_balancer`; the raw values are the configuration spellings).
public enum BalancerStrategy: String, Sendable, Equatable, CaseIterable {
    /// Highest priority first; lower tiers only on failover.
    case priority
    /// Weighted rotation within the best priority tier.
    case roundRobin = "round-robin"
    /// Fewest requests in flight per unit of weight, within the best priority tier.
    case leastConnections = "least-connections"
    /// Loaded model first, then least loaded, then priority: see `Balancer.orderModelAware`.
    case modelAware = "model-aware"
    /// The default. Model-bound requests are placed by `ResidencyScheduler` (expected time
    /// to first token); everything else is ordered like `leastConnections`.
    case residencyAware = "residency-aware"

    /// The strategy for a configured `proxy.load_balancer` kind, matched by spelling so
    /// this keeps compiling as the configuration gains kinds; `nil` if unknown here.
    public init?(_ kind: LoadBalancerKind) {
        self.init(rawValue: kind.rawValue)
    }
}
