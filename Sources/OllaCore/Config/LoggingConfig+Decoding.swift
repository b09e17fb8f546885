extension LoggingConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = LoggingConfig.defaults
        self.init(
            level: try reader.choice("level", default: defaults.level),
            format: try reader.choice("format", default: defaults.format),
            output: try reader.choice("output", default: defaults.output)
        )
    }
}
