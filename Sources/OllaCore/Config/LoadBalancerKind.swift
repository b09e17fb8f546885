/// `proxy.load_balancer`: how a request picks among the healthy endpoints.
public enum LoadBalancerKind: String, ConfigChoice {
    /// Always the highest-priority endpoint; lower ones only on failover.
    case priority
    /// Rotate through the endpoints of the best priority tier.
    case roundRobin = "round-robin"
    /// The endpoint with the fewest requests in flight.
    case leastConnections = "least-connections"
    /// The default: the instance that already has the model loaded, then the least busy
    /// relative to its weight, then priority (see docs/routing.md).
    case modelAware = "model-aware"

    /// Spellings used in Go Olla's sample configuration.
    public static let aliases: [String: LoadBalancerKind] = [
        "round_robin": .roundRobin,
        "least_conn": .leastConnections,
    ]
}
