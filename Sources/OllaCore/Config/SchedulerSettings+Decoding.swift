extension SchedulerSettings {
    /// Reads `proxy.scheduler`; every key is optional.
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = SchedulerSettings.defaults
        self.init(
            defaultLoadTime: try reader.duration("default_load_time", default: defaults.defaultLoadTime, .positive),
            queueLength: try reader.integer("queue_length", in: Self.queueLengthRange, default: defaults.queueLength),
            queueTimeout: try reader.duration("queue_timeout", default: defaults.queueTimeout, .positive),
            tierMaxWait: try reader.duration("tier_max_wait", default: defaults.tierMaxWait),
            unloadVictims: try reader.bool("unload_victims", default: defaults.unloadVictims),
            batchMaxWait: try reader.duration("batch_max_wait", default: defaults.batchMaxWait))
    }
}
