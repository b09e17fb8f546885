import OllaCore

/// `begin`'s decisions that need nothing but the request head and a routing snapshot:
/// pure, so they are unit-tested without a server.
extension ProxyEngine {
    /// Where a request head goes, from its method and raw target alone.
    enum Disposition: Equatable {
        /// One of Olla's own routes (`/internal/*`, `/version`, the fleet page).
        case internalRoute(InternalRoutes.Route)
        /// `GET`/`HEAD` of the proxy prefix: "Ollama is running", as Ollama answers `/`.
        case heartbeat
        /// Nothing is served there: a JSON 404 in Ollama's shape.
        case notFound(ProxyError)
        /// Under the proxy prefix: forwarded (or answered from the catalogue).
        case forward(ProxyRoute.Forward)

        static func == (a: Disposition, b: Disposition) -> Bool {
            switch (a, b) {
            case (.internalRoute(let x), .internalRoute(let y)): x == y
            case (.heartbeat, .heartbeat): true
            case (.notFound(let x), .notFound(let y)): x.status == y.status && x.message == y.message
            case (.forward(let x), .forward(let y)): x.path == y.path && x.upstreamTarget == y.upstreamTarget
            default: false
            }
        }
    }

    /// Classifies a request head: Olla's own routes first, then the proxy prefix.
    static func disposition(method: String, rawTarget: String) -> Disposition {
        if let route = InternalRoutes.route(method: method, rawTarget: rawTarget) { return .internalRoute(route) }
        switch ProxyRoute.classify(method: method, rawTarget: rawTarget) {
        case .heartbeat:
            return .heartbeat
        case .notFound:
            let path = rawTarget.pathBeforeQuery
            return .notFound(ProxyError(.notFound, "no route for \(path): Ollama's API is served under \(ProxyRoute.prefix)/"))
        case .forward(let route):
            return .forward(route)
        }
    }

    /// The heartbeat's answer, Ollama's own words for `GET /`.
    static let heartbeat = LocalResponse(
        status: 200, headers: [HTTPHeader("Content-Type", "text/plain; charset=utf-8")], body: Array("Ollama is running".utf8))

    /// What happens to a forwarded request before an exchange exists.
    enum ForwardDecision {
        /// A catalogue call answered from the snapshot (`CatalogueAnswers`).
        case answer(LocalResponse)
        /// The declared `Content-Length` is over `server.request_limits.max_body_size`: 413
        /// before a byte of the body is read. Blob uploads are streamed and exempt.
        case bodyTooLarge(ProxyError)
        /// Proxied by an exchange; `operation` says what the request does in Ollama's terms.
        case exchange(OllamaOperation)
    }

    /// Decides a forwarded request's fate from `registry`'s current snapshot. `declaredLength`
    /// and `maxBodySize` are bytes (`maxBodySize` zero: unlimited).
    static func forwardDecision(method: String, route: ProxyRoute.Forward, declaredLength: Int64?, maxBodySize: Int64,
                                registry: EndpointRegistry, requestID: String) -> ForwardDecision {
        let operation = OllamaOperation.classify(method: method, route: route)
        if let answer = CatalogueAnswers.answer(operation: operation, snapshot: registry.snapshot, registry: registry,
                                                requestID: requestID) {
            return .answer(answer)
        }
        if !route.streamsUpload, maxBodySize > 0, let length = declaredLength, length > maxBodySize {
            return .bodyTooLarge(ProxyError(
                .payloadTooLarge, "request body of \(length) bytes exceeds the limit of \(maxBodySize) bytes"))
        }
        return .exchange(operation)
    }
}
