/// `proxy.load_balancer`: how a request picks among the healthy endpoints.
public enum LoadBalancerKind: String, ConfigChoice {
    /// Always the highest-priority endpoint; lower ones only on failover.
    case priority
    /// Rotate through the endpoints of the best priority tier.
    case roundRobin = "round-robin"
    /// The endpoint with the fewest requests in flight.
    case leastConnections = "least-connections"

    /// Spellings used in Go Olla's sample configuration.
    public static let aliases: [String: LoadBalancerKind] = [
        "round_robin": .roundRobin,
        "least_conn": .leastConnections,
    ]
}
