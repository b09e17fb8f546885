import OllaCore

/// Catalogue calls answered from memory: a dead or hanging instance never delays them.
enum CatalogueAnswers {
    static func answer(operation: OllamaOperation, catalogue: Catalogue, requestID: String) -> LocalResponse? {
        switch operation {
        case .listModels: return json(catalogue.tagsBody(), requestID)
        case .listRunning: return json(catalogue.psBody(), requestID)
        case .version: return json(catalogue.versionBody(), requestID)
        case .openAIListModels: return json(catalogue.openAIModelsBody(), requestID)
        case .openAIModel(let id):
            if let body = catalogue.openAIModelBody(id: id) { return json(body, requestID) }
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
            ("X-Olla-Backend-Type", "ollama"),
        ], body: body)
    }
}
