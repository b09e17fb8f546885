/// The JSON objects Olla synthesizes, with members in the order Ollama writes them (Go
/// encodes struct fields in declaration order), so the output looks like Ollama's.
enum CatalogueShapes {
    /// The time written for a model whose endpoint gave none: the Unix epoch.
    static let epoch = "1970-01-01T00:00:00Z"

    /// An `/api/tags` entry for a model from an OpenAI-compatible endpoint, shaped like
    /// Ollama's `ListModelResponse`: name and model are the OpenAI `id`, `modified_at`
    /// comes from `created`, size 0, empty digest, and `details` with empty strings and
    /// `families: null`, because the endpoint says nothing about format or family.
    static func tagsEntry(for entry: ModelEntry) -> JSONValue {
        .makeObject([
            "name": .string(entry.name),
            "model": .string(entry.name),
            "modified_at": .string(entry.modifiedAt ?? epoch),
            "size": .integer(entry.size ?? 0),
            "digest": .string(entry.digest ?? ""),
            "details": .makeObject([
                "parent_model": .string(""),
                "format": .string(""),
                "family": .string(""),
                "families": .null,
                "parameter_size": .string(""),
                "quantization_level": .string(""),
            ]),
        ])
    }

    /// An OpenAI model object as Ollama's `/v1/models` writes it: `owned_by` is the
    /// name's namespace (`library` for plain names), whoever the backend is.
    static func openAIModel(id: String, created: Int) -> JSONValue {
        .makeObject([
            "id": .string(id),
            "object": .string("model"),
            "created": .integer(created),
            "owned_by": .string(ModelName.namespace(of: id)),
        ])
    }
}
