/// Building and reading JSON values in catalogue code.
///
/// Values that Olla synthesizes (rather than parses) have no source, so their nodes carry
/// the position 0:0, which no parsed value can have (positions are 1-based).
extension JSONValue {
    /// An object with `pairs` as members, in the given order.
    static func makeObject(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { JSONMember(key: $0.key, keyPosition: .synthesized, node: .synthesized($0.value)) })
    }

    /// An integer number.
    static func integer(_ value: Int) -> JSONValue {
        .number(JSONNumber(text: String(value)))
    }

    /// The value of member `key` when this is an object; nil when it is not or has no such member.
    ///
    /// With duplicate keys the last one wins, as in Go's and JavaScript's decoders, so
    /// Olla reads a document the way Ollama's own clients would.
    func member(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.node.value
    }
}

extension JSONNode {
    /// A node for a value Olla made up, with the position 0:0.
    static func synthesized(_ value: JSONValue) -> JSONNode {
        JSONNode(value: value, position: .synthesized)
    }
}

extension SourcePosition {
    /// The position given to synthesized values: 0:0, outside any real document.
    static let synthesized = SourcePosition(line: 0, column: 0)
}
