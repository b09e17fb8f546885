/// One model an Ollama endpoint has in memory, as read from its `/api/ps` response.
///
/// As with `ModelEntry`, `raw` is the endpoint's whole object so Olla can serve it back
/// unchanged; the other properties are extracted for Olla's own use.
public struct LoadedModel: Sendable, Equatable {
    /// The model name (`name`, or `model` when `name` is missing).
    public var name: String
    /// The content digest; nil when not reported.
    public var digest: String?
    /// Total memory in bytes; nil when not reported.
    public var size: Int?
    /// Bytes held in GPU memory; nil when not reported.
    public var sizeVRAM: Int?
    /// When Ollama will unload the model, as RFC 3339 text; nil when not reported.
    public var expiresAt: String?
    /// The context window the model was loaded with; nil when not reported (older Ollama).
    public var contextLength: Int?
    /// The endpoint's JSON object for this model, members in their original order.
    public var raw: JSONValue

    /// Creates a loaded-model record.
    public init(
        name: String, digest: String?, size: Int?, sizeVRAM: Int?,
        expiresAt: String?, contextLength: Int?, raw: JSONValue
    ) {
        self.name = name
        self.digest = digest
        self.size = size
        self.sizeVRAM = sizeVRAM
        self.expiresAt = expiresAt
        self.contextLength = contextLength
        self.raw = raw
    }

    /// `expiresAt` parsed; nil when missing or not RFC 3339.
    public var expiry: RFC3339Timestamp? {
        expiresAt.flatMap(RFC3339Timestamp.init(parsing:))
    }
}
