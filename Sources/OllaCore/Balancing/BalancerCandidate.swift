/// One endpoint as the balancer sees it for one request: a snapshot the caller builds
/// from configuration (`priority`, `weight`), live counters (`inFlight`), health
/// (`state`) and the model registry (`modelLoaded`).
public struct BalancerCandidate: Sendable, Equatable {
    /// The endpoint's configured name; identifies it in the result.
    public var name: String
    /// Higher is preferred (`priority` in the configuration).
    public var priority: Int
    /// Share of traffic within a priority tier, 1...1000. Values below 1 are treated as 1.
    public var weight: Int
    /// Requests currently being proxied to this endpoint. Negative values are treated as 0.
    public var inFlight: Int
    /// The endpoint's health. Callers pass only routable states; others are ordered last.
    public var state: EndpointState
    /// Whether the requested model is already loaded in the endpoint's memory
    /// (Ollama's `/api/ps`), so it can answer without a load delay.
    public var modelLoaded: Bool

    /// Creates a candidate; the defaults are the configuration's defaults, idle and healthy.
    public init(
        name: String,
        priority: Int = 100,
        weight: Int = 1,
        inFlight: Int = 0,
        state: EndpointState = .healthy,
        modelLoaded: Bool = false
    ) {
        self.name = name
        self.priority = priority
        self.weight = weight
        self.inFlight = inFlight
        self.state = state
        self.modelLoaded = modelLoaded
    }

    /// `weight` clamped to at least 1, so ratios and rotations never divide by zero.
    var effectiveWeight: Int { max(1, weight) }

    /// `inFlight / weight` as an exact fraction.
    var load: LoadRatio { LoadRatio(inFlight: max(0, inFlight), weight: effectiveWeight) }
}
