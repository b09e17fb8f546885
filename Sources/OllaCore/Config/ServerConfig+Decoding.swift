extension ServerConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = ServerConfig.defaults
        self.init(
            host: try reader.identifier("host", default: defaults.host),
            port: try reader.integer("port", in: Self.portRange, default: defaults.port),
            readTimeout: try reader.duration("read_timeout", default: defaults.readTimeout),
            writeTimeout: try reader.duration("write_timeout", default: defaults.writeTimeout),
            shutdownTimeout: try reader.duration("shutdown_timeout", default: defaults.shutdownTimeout),
            requestLogging: try reader.bool("request_logging", default: defaults.requestLogging),
            requestLimits: try reader.section("request_limits", default: .defaults, RequestLimitsConfig.init(from:)),
            rateLimits: try reader.section("rate_limits", default: .defaults, RateLimitsConfig.init(from:)),
            auth: try reader.section("auth", default: .defaults, AuthConfig.init(from:)),
            cors: try reader.section("cors", default: .defaults, CORSConfig.init(from:)),
            internalAllowedCIDRs: try reader.take("internal_allowed_cidrs")?.cidrList() ?? defaults.internalAllowedCIDRs,
            workers: try reader.integer("workers", in: Self.workersRange, default: defaults.workers)
        )
    }
}
