extension EndpointState {
    /// How much the balancer prefers an endpoint in this state; lower is better.
    ///
    /// Healthy endpoints answered their last probe fast. Unknown ones have not been probed
    /// yet: usable, but unproven. Busy ones are known to be slow or queue-full, so they
    /// serve only when nothing better is available. Unhealthy and offline endpoints should
    /// never reach the balancer; if they do they go last.
    var preferenceRank: Int {
        switch self {
        case .healthy: 0
        case .unknown: 1
        case .busy: 2
        case .unhealthy: 3
        case .offline: 4
        }
    }
}
