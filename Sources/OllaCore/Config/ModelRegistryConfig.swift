/// The `model_registry` section: where discovered models are kept and how requests
/// for a model are routed.
public struct ModelRegistryConfig: Sendable, Equatable {
    /// `type`: only `.memory` is supported.
    public var type: ModelRegistryType
    /// `routing_strategy`: what to do when no endpoint is known to have a model.
    public var routingStrategy: RoutingStrategyConfig
    /// `pull_target`: where `/api/pull` downloads a model: `best` (the instance the balancer
    /// picks), `all` (every healthy instance), or the name of one endpoint.
    public var pullTarget: String

    /// Creates a registry configuration; every parameter defaults to the documented default.
    public init(type: ModelRegistryType = .memory, routingStrategy: RoutingStrategyConfig = .defaults,
                pullTarget: String = "best") {
        self.type = type
        self.routingStrategy = routingStrategy
        self.pullTarget = pullTarget
    }

    /// The configuration used when the section is absent.
    public static let defaults = ModelRegistryConfig()
}
