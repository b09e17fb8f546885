/// The `model_registry.routing_strategy` section.
public struct RoutingStrategyConfig: Sendable, Equatable {
    /// `type`: default `.strict`.
    public var type: RoutingStrategyKind

    /// Creates a routing strategy configuration.
    public init(type: RoutingStrategyKind = .strict) {
        self.type = type
    }

    /// The configuration used when the section is absent.
    public static let defaults = RoutingStrategyConfig()
}
