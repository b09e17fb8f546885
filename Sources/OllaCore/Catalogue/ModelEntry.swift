/// One model an endpoint offers, as read from its `/api/tags` or `/v1/models` response.
///
/// The entry keeps the endpoint's whole JSON object in `raw`, so Olla can serve Ollama's
/// entry back unchanged (including fields Olla does not know about); the other
/// properties are the few fields Olla itself needs, extracted once.
public struct ModelEntry: Sendable, Equatable {
    /// Which response an entry came from, which decides the shape of `raw`.
    public enum Source: Sendable, Equatable {
        /// An element of Ollama's `/api/tags` `models` array.
        case ollamaTags
        /// An element of an OpenAI-style `/v1/models` `data` array.
        case openAIModels
    }

    /// The model name: Ollama's `name` (or `model` when `name` is missing), or the
    /// OpenAI `id`. As written by the endpoint; compare with `ModelName.matches`.
    public var name: String
    /// The content digest (`sha256` hex); nil when the endpoint did not report one, as
    /// OpenAI-compatible servers never do.
    public var digest: String?
    /// Size in bytes; nil when not reported.
    public var size: Int?
    /// The modification time as RFC 3339 text: Ollama's `modified_at` as sent, or for
    /// OpenAI models the UTC form of `created`. Nil when the endpoint gave neither.
    public var modifiedAt: String?
    /// The modification time in Unix seconds (`modified_at` parsed, or OpenAI's
    /// `created`); nil when missing or unparseable. Used for sorting and `created`.
    public var modifiedUnixSeconds: Int?
    /// Which response the entry came from.
    public var source: Source
    /// The endpoint's JSON object for this model, members in their original order.
    public var raw: JSONValue

    /// Creates an entry.
    public init(
        name: String, digest: String?, size: Int?, modifiedAt: String?,
        modifiedUnixSeconds: Int?, source: Source, raw: JSONValue
    ) {
        self.name = name
        self.digest = digest
        self.size = size
        self.modifiedAt = modifiedAt
        self.modifiedUnixSeconds = modifiedUnixSeconds
        self.source = source
        self.raw = raw
    }
}
