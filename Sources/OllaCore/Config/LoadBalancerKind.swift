/// `proxy.load_balancer`: how a request picks among the healthy endpoints.
public enum LoadBalancerKind: String, ConfigChoice {
    /// Always the highest-priority endpoint; lower ones only on failover.
    case priority
    /// Rotate through the endpoints of the best priority tier.
    case roundRobin = "round-robin"
    /// The endpoint with the fewest requests in flight.
    case leastConnections = "least-connections"
    /// The instance that already has the model loaded, then the least busy relative to its
    /// weight, then priority (see docs/routing.md).
    case modelAware = "model-aware"
    /// The default: the instance with the shortest expected time to first token, from a live
    /// residency model, learned load and generation times, and Olla's own hold queue
    /// (see docs/routing.md).
    case residencyAware = "residency-aware"

    /// Spellings used in Go Olla's sample configuration.
    public static let aliases: [String: LoadBalancerKind] = [
        "round_robin": .roundRobin,
        "least_conn": .leastConnections,
    ]
}
