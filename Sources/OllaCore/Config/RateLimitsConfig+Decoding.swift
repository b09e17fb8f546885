extension RateLimitsConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = RateLimitsConfig.defaults
        let perMinute = Self.requestsPerMinuteRange
        self.init(
            globalRequestsPerMinute: try reader.integer("global_requests_per_minute", in: perMinute, default: defaults.globalRequestsPerMinute),
            perIPRequestsPerMinute: try reader.integer("per_ip_requests_per_minute", in: perMinute, default: defaults.perIPRequestsPerMinute),
            healthRequestsPerMinute: try reader.integer("health_requests_per_minute", in: perMinute, default: defaults.healthRequestsPerMinute),
            burstSize: try reader.integer("burst_size", in: Self.burstSizeRange, default: defaults.burstSize),
            cleanupInterval: try reader.duration("cleanup_interval", default: defaults.cleanupInterval, .positive),
            trustProxyHeaders: try reader.bool("trust_proxy_headers", default: defaults.trustProxyHeaders),
            trustedProxyCIDRs: try reader.take("trusted_proxy_cidrs")?.cidrList() ?? defaults.trustedProxyCIDRs
        )
    }
}
