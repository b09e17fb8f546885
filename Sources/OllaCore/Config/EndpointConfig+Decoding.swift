extension EndpointConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let name = try reader.require("name").identifier()
        let url = try reader.require("url").endpointURL()
        let type = try reader.require("type").choice(EndpointType.self)
        let defaults = EndpointConfig(name: name, url: url, type: type)
        self.init(
            name: name,
            url: url,
            type: type,
            priority: try reader.integer("priority", in: Self.priorityRange, default: defaults.priority),
            weight: try reader.integer("weight", in: Self.weightRange, default: defaults.weight),
            healthCheckURL: try reader.take("health_check_url")?.urlReference(),
            modelURL: try reader.take("model_url")?.urlReference(),
            checkInterval: try reader.duration("check_interval", default: defaults.checkInterval, .positive),
            checkTimeout: try reader.duration("check_timeout", default: defaults.checkTimeout, .positive),
            headers: try reader.take("headers").map(EndpointConfig.headers(from:)) ?? []
        )
        numParallel = try reader.take("num_parallel")?.integer(in: Self.capacityRange)
        maxLoadedModels = try reader.take("max_loaded_models")?.integer(in: Self.capacityRange)
        auth = try reader.take("auth").map { field throws(ConfigError) in try field.decodeObject(EndpointAuth.init(from:)) }
        try checkTimeoutIsShorterThanInterval(reader)
    }

    /// A health check that may run longer than the interval would overlap the next one.
    /// The error points at whichever of the two keys the file actually sets.
    private func checkTimeoutIsShorterThanInterval(_ reader: ConfigObjectReader) throws(ConfigError) {
        guard checkTimeout >= checkInterval else { return }
        let interval = DurationFormatter.format(checkInterval)
        let timeout = DurationFormatter.format(checkTimeout)
        if let timeoutField = reader.peek("check_timeout") {
            throw timeoutField.error("must be shorter than check_interval (\(interval)), found \(timeout)")
        }
        let intervalField = reader.peek("check_interval") ?? reader.field
        throw intervalField.error("must be longer than check_timeout (\(timeout) by default), found \(interval)")
    }
}
