extension ModelRegistryConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        self.init(
            type: try reader.choice("type", default: ModelRegistryConfig.defaults.type),
            routingStrategy: try reader.section("routing_strategy", default: .defaults, RoutingStrategyConfig.init(from:)),
            pullTarget: try reader.identifier("pull_target", default: ModelRegistryConfig.defaults.pullTarget)
        )
    }
}
