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
            var message = "invalid JSON at column \(error.column): \(error.message)"
            if let hint = YAMLHint.hint(for: bytes) { message += "; " + hint }
            throw ConfigError(source: source, line: error.line, message: message)
        }
        let rootField = ConfigField(node: root, path: .root, source: source)
        guard case .object = root.value else {
            throw rootField.error("the configuration must be a JSON object ({ ... }), found \(root.value.summary)")
        }
        let config = try rootField.decodeObject(OllaConfig.init(from:))
        // Past other errors (while collecting them) a cross-reference may point at an
        // endpoint that failed to decode: only checked on an otherwise valid file.
        if ConfigErrorLog.current?.errors.isEmpty ?? true {
            try config.validateCrossReferences(source: source)
        }
        return config
    }

    /// Parses and validates like `parse(_:source:)`, but carries on past errors: returns
    /// every problem found (empty when valid), and the configuration as far as it could be
    /// read (defaults in place of bad values, bad endpoints left out; nil when the file is
    /// not a JSON object). Only a configuration without errors may be used.
    public static func check(_ bytes: [UInt8], source: String) -> (config: OllaConfig?, errors: [ConfigError]) {
        ConfigErrorLog.collecting { () throws(ConfigError) in try parse(bytes, source: source) }
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
