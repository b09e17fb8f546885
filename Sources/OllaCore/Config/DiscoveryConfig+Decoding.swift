extension DiscoveryConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = DiscoveryConfig.defaults
        self.init(
            type: try reader.choice("type", default: defaults.type),
            refreshInterval: try reader.duration("refresh_interval", default: defaults.refreshInterval, .positive),
            staticEndpoints: try reader.section("static", default: .defaults, StaticDiscoveryConfig.init(from:)),
            modelDiscovery: try reader.section("model_discovery", default: .defaults, ModelDiscoveryConfig.init(from:))
        )
    }
}
