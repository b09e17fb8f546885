/// Typed "take this key or use the default" accessors, so decoders read as a table of
/// key, type, validation and default.
extension ConfigObjectReader {
    mutating func string(_ key: String, default defaultValue: String) throws(ConfigError) -> String {
        try take(key)?.string() ?? defaultValue
    }

    mutating func identifier(_ key: String, default defaultValue: String) throws(ConfigError) -> String {
        try take(key)?.identifier() ?? defaultValue
    }

    mutating func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        try take(key)?.bool() ?? defaultValue
    }

    mutating func integer(_ key: String, in bounds: ClosedRange<Int>, default defaultValue: Int) throws(ConfigError) -> Int {
        try take(key)?.integer(in: bounds) ?? defaultValue
    }

    mutating func duration(
        _ key: String, default defaultValue: Duration, _ requirement: DurationRequirement = .any
    ) throws(ConfigError) -> Duration {
        try take(key)?.duration(requirement) ?? defaultValue
    }

    mutating func choice<Choice: ConfigChoice>(_ key: String, default defaultValue: Choice) throws(ConfigError) -> Choice {
        try take(key)?.choice(Choice.self) ?? defaultValue
    }

    /// A nested object decoded by `decode`, or `defaultValue` when the key is absent.
    /// Unknown keys inside the nested object are rejected once `decode` returns.
    mutating func section<Section>(
        _ key: String, default defaultValue: Section,
        _ decode: (inout ConfigObjectReader) throws(ConfigError) -> Section
    ) throws(ConfigError) -> Section {
        guard let member = take(key) else { return defaultValue }
        return try member.decodeObject(decode)
    }
}

extension ConfigField {
    /// Decodes this object with `decode`, then rejects members `decode` did not take.
    func decodeObject<Value>(_ decode: (inout ConfigObjectReader) throws(ConfigError) -> Value) throws(ConfigError) -> Value {
        var reader = try object()
        let value = try decode(&reader)
        try reader.finish()
        return value
    }
}
