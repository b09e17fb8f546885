/// Which API family a forwarded path belongs to. It decides the shape of the errors Olla
/// makes itself: Ollama's `{"error":"..."}` on native routes, OpenAI's error object on `/v1`.
public enum APIFlavor: Sendable, Equatable {
    case native
    case openAI
}

/// What Olla does with an inbound request target, decided from the raw target alone.
public enum ProxyRoute: Sendable, Equatable {
    /// `GET|HEAD /olla/ollama/`: answered locally, as Ollama answers `GET /`.
    /// The `ollama` CLI sends `HEAD /` before every command.
    case heartbeat
    /// Forward to a backend. `upstreamTarget` is the raw target with the `/olla/ollama`
    /// prefix removed: path and query string exactly as the client sent them.
    case forward(Forward)
    /// Anything outside the Ollama prefix.
    case notFound

    public struct Forward: Sendable, Equatable {
        public var upstreamTarget: String
        public var flavor: APIFlavor
        /// Body keys that name the model, in order of preference.
        public var modelKeys: [String]
        /// Bodies of these routes can be many gigabytes and carry no model name:
        /// they are streamed to the backend as they arrive instead of being buffered.
        public var streamsUpload: Bool

        /// The path part of the upstream target.
        public var path: Substring { upstreamTarget.pathBeforeQuery }
    }

    /// The prefix every Ollama endpoint is served under.
    public static let prefix = "/olla/ollama"
    /// OpenAI-compatible clients may also use this prefix; only `/v1/*` lives under it.
    public static let openAIPrefix = "/olla/openai"

    /// Routes where Ollama still accepts the model as `name` (the CLI sends `name` for pull and rm).
    static let routesAcceptingName: Set<Substring> = [
        "/api/show", "/api/pull", "/api/push", "/api/delete", "/api/create",
    ]

    /// Classifies a raw request target such as `/olla/ollama/api/chat?x=1`.
    public static func classify(method: String, rawTarget: String) -> ProxyRoute {
        if rawTarget.hasPrefix(openAIPrefix + "/v1/") {
            let upstreamTarget = String(rawTarget.dropFirst(openAIPrefix.count))
            return .forward(Forward(upstreamTarget: upstreamTarget, flavor: .openAI, modelKeys: ["model"], streamsUpload: false))
        }
        guard rawTarget.hasPrefix(prefix) else { return .notFound }
        let rest = rawTarget.dropFirst(prefix.count)
        if let first = rest.first, first != "/" && first != "?" {
            return .notFound  // e.g. /olla/ollamax
        }
        let upstreamTarget = rest.first == "/" ? String(rest) : "/" + rest
        let path = upstreamTarget.pathBeforeQuery
        if path == "/" && (method == "GET" || method == "HEAD") {
            return .heartbeat
        }
        return .forward(Forward(
            upstreamTarget: upstreamTarget,
            flavor: path.hasPrefix("/v1/") ? .openAI : .native,
            modelKeys: path == "/api/copy" ? ["source"]
                : routesAcceptingName.contains(path) ? ["model", "name"] : ["model"],
            streamsUpload: path.hasPrefix("/api/blobs/")
        ))
    }
}
