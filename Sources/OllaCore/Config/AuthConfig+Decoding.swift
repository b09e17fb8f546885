extension AuthConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let defaults = AuthConfig.defaults
        var keys: [String] = []
        if let list = reader.take("api_keys") {
            for item in try list.array() {
                // Keys go in headers; whitespace would never match what clients send.
                let key = try item.identifier()
                if !keys.contains(key) { keys.append(key) }
            }
        }
        self.init(apiKeys: keys, apiKeysEnv: try reader.take("api_keys_env")?.environmentVariableName() ?? defaults.apiKeysEnv)
    }
}
