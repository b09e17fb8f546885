extension CORSConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = CORSConfig.defaults
        var origins: [String] = []
        if let list = reader.take("allowed_origins") {
            for item in try list.array() {
                origins.append(try item.origin())
            }
        }
        var headers = defaults.allowedHeaders
        if let list = reader.take("allowed_headers") {
            headers = []
            for item in try list.array() {
                headers.append(try item.headerNameOrWildcard())
            }
        }
        let originsEnv = try reader.take("origins_env")?.environmentVariableName() ?? defaults.originsEnv
        self.init(defaultOrigins: try reader.bool("default_origins", default: defaults.defaultOrigins),
                  allowedOrigins: origins, originsEnv: originsEnv, allowedHeaders: headers,
                  maxAge: try reader.duration("max_age", default: defaults.maxAge))
    }
}
