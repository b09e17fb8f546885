extension ModelDiscoveryConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = ModelDiscoveryConfig.defaults
        self.init(
            enabled: try reader.bool("enabled", default: defaults.enabled),
            interval: try reader.duration("interval", default: defaults.interval, .positive),
            timeout: try reader.duration("timeout", default: defaults.timeout, .positive)
        )
    }
}
