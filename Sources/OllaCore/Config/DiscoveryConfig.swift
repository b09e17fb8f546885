/// The `discovery` section: which backends exist and how their models are found.
public struct DiscoveryConfig: Sendable, Equatable {
    /// `type`: where endpoints come from; only `.static` is supported.
    public var type: DiscoveryType
    /// `refresh_interval`: how often the endpoint list is re-evaluated. Default 30s.
    public var refreshInterval: Duration
    /// `static`: the fixed list of endpoints (`discovery.static.endpoints` in the file).
    public var staticEndpoints: StaticDiscoveryConfig
    /// `model_discovery`: periodic listing of each endpoint's models.
    public var modelDiscovery: ModelDiscoveryConfig

    /// Creates a discovery configuration; every parameter defaults to the documented default.
    public init(
        type: DiscoveryType = .static,
        refreshInterval: Duration = .seconds(30),
        staticEndpoints: StaticDiscoveryConfig = .defaults,
        modelDiscovery: ModelDiscoveryConfig = .defaults
    ) {
        self.type = type
        self.refreshInterval = refreshInterval
        self.staticEndpoints = staticEndpoints
        self.modelDiscovery = modelDiscovery
    }

    /// The configuration used when the `discovery` section is absent.
    public static let defaults = DiscoveryConfig()
}
