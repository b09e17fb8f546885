import OllaCore

/// Catalogue calls answered from memory: a dead or hanging instance never delays them.
enum CatalogueAnswers {
    /// Each API lists what it can route: the native answers come from the Ollama
    /// endpoints' catalogue, the OpenAI ones from every endpoint's (see `RoutingSnapshot`).
    static func answer(operation: OllamaOperation, snapshot: RoutingSnapshot, requestID: String) -> LocalResponse? {
        let native = snapshot.nativeCatalogue
        let openAI = snapshot.catalogue
        switch operation {
        case .listModels: return json(native.tagsBody(), requestID)
        case .listRunning: return json(native.psBody(), requestID)
        case .version: return json(native.versionBody(), requestID)
        case .openAIListModels: return json(openAI.openAIModelsBody(), requestID)
        case .openAIModel(let id):
            if let body = openAI.openAIModelBody(id: id) { return json(body, requestID) }
            return .error(ProxyError(.notFound, "model '\(id)' not found"), flavor: .openAI, requestID: requestID)
        default:
            return nil
        }
    }

    private static func json(_ body: [UInt8], _ requestID: String) -> LocalResponse {
        LocalResponse(status: 200, headers: [
            ("Content-Type", "application/json; charset=utf-8"),
            ("X-Olla-Request-ID", requestID),
            ("X-Olla-Endpoint", "olla"),
        ], body: body)
    }
}
