extension Catalogue {
    /// The body for `GET /api/tags`: `{"models":[...]}`, compact JSON.
    ///
    /// Ollama entries are rendered from their raw JSON, member for member; entries from
    /// OpenAI-compatible endpoints get a minimal Ollama-shaped entry (see
    /// `CatalogueShapes.tagsEntry(for:)`). Merging and order: see `models`.
    public func tagsBody() -> [UInt8] { renderedTags }

    /// The body for `GET /api/ps`: `{"models":[...]}` with each loaded model's raw JSON.
    /// Merging and order: see `loadedModels`.
    public func psBody() -> [UInt8] { renderedPs }

    /// The body for `GET /v1/models`:
    /// `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`, one
    /// element per canonical model name, newest first. An empty catalogue gives
    /// `"data":[]` (Ollama itself writes `null` there, which some OpenAI clients reject).
    public func openAIModelsBody() -> [UInt8] { renderedOpenAIModels }

    /// The body for `GET /v1/models/{id}`, or nil when no endpoint has the model.
    ///
    /// As in Ollama, `id` (and so `owned_by`) is the name as the client asked for it, not
    /// as the endpoint spells it; `created` comes from the most preferred endpoint's entry.
    public func openAIModelBody(id: String) -> [UInt8]? {
        guard let entry = entry(for: id) else { return nil }
        return JSONWriter().render(CatalogueShapes.openAIModel(id: id, created: entry.modifiedUnixSeconds ?? 0))
    }

    /// The body for `GET /api/version`: `{"version":"x.y.z"}` with the lowest version any
    /// endpoint reported (see `lowestVersion(of:)`); nil when none did (Olla never makes
    /// one up: a client that compares versions would act on a false one).
    public func versionBody() -> [UInt8]? { renderedVersion }

    static func renderTags(_ models: [ModelEntry]) -> [UInt8] {
        let entries = models.map { entry in
            entry.source == .ollamaTags ? entry.raw : CatalogueShapes.tagsEntry(for: entry)
        }
        return renderList(key: "models", entries)
    }

    static func renderPs(_ loaded: [LoadedModel]) -> [UInt8] {
        renderList(key: "models", loaded.map(\.raw))
    }

    static func renderOpenAIList(_ models: [ModelEntry]) -> [UInt8] {
        let data = models.map { CatalogueShapes.openAIModel(id: $0.name, created: $0.modifiedUnixSeconds ?? 0) }
        return JSONWriter().render(.makeObject([
            "object": .string("list"),
            "data": .array(data.map(JSONNode.synthesized)),
        ]))
    }

    /// `{"version":"<version>"}`, Ollama's `/api/version` answer (server/routes.go).
    public static func versionBody(_ version: String) -> [UInt8] {
        JSONWriter().render(.makeObject(["version": .string(version)]))
    }

    /// `{"<key>":[...]}` from already-built elements.
    private static func renderList(key: String, _ elements: [JSONValue]) -> [UInt8] {
        JSONWriter().render(.makeObject([key: .array(elements.map(JSONNode.synthesized))]))
    }
}
