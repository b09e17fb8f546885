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
        /// Held in Olla's queue for this model until an instance can start it
        /// (`residency-aware` late binding); the exchange attaches itself to
        /// `FleetScheduler` and is released or refused from there.
        case hold(model: String)
    }

    public enum Decision: String, Sendable {
        case routed, fallback, fanOut = "fan-out", rejected
    }

    public var target: Target
    public var strategy: RoutingStrategyKind
    public var decision: Decision
    public var reason: String
    /// Whether the `residency-aware` scheduler placed (and counts) this request.
    public var scheduled = false
    /// The scheduler's estimate of the time to first token when the request arrived, in
    /// seconds (compared with the real one in metrics).
    public var estimatedWait: Double? = nil

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
    /// The exchange's id: the `residency-aware` scheduler counts the request under it.
    /// Nil: the request is ordered without being counted or held.
    public var id: UInt64?

    public init(method: String, route: ProxyRoute.Forward, operation: OllamaOperation,
                model: String?, smallBody: [UInt8]?, id: UInt64? = nil) {
        self.id = id
        self.method = method
        self.route = route
        self.operation = operation
        self.model = model
        self.smallBody = smallBody
    }
}
