import OllaCore

/// Catalogue calls answered from memory: a dead or hanging instance never delays them.
enum CatalogueAnswers {
    /// Each API lists what it can route: the native answers come from the Ollama
    /// endpoints' catalogue, the OpenAI ones from every endpoint's (see `RoutingSnapshot`).
    ///
    /// `/api/version` is the lowest version the Ollama instances reported (the last known
    /// one while they are all down); when none ever reported one it is a `503` naming the
    /// instances and why they are down, never a made-up version (clients compare it).
    static func answer(operation: OllamaOperation, snapshot: RoutingSnapshot, registry: EndpointRegistry,
                       requestID: String) -> LocalResponse? {
        let native = snapshot.nativeCatalogue
        let openAI = snapshot.catalogue
        switch operation {
        case .listModels: return json(native.tagsBody(), requestID)
        case .listRunning: return json(native.psBody(), requestID)
        case .version:
            if let version = snapshot.ollamaVersion { return json(Catalogue.versionBody(version), requestID) }
            return versionUnknown(snapshot: snapshot, registry: registry, requestID: requestID)
        case .openAIListModels: return json(openAI.openAIModelsBody(), requestID)
        case .openAIModel(let id):
            if let body = openAI.openAIModelBody(id: id) { return json(body, requestID) }
            return .error(ProxyError(.notFound, "model '\(id)' not found"), flavor: .openAI, requestID: requestID)
        default:
            return nil
        }
    }

    /// No Ollama instance ever reported its version: a `503` that says why (each instance
    /// and its state), with `Retry-After` at the soonest next probe, never a made-up version.
    private static func versionUnknown(snapshot: RoutingSnapshot, registry: EndpointRegistry,
                                       requestID: String) -> LocalResponse {
        let ollamas = snapshot.endpoints.filter { $0.config.type == .ollama }.map(\.config.name)
        let why = registry.unavailability(of: ollamas)
        let message = ollamas.isEmpty ? "no Ollama instance is configured"
            : "no Ollama instance has reported its version: \(why.detail)"
        var response = LocalResponse.error(ProxyError(.serviceUnavailable, message), flavor: .native, requestID: requestID)
        response.headers.append(HTTPHeader("Retry-After", String(why.retryAfterSeconds)))
        return response
    }

    private static func json(_ body: [UInt8], _ requestID: String) -> LocalResponse {
        LocalResponse(status: 200, headers: [
            HTTPHeader("Content-Type", "application/json; charset=utf-8"),
            HTTPHeader("X-Olla-Request-ID", requestID),
            HTTPHeader("X-Olla-Endpoint", "olla"),
        ], body: body)
    }
}
