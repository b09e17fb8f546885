extension RoutingStrategyConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        self.init(type: try reader.choice("type", default: RoutingStrategyConfig.defaults.type))
    }
}
