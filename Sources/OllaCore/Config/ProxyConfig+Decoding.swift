extension ProxyConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = ProxyConfig.defaults
        self.init(
            engine: try reader.choice("engine", default: defaults.engine),
            profile: try reader.choice("profile", default: defaults.profile),
            loadBalancer: try reader.choice("load_balancer", default: defaults.loadBalancer),
            connectionTimeout: try reader.duration("connection_timeout", default: defaults.connectionTimeout, .positive),
            responseTimeout: try reader.duration(
                "response_timeout", default: defaults.responseTimeout, .zeroOrAtLeast(Self.minimumResponseTimeout)),
            readTimeout: try reader.duration("read_timeout", default: defaults.readTimeout),
            maxRetries: try reader.integer("max_retries", in: Self.maxRetriesRange, default: defaults.maxRetries),
            streamBufferSize: try reader.integer(
                "stream_buffer_size", in: Self.streamBufferSizeRange, default: defaults.streamBufferSize),
            scheduler: try reader.section("scheduler", default: defaults.scheduler, SchedulerSettings.init(from:))
        )
    }
}
