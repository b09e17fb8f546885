/// Reads the model APIs Olla polls on each endpoint.
///
/// Lenient where Ollama versions differ: unknown members are ignored (and kept in each
/// entry's `raw`), optional members may be missing or `null`. Strict where the data
/// would be wrong otherwise: a body that is not JSON, a missing list, a list element
/// that is not an object or has no name, or a known member of the wrong type throws a
/// `CatalogueParseError` that says where and what.
public enum CatalogueParser {
    /// Parses Ollama's `GET /api/tags`:
    /// `{"models":[{"name","model","modified_at","size","digest","details":{...}}]}`.
    public static func tags(_ body: [UInt8]) throws(CatalogueParseError) -> [ModelEntry] {
        let document = "/api/tags"
        return try elements(of: body, document: document, listKey: "models").map { (path, node) throws(CatalogueParseError) in
            let object = try CatalogueObjectReader(document: document, path: path, node: node)
            let modifiedAt = try object.string("modified_at")
            return ModelEntry(
                name: try object.modelName(),
                digest: try object.string("digest"),
                size: try object.integer("size"),
                modifiedAt: modifiedAt,
                modifiedUnixSeconds: modifiedAt.flatMap(RFC3339Timestamp.init(parsing:))?.unixSeconds,
                source: .ollamaTags,
                raw: node.value
            )
        }
    }

    /// Parses Ollama's `GET /api/ps`: `{"models":[{"name","model","size","digest",
    /// "details","expires_at","size_vram","context_length"}]}`.
    public static func loaded(_ body: [UInt8]) throws(CatalogueParseError) -> [LoadedModel] {
        let document = "/api/ps"
        return try elements(of: body, document: document, listKey: "models").map { (path, node) throws(CatalogueParseError) in
            let object = try CatalogueObjectReader(document: document, path: path, node: node)
            return LoadedModel(
                name: try object.modelName(),
                digest: try object.string("digest"),
                size: try object.integer("size"),
                sizeVRAM: try object.integer("size_vram"),
                expiresAt: try object.string("expires_at"),
                contextLength: try object.integer("context_length"),
                raw: node.value
            )
        }
    }

    /// Parses an OpenAI-compatible `GET /v1/models`:
    /// `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`.
    ///
    /// `created` may be missing; a fractional `created` (some servers send one) is
    /// truncated to whole seconds.
    public static func openAIModels(_ body: [UInt8]) throws(CatalogueParseError) -> [ModelEntry] {
        let document = "/v1/models"
        return try elements(of: body, document: document, listKey: "data").map { (path, node) throws(CatalogueParseError) in
            let object = try CatalogueObjectReader(document: document, path: path, node: node)
            let created = try object.integer("created", truncatingFraction: true)
            return ModelEntry(
                name: try object.requiredString("id"),
                digest: nil,
                size: nil,
                modifiedAt: created.flatMap { RFC3339Timestamp(unixSeconds: $0).rfc3339 },
                modifiedUnixSeconds: created,
                source: .openAIModels,
                raw: node.value
            )
        }
    }

    /// The `version` of Ollama's `GET /api/version` (`{"version":"0.5.7"}`); nil when
    /// the body is not such an object or the version is missing or empty. Never throws:
    /// a missing version only removes the endpoint from the minimum-version vote.
    public static func version(_ body: [UInt8]) -> String? {
        guard let root = try? JSONParser().parse(body),
              case .string(let version)? = root.value.member("version"),
              !version.isEmpty
        else { return nil }
        return version
    }

    /// The elements of the top-level array `listKey`, each with its path for messages
    /// (`models[3]`). A `null` list reads as empty (Go writes a nil slice as `null`).
    private static func elements(
        of body: [UInt8], document: String, listKey: String
    ) throws(CatalogueParseError) -> [(path: String, node: JSONNode)] {
        guard body.contains(where: { !JSONByte.isWhitespace($0) }) else {
            throw CatalogueParseError(document: document, position: nil, message: "the body is empty")
        }
        let root: JSONNode
        do {
            root = try JSONParser().parse(body)
        } catch {
            throw CatalogueParseError(
                document: document, position: SourcePosition(line: error.line, column: error.column),
                message: "not valid JSON: \(error.message)"
            )
        }
        guard case .object = root.value else {
            throw CatalogueParseError(
                document: document, position: root.position,
                message: "expected an object with a \"\(listKey)\" array, found \(root.value.summary)"
            )
        }
        let object = try CatalogueObjectReader(document: document, path: "", node: root)
        guard let list = object.member(listKey) else {
            throw CatalogueParseError(
                document: document, position: root.position, message: "the object has no \"\(listKey)\" member"
            )
        }
        switch list.node.value {
        case .null:
            return []
        case .array(let nodes):
            return nodes.enumerated().map { ("\(listKey)[\($0.offset)]", $0.element) }
        default:
            throw CatalogueParseError(
                document: document, position: list.node.position,
                message: "\"\(listKey)\" must be an array, found \(list.node.value.summary)"
            )
        }
    }
}
