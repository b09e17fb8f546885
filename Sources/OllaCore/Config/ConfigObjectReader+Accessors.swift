/// Typed "take this key or use the default" accessors, so decoders read as a table of
/// key, type, validation and default.
extension ConfigObjectReader {
    // Each accessor recovers with its default while a `ConfigErrorLog` collects, so one
    // validation run reports every bad value.

    mutating func string(_ key: String, default defaultValue: String) throws(ConfigError) -> String {
        let field = take(key)
        return try ConfigErrorLog.recovering(defaultValue) { () throws(ConfigError) in try field?.string() ?? defaultValue }
    }

    mutating func identifier(_ key: String, default defaultValue: String) throws(ConfigError) -> String {
        let field = take(key)
        return try ConfigErrorLog.recovering(defaultValue) { () throws(ConfigError) in try field?.identifier() ?? defaultValue }
    }

    mutating func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        let field = take(key)
        return try ConfigErrorLog.recovering(defaultValue) { () throws(ConfigError) in try field?.bool() ?? defaultValue }
    }

    mutating func integer(_ key: String, in bounds: ClosedRange<Int>, default defaultValue: Int) throws(ConfigError) -> Int {
        let field = take(key)
        return try ConfigErrorLog.recovering(defaultValue) { () throws(ConfigError) in try field?.integer(in: bounds) ?? defaultValue }
    }

    mutating func duration(
        _ key: String, default defaultValue: Duration, _ requirement: DurationRequirement = .any
    ) throws(ConfigError) -> Duration {
        let field = take(key)
        return try ConfigErrorLog.recovering(defaultValue) { () throws(ConfigError) in try field?.duration(requirement) ?? defaultValue }
    }

    mutating func choice<Choice: ConfigChoice>(_ key: String, default defaultValue: Choice) throws(ConfigError) -> Choice {
        let field = take(key)
        return try ConfigErrorLog.recovering(defaultValue) { () throws(ConfigError) in try field?.choice(Choice.self) ?? defaultValue }
    }

    /// A nested object decoded by `decode`, or `defaultValue` when the key is absent.
    /// Unknown keys inside the nested object are rejected once `decode` returns.
    mutating func section<Section>(
        _ key: String, default defaultValue: Section,
        _ decode: (inout ConfigObjectReader) throws(ConfigError) -> Section
    ) throws(ConfigError) -> Section {
        guard let member = take(key) else { return defaultValue }
        return try ConfigErrorLog.recovering(defaultValue) { () throws(ConfigError) in try member.decodeObject(decode) }
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
