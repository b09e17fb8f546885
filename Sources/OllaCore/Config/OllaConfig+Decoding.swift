extension OllaConfig {
    /// Parses and validates a configuration file's contents.
    ///
    /// - Parameters:
    ///   - bytes: The file contents, UTF-8 JSON. A leading byte order mark is ignored.
    ///   - source: The name used in error messages, normally the file path.
    /// - Throws: `ConfigError` for invalid JSON, unknown or duplicate keys, wrong types
    ///   and values outside their valid range; the first problem found is reported.
    public static func parse(_ bytes: [UInt8], source: String) throws(ConfigError) -> OllaConfig {
        let root: JSONNode
        do {
            root = try JSONParser().parse(withoutByteOrderMark(bytes))
        } catch {
            throw ConfigError(source: source, line: error.line, message: "invalid JSON at column \(error.column): \(error.message)")
        }
        let rootField = ConfigField(node: root, path: .root, source: source)
        guard case .object = root.value else {
            throw rootField.error("the configuration must be a JSON object ({ ... }), found \(root.value.summary)")
        }
        let config = try rootField.decodeObject(OllaConfig.init(from:))
        try config.validateCrossReferences(source: source)
        return config
    }

    /// Rules that span sections: a named pull target must be a configured endpoint.
    func validateCrossReferences(source: String) throws(ConfigError) {
        let target = modelRegistry.pullTarget
        let names = discovery.staticEndpoints.endpoints.map(\.name)
        if target != "best" && target != "all" && !names.contains(target) {
            throw ConfigError(source: source, keyPath: "model_registry.pull_target",
                              message: "expected \"best\", \"all\" or an endpoint name (\(names.joined(separator: ", "))), found \"\(target)\"")
        }
    }

    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        self.init(
            server: try reader.section("server", default: .defaults, ServerConfig.init(from:)),
            proxy: try reader.section("proxy", default: .defaults, ProxyConfig.init(from:)),
            discovery: try reader.section("discovery", default: .defaults, DiscoveryConfig.init(from:)),
            modelRegistry: try reader.section("model_registry", default: .defaults, ModelRegistryConfig.init(from:)),
            logging: try reader.section("logging", default: .defaults, LoggingConfig.init(from:))
        )
    }

    /// Some Windows editors start UTF-8 files with U+FEFF; RFC 8259 lets parsers ignore it.
    private static func withoutByteOrderMark(_ bytes: [UInt8]) -> [UInt8] {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }
}
