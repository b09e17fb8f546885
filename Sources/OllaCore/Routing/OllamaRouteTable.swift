/// One route of Ollama's HTTP API, as far as Olla needs to know it.
///
/// Source: ollama/ollama `server/routes.go` (`GenerateRoutes`), `middleware/openai.go`,
/// `middleware/anthropic.go` and `docs/api.md` (main, August 2026). `docs/api.md` prints
/// this table.
public struct OllamaRoute: Sendable, Equatable {
    /// How a request path matches the route.
    public enum Match: Sendable, Equatable {
        case exact(String)
        /// The path continues with a parameter (`/api/blobs/:digest`, `/v1/models/:model`).
        case parameter(prefix: String)
    }

    /// Where a request names its model.
    public enum ModelSource: Sendable, Equatable {
        case none
        /// Top-level JSON body keys, in order of preference.
        case body([String])
        /// A `multipart/form-data` field (`/v1/audio/transcriptions`).
        case formField(String)
        /// The path parameter (`/v1/models/:model`).
        case path
    }

    /// What Olla does with a request on this route; `OllamaOperation` adds the path's parameter.
    public enum Handling: Sendable, Equatable {
        /// An instance that has the model (inference, show, push).
        case modelBound
        case pull, copy, delete, create, blob
        /// Answered from Olla's merged catalogue.
        case listModels, listRunning, version, openAIListModels, openAIModel
        /// Nothing to route by: any healthy instance (account and web tools).
        case anyInstance
    }

    /// How the answer is framed when it streams.
    public enum Framing: String, Sendable {
        /// One JSON object per line (`application/x-ndjson`).
        case ndjson
        /// `data: {json}` events ending with `data: [DONE]` (OpenAI chat and completions).
        case sseData = "sse"
        /// `event: name` + `data: {json}` events (Anthropic Messages, OpenAI Responses).
        case sseEvents = "sse-events"
        /// Never streams.
        case none
    }

    /// How Ollama words "no such model" on a route: clients and people match on the words
    /// (the CLI's "try pulling it first"). Source: the handlers in `server/routes.go`.
    public enum MissingModel: Sendable, Equatable {
        /// `model "NAME" not found, try pulling it first` (generate, chat, embed, ...).
        case tryPulling
        /// `model 'NAME' not found` (show, push, delete, copy: they name an existing model).
        case notFound

        /// The message for `model`.
        public func message(_ model: String) -> String {
            switch self {
            case .tryPulling: "model \"\(model)\" not found, try pulling it first"
            case .notFound: "model '\(model)' not found"
            }
        }
    }

    /// The methods Ollama serves on the path (others get its 405).
    public var methods: [String]
    /// How a request path matches the route.
    public var match: Match
    /// The API family: the shape of the errors Olla makes and of token usage.
    public var api: APIFlavor
    /// Where a request names its model.
    public var model: ModelSource
    /// What Olla does with a request on the route.
    public var handling: Handling
    /// Whether the answer streams when the body does not say `"stream"`: true on native
    /// inference and progress routes, false on the OpenAI and Anthropic ones.
    public var streamsByDefault: Bool
    /// How the answer is framed when it streams; an error record appended to a broken stream uses it.
    public var framing: Framing
    /// The `route` label of Olla's metrics: a fixed name, never a raw path.
    public var label: String
    /// Whether Ollama runs the model for the call in one of the instance's generation
    /// slots (`OLLAMA_NUM_PARALLEL`), so the residency-aware scheduler holds and counts it.
    /// Show and push only read the model's files.
    public var takesSlot: Bool = false
    /// How Ollama says the named model does not exist.
    public var missingModel: MissingModel = .tryPulling

    /// Whether `path` (without query) is this route's path.
    public func matches(path: Substring) -> Bool {
        switch match {
        case .exact(let exact): return path == exact
        case .parameter(let prefix): return path.count > prefix.count && path.hasPrefix(prefix)
        }
    }
}

/// Every route Ollama serves, in the order of `server/routes.go`.
public enum OllamaRouteTable {
    /// Routes where Ollama still accepts the model as `name` (the CLI sends `name` for pull and rm).
    private static let modelOrName = OllamaRoute.ModelSource.body(["model", "name"])
    private static let model = OllamaRoute.ModelSource.body(["model"])

    /// The table, in the order of `GenerateRoutes`; the first row that matches wins.
    public static let routes: [OllamaRoute] = [
        row(["GET", "HEAD"], "/api/version", .native, .none, .version),
        row(["GET"], "/api/status", .native, .none, .anyInstance),
        row(["POST"], "/api/pull", .native, modelOrName, .pull, streams: true, .ndjson),
        row(["POST"], "/api/push", .native, modelOrName, .modelBound, streams: true, .ndjson, slot: false, missing: .notFound),
        row(["GET", "HEAD"], "/api/tags", .native, .none, .listModels),
        row(["POST"], "/api/show", .native, modelOrName, .modelBound, slot: false, missing: .notFound),
        row(["DELETE"], "/api/delete", .native, modelOrName, .delete, missing: .notFound),
        row(["POST"], "/api/me", .native, .none, .anyInstance),
        row(["POST"], "/api/signout", .native, .none, .anyInstance),
        OllamaRoute(methods: ["DELETE"], match: .parameter(prefix: "/api/user/keys/"), api: .native, model: .none,
                    handling: .anyInstance, streamsByDefault: false, framing: .none, label: "/api/user/keys"),
        row(["POST"], "/api/create", .native, modelOrName, .create, streams: true, .ndjson),
        OllamaRoute(methods: ["POST", "HEAD"], match: .parameter(prefix: "/api/blobs/"), api: .native, model: .none,
                    handling: .blob, streamsByDefault: false, framing: .none, label: "/api/blobs"),
        row(["POST"], "/api/copy", .native, .body(["source"]), .copy, missing: .notFound),
        row(["POST"], "/api/experimental/web_search", .native, .none, .anyInstance),
        row(["POST"], "/api/experimental/web_fetch", .native, .none, .anyInstance),
        row(["GET"], "/api/experimental/model-recommendations", .native, .none, .anyInstance),
        row(["GET"], "/api/ps", .native, .none, .listRunning),
        row(["POST"], "/api/generate", .native, model, .modelBound, streams: true, .ndjson),
        row(["POST"], "/api/chat", .native, model, .modelBound, streams: true, .ndjson),
        row(["POST"], "/api/embed", .native, model, .modelBound),
        row(["POST"], "/api/embeddings", .native, model, .modelBound),
        row(["POST"], "/v1/chat/completions", .openAI, model, .modelBound, streams: false, .sseData),
        row(["POST"], "/v1/completions", .openAI, model, .modelBound, streams: false, .sseData),
        row(["POST"], "/v1/embeddings", .openAI, model, .modelBound),
        row(["GET"], "/v1/models", .openAI, .none, .openAIListModels),
        OllamaRoute(methods: ["GET"], match: .parameter(prefix: "/v1/models/"), api: .openAI, model: .path,
                    handling: .openAIModel, streamsByDefault: false, framing: .none, label: "/v1/models/{model}"),
        row(["POST"], "/v1/responses", .openAIResponses, model, .modelBound, streams: false, .sseEvents),
        row(["POST"], "/v1/audio/transcriptions", .openAI, .formField("model"), .modelBound),
        row(["POST"], "/v1/messages", .anthropic, model, .modelBound, streams: false, .sseEvents),
    ]

    /// The route a request is for, or nil for a path (or method) Ollama does not serve.
    public static func route(method: String, path: Substring) -> OllamaRoute? {
        guard let route = route(path: path), route.methods.contains(method) else { return nil }
        return route
    }

    /// The route whose path matches, whatever the method: its API family shapes the errors
    /// Olla makes even for a wrong method (Ollama answers those with 405 itself).
    public static func route(path: Substring) -> OllamaRoute? {
        row(path: path).map { routes[$0] }
    }

    /// The position in `routes` of the row whose path matches `path`, whatever the method:
    /// what a scan of the table in order finds (`OllamaRoute.matches`). An ASCII path is
    /// looked up on its bytes (`row(asciiPath:)`); any other is compared as Characters.
    public static func row(path: Substring) -> Int? {
        var path = path
        if let row = path.withUTF8({ bytes -> Int?? in
            let raw = UnsafeRawBufferPointer(bytes)
            return ByteSearch.isASCII(raw) ? .some(row(asciiPath: raw)) : nil
        }) {
            return row
        }
        return routes.indices.first { routes[$0].matches(path: path) }
    }

    /// `row(path:)` of a path whose bytes are all ASCII, where Characters and bytes compare
    /// alike (no two ASCII strings are canonically equivalent, and the only cluster of
    /// several ASCII scalars, CR LF, cannot straddle a table path's end, which is never CR).
    /// The exact rows are found by the path's length and compared byte for byte (a
    /// `Substring`-keyed table hashed the path and copied the whole row out per lookup; no
    /// path matches two rows, `OllamaRouteTableTests` checks); the parameter rows are tried
    /// after, in table order.
    static func row(asciiPath bytes: UnsafeRawBufferPointer) -> Int? {
        if bytes.count < exactRows.count {
            for candidate in exactRows[bytes.count] {
                let equal = candidate.path.withUnsafeBytes { ByteSearch.hasPrefix($0, in: bytes, at: 0) }
                if equal { return candidate.row }
            }
        }
        for candidate in parameterRows where bytes.count > candidate.path.count {
            let starts = candidate.path.withUnsafeBytes { ByteSearch.hasPrefix($0, in: bytes, at: 0) }
            if starts { return candidate.row }
        }
        return nil
    }

    /// A row's path (exact, or the prefix before its parameter) as bytes, and the row's
    /// position in `routes`.
    private struct PathRow {
        let path: [UInt8]
        let row: Int
    }

    /// The rows with an exact path, by the path's length in bytes (index: length).
    private static let exactRows: [[PathRow]] = {
        var byLength: [[PathRow]] = []
        for (row, route) in routes.enumerated() {
            guard case .exact(let path) = route.match else { continue }
            let bytes = Array(path.utf8)
            while byLength.count <= bytes.count { byLength.append([]) }
            byLength[bytes.count].append(PathRow(path: bytes, row: row))
        }
        return byLength
    }()

    /// The rows whose path continues with a parameter, with their prefixes, in table order.
    private static let parameterRows: [PathRow] = routes.enumerated().compactMap { row, route in
        if case .parameter(let prefix) = route.match { PathRow(path: Array(prefix.utf8), row: row) } else { nil }
    }

    /// The API family of a path: the table's, else OpenAI's under `/v1/`, else Ollama's.
    public static func api(path: Substring) -> APIFlavor {
        route(path: path)?.api ?? (path.hasPrefix("/v1/") ? .openAI : .native)
    }

    /// Every fixed `route` label metrics may carry for a proxied request.
    public static var labels: [String] { routes.map(\.label) }

    /// A row with an exact path, which is also its label. Model-bound routes take a
    /// generation slot unless `slot` says otherwise.
    private static func row(
        _ methods: [String], _ path: String, _ api: APIFlavor, _ model: OllamaRoute.ModelSource,
        _ handling: OllamaRoute.Handling, streams: Bool = false, _ framing: OllamaRoute.Framing = .none,
        slot: Bool = true, missing: OllamaRoute.MissingModel = .tryPulling
    ) -> OllamaRoute {
        OllamaRoute(methods: methods, match: .exact(path), api: api, model: model, handling: handling,
                    streamsByDefault: streams, framing: framing, label: path,
                    takesSlot: slot && handling == .modelBound, missingModel: missing)
    }
}
