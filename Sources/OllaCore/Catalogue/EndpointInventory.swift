/// What one endpoint reported at its last poll: its models, what it has loaded and its
/// version. The input to `Catalogue`.
public struct EndpointInventory: Sendable, Equatable {
    /// The endpoint's configured name (what `Catalogue.holders(of:)` returns).
    public var endpoint: String
    /// The API the endpoint speaks (`.ollama` or `.openAICompatible`).
    public var kind: EndpointType
    /// From `/api/tags` (Ollama) or `/v1/models` (OpenAI-compatible).
    public var models: [ModelEntry]
    /// From `/api/ps`; empty for OpenAI-compatible endpoints, which have no such API.
    public var loaded: [LoadedModel]
    /// From `/api/version`; nil when not reported (always for OpenAI-compatible endpoints).
    public var version: String?

    /// Creates an inventory.
    public init(
        endpoint: String, kind: EndpointType, models: [ModelEntry],
        loaded: [LoadedModel] = [], version: String? = nil
    ) {
        self.endpoint = endpoint
        self.kind = kind
        self.models = models
        self.loaded = loaded
        self.version = version
    }
}
