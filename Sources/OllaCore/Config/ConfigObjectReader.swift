/// Reads the members of one JSON object of the configuration by name.
///
/// Decoders `take` each key they understand (which also records it as valid, whether
/// present or not) and call `finish()` at the end: any member nobody took is a typo or
/// an unsupported setting and is reported as an unknown key, with the list of valid keys
/// and a "did you mean" suggestion. Duplicate keys are rejected up front because JSON
/// parsers disagree on which one wins.
struct ConfigObjectReader {
    /// The object itself, for errors about the object as a whole (e.g. a missing key).
    let field: ConfigField
    private let members: [JSONMember]
    private var taken: [Bool]
    /// Every key asked for, in order: the "valid keys" list of unknown-key errors.
    private var knownKeys: [String] = []

    init(_ field: ConfigField) throws(ConfigError) {
        guard case .object(let members) = field.node.value else {
            throw field.typeMismatch(expected: "an object")
        }
        self.field = field
        self.members = members
        self.taken = Array(repeating: false, count: members.count)
        try rejectDuplicateKeys()
    }

    /// The member named `key`, if present, marking it as understood.
    mutating func take(_ key: String) -> ConfigField? {
        if !knownKeys.contains(key) {
            knownKeys.append(key)
        }
        guard let index = members.firstIndex(where: { $0.key == key }) else { return nil }
        taken[index] = true
        return fieldForMember(at: index)
    }

    /// The member named `key`, failing with `missing required key` when absent.
    mutating func require(_ key: String) throws(ConfigError) -> ConfigField {
        guard let member = take(key) else {
            throw field.error("missing required key '\(key)'")
        }
        return member
    }

    /// The member named `key` without marking it; for cross-checks after decoding.
    func peek(_ key: String) -> ConfigField? {
        members.firstIndex(where: { $0.key == key }).map(fieldForMember(at:))
    }

    /// Every member, for objects whose keys are free-form (such as HTTP headers).
    mutating func takeAll() -> [(key: String, field: ConfigField)] {
        taken = Array(repeating: true, count: members.count)
        return members.indices.map { (members[$0].key, fieldForMember(at: $0)) }
    }

    /// Rejects members that no decoder took: the first, or each of them while a
    /// `ConfigErrorLog` collects.
    func finish() throws(ConfigError) {
        for (index, member) in members.enumerated() where !taken[index] {
            var message = "unknown key"
            if let suggestion = SpellingSuggestion.closest(to: member.key, among: knownKeys) {
                message += "; did you mean '\(suggestion)'?"
            }
            message += knownKeys.isEmpty ? " (this object takes no keys)" : " (valid keys: \(knownKeys.joined(separator: ", ")))"
            guard let log = ConfigErrorLog.current else { throw keyError(member, message) }
            log.record(keyError(member, message))
        }
    }

    private func fieldForMember(at index: Int) -> ConfigField {
        ConfigField(node: members[index].node, path: field.path.appending(key: members[index].key), source: field.source)
    }

    private func rejectDuplicateKeys() throws(ConfigError) {
        var firstLines: [String: Int] = [:]
        for member in members {
            if let firstLine = firstLines[member.key] {
                throw keyError(member, "duplicate key (first defined on line \(firstLine))")
            }
            firstLines[member.key] = member.keyPosition.line
        }
    }

    /// An error about a key itself, located at the key rather than its value.
    private func keyError(_ member: JSONMember, _ message: String) -> ConfigError {
        ConfigError(
            source: field.source,
            line: member.keyPosition.line,
            keyPath: field.path.appending(key: member.key).description,
            message: message
        )
    }
}
