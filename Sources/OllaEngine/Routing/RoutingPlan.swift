import OllaCore

/// What one request should do, decided once its model is known.
public struct RoutingPlan: Sendable {
    public enum Target: Sendable {
        /// Try these in order (failover before the first byte).
        case forward([EndpointTarget])
        /// Send to every one of these and answer once.
        case fanOut([EndpointTarget])
        /// Olla answers itself.
        case reject(ProxyError, retryAfterSeconds: Int?)
    }

    public enum Decision: String, Sendable {
        case routed, fallback, fanOut = "fan-out", rejected
    }

    public var target: Target
    public var strategy: RoutingStrategyKind
    public var decision: Decision
    public var reason: String

    /// The `X-Olla-Routing-*` headers that explain the decision to the client.
    public var headers: [HTTPHeader] {
        [("X-Olla-Routing-Strategy", strategy.rawValue),
         ("X-Olla-Routing-Decision", decision.rawValue),
         ("X-Olla-Routing-Reason", reason)]
    }
}

/// What the router needs to know about one request.
public struct RoutingRequest: Sendable {
    public var method: String
    public var route: ProxyRoute.Forward
    public var operation: OllamaOperation
    public var model: String?
    /// The body, when it is small enough to look into (unload and create requests).
    public var smallBody: [UInt8]?

    public init(method: String, route: ProxyRoute.Forward, operation: OllamaOperation,
                model: String?, smallBody: [UInt8]?) {
        self.method = method
        self.route = route
        self.operation = operation
        self.model = model
        self.smallBody = smallBody
    }
}
