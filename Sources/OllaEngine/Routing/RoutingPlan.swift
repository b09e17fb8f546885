import OllaCore

/// What one request should do, decided once its model is known.
public struct RoutingPlan: Sendable {
    /// Where the request goes.
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

    /// The kind of decision, sent as `X-Olla-Routing-Decision`: `routed` (to an instance with
    /// the model), `fallback` (any healthy instance), `fan-out`, `rejected` (Olla answered).
    public enum Decision: String, Sendable {
        case routed, fallback, fanOut = "fan-out", rejected
    }

    /// Where the request goes.
    public var target: Target
    /// The routing strategy that decided (`X-Olla-Routing-Strategy`).
    public var strategy: RoutingStrategyKind
    /// The kind of decision (`X-Olla-Routing-Decision`).
    public var decision: Decision
    /// Why, in a few words (`X-Olla-Routing-Reason`, the fleet page).
    public var reason: String
    /// Whether the `residency-aware` scheduler placed (and counts) this request.
    public var scheduled = false
    /// The scheduler's estimate of the time to first token when the request arrived, in
    /// seconds (compared with the real one in metrics).
    public var estimatedWait: Double? = nil
    /// The request's canonical model name (`ModelName.canonical`), when the router scheduled
    /// it: what the scheduler learns under at the end, not computed a second time.
    public var modelKey: String? = nil
    /// The instance the scheduler counted the request on when it placed it (its first
    /// estimate's): a first attempt there is recorded already, so it does not tell the
    /// scheduler again (`Action.Start.placed`).
    public var placedOn: String? = nil

    /// The `X-Olla-Routing-*` headers that explain the decision to the client.
    public var headers: [HTTPHeader] {
        var headers: [HTTPHeader] = []
        headers.reserveCapacity(3)
        appendHeaders(to: &headers)
        return headers
    }

    /// Appends the `X-Olla-Routing-*` headers to `headers` (no array of their own).
    func appendHeaders(to headers: inout [HTTPHeader]) {
        headers.append(HTTPHeader("X-Olla-Routing-Strategy", strategy.rawValue))
        headers.append(HTTPHeader("X-Olla-Routing-Decision", decision.rawValue))
        headers.append(HTTPHeader("X-Olla-Routing-Reason", reason))
    }
}

/// What the router needs to know about one request.
public struct RoutingRequest: Sendable {
    /// The request's HTTP method.
    public var method: String
    /// The forwarded route, from the route table.
    public var route: ProxyRoute.Forward
    /// What the call does, as far as choosing instances is concerned.
    public var operation: OllamaOperation
    /// The model the request names (body or path); nil when it names none.
    public var model: String?
    /// The body, when it is small enough to look into (create requests name their blobs).
    public var smallBody: [UInt8]?
    /// What the body's single scan found (`JSONBodyScanner.summary`): whether it unloads.
    public var body: RequestBodySummary
    /// The exchange's id: the `residency-aware` scheduler counts the request under it.
    /// Nil: the request is ordered without being counted or held.
    public var id: UInt64?

    /// Creates a routing request; without `id` it is ordered but never counted or held. Without
    /// a `body` summary, one is made from `smallBody` (when there is one).
    public init(method: String, route: ProxyRoute.Forward, operation: OllamaOperation,
                model: String?, smallBody: [UInt8]?, id: UInt64? = nil, body: RequestBodySummary? = nil) {
        self.id = id
        self.method = method
        self.route = route
        self.operation = operation
        self.model = model
        self.smallBody = smallBody
        self.body = body ?? smallBody.map { bytes in
            bytes.withUnsafeBytes { JSONBodyScanner.summary(of: $0, modelKeys: route.modelKeys) }
        } ?? RequestBodySummary()
    }
}
