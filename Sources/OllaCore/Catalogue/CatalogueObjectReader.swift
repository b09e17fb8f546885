/// Typed access to the members of one JSON object in a model-API response, with errors
/// that name the member's path (`models[2].size`) and point at its position.
struct CatalogueObjectReader {
    let document: String
    /// The object's path, e.g. `models[2]`; empty for the top level.
    let path: String
    let node: JSONNode
    let members: [JSONMember]

    /// Fails unless `node` is an object.
    init(document: String, path: String, node: JSONNode) throws(CatalogueParseError) {
        guard case .object(let members) = node.value else {
            throw CatalogueParseError(
                document: document, position: node.position,
                message: "\(path) must be an object, found \(node.value.summary)"
            )
        }
        self.document = document
        self.path = path
        self.node = node
        self.members = members
    }

    /// The member named `key`; the last one when repeated, as Go's decoder reads it.
    func member(_ key: String) -> JSONMember? {
        members.last { $0.key == key }
    }

    /// A string member; nil when missing or `null`.
    func string(_ key: String) throws(CatalogueParseError) -> String? {
        guard let member = member(key) else { return nil }
        switch member.node.value {
        case .null: return nil
        case .string(let text): return text
        default: throw wrongType(member, expected: "a string")
        }
    }

    /// A string member that must be present and non-empty.
    func requiredString(_ key: String) throws(CatalogueParseError) -> String {
        guard let text = try string(key) else {
            throw CatalogueParseError(document: document, position: node.position, message: "\(path) has no \"\(key)\"")
        }
        guard !text.isEmpty else {
            throw CatalogueParseError(
                document: document, position: member(key)?.node.position, message: "\(path).\(key) is empty"
            )
        }
        return text
    }

    /// Ollama's model name: `name`, or `model` when `name` is missing or empty (the two
    /// are the same in every Ollama release; `model` was added later).
    func modelName() throws(CatalogueParseError) -> String {
        if let name = try string("name"), !name.isEmpty {
            return name
        }
        if let model = try string("model"), !model.isEmpty {
            return model
        }
        throw CatalogueParseError(document: document, position: node.position, message: "\(path) has no \"name\"")
    }

    /// An integer member; nil when missing or `null`. With `truncatingFraction`, a
    /// number with a fraction or exponent is accepted and truncated toward zero.
    func integer(_ key: String, truncatingFraction: Bool = false) throws(CatalogueParseError) -> Int? {
        guard let member = member(key) else { return nil }
        switch member.node.value {
        case .null:
            return nil
        case .number(let number):
            if let value = number.integerValue {
                return value
            }
            if truncatingFraction, number.doubleValue.isFinite,
               let value = Int(exactly: number.doubleValue.rounded(.towardZero)) {
                return value
            }
            throw wrongType(member, expected: number.isWrittenAsInteger ? "an integer that fits in 64 bits" : "an integer")
        default:
            throw wrongType(member, expected: "an integer")
        }
    }

    private func wrongType(_ member: JSONMember, expected: String) -> CatalogueParseError {
        let name = path.isEmpty ? member.key : "\(path).\(member.key)"
        return CatalogueParseError(
            document: document, position: member.node.position,
            message: "\(name) must be \(expected), found \(member.node.value.summary)"
        )
    }
}
