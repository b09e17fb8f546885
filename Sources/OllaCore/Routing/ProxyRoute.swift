/// Which API family a forwarded path belongs to. It decides the shape of the errors Olla
/// makes itself (Ollama's `{"error":"..."}`, OpenAI's error object, Anthropic's
/// `{"type":"error",...}`), the error event that ends a broken stream, and where the token
/// usage sits in an answer.
public enum APIFlavor: Sendable, Equatable {
    /// Ollama's own API (`/api/*`).
    case native
    /// OpenAI's chat, completions, embeddings and models APIs as Ollama serves them (`/v1/*`).
    case openAI
    /// OpenAI's Responses API (`/v1/responses`): OpenAI's error object, `event:`-named SSE
    /// events, usage as `input_tokens`/`output_tokens`.
    case openAIResponses
    /// Anthropic's Messages API (`/v1/messages`, Ollama 0.14+).
    case anthropic

    /// Whether servers that speak only the OpenAI API (`type: openai-compatible` endpoints)
    /// serve this family too.
    public var isOpenAIFamily: Bool { self == .openAI || self == .openAIResponses }
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

    /// A request to forward to a backend, with what the route table says about it.
    public struct Forward: Sendable, Equatable {
        /// The target sent upstream: the raw path and query without Olla's prefix.
        /// Not settable: the facts below are derived from it once.
        public private(set) var upstreamTarget: String
        /// The path part of the upstream target, found once (it is read several times per request).
        public private(set) var path: Substring
        /// The API family, which shapes the errors Olla makes for this request.
        public var flavor: APIFlavor
        /// Body keys that name the model, in order of preference.
        public var modelKeys: [String]
        /// Bodies of these routes can be many gigabytes and carry no model name:
        /// they are streamed to the backend as they arrive instead of being buffered.
        public var streamsUpload: Bool
        /// Whether a request of this route takes a generation slot on the instance
        /// (`OllamaRoute.takesSlot`; true for a route the table does not list): the
        /// `residency-aware` scheduler counts and holds only those. Read once from the table here.
        public var takesSlot: Bool
        /// What Olla does with the route (`OllamaRoute.handling`) when the table lists it for
        /// this method; nil otherwise. `OllamaOperation.classify(method:route:)` reads it
        /// instead of looking the route up again.
        public var handling: OllamaRoute.Handling?
        /// The `route` label of its metrics (`MetricsRoute.name` of `path`), found once.
        public var metricsLabel: String

        /// A forwarded route with every fact given; `takesSlot` defaults to true (a route the
        /// table does not list), `handling` to nil, `metricsLabel` to `MetricsRoute.name(path)`.
        public init(upstreamTarget: String, flavor: APIFlavor, modelKeys: [String], streamsUpload: Bool,
                    takesSlot: Bool = true, handling: OllamaRoute.Handling? = nil, metricsLabel: String? = nil) {
            self.init(upstreamTarget: upstreamTarget, path: upstreamTarget.pathBeforeQuery, flavor: flavor,
                      modelKeys: modelKeys, streamsUpload: streamsUpload, takesSlot: takesSlot, handling: handling,
                      metricsLabel: metricsLabel)
        }

        /// The same, with `path` (`upstreamTarget.pathBeforeQuery`) found by the caller already.
        init(upstreamTarget: String, path: Substring, flavor: APIFlavor, modelKeys: [String], streamsUpload: Bool,
             takesSlot: Bool, handling: OllamaRoute.Handling?, metricsLabel: String?) {
            self.upstreamTarget = upstreamTarget
            self.path = path
            self.flavor = flavor
            self.modelKeys = modelKeys
            self.streamsUpload = streamsUpload
            self.takesSlot = takesSlot
            self.handling = handling
            self.metricsLabel = metricsLabel ?? MetricsRoute.name(String(path))
        }
    }

    /// The prefix every Ollama endpoint is served under.
    public static let prefix = "/olla/ollama"
    /// OpenAI-compatible clients may also use this prefix; only `/v1/*` lives under it.
    public static let openAIPrefix = "/olla/openai"
    /// `openAIPrefix` + `/v1/`, and the lengths in bytes of the two prefixes: constants,
    /// not recomputed per request.
    private static let openAIV1Prefix = openAIPrefix + "/v1/"
    private static let prefixCount = prefix.utf8.count
    private static let openAIPrefixCount = openAIPrefix.utf8.count
    /// The model's body key when the route table names none.
    private static let defaultModelKeys = ["model"]

    /// Classifies a raw request target such as `/olla/ollama/api/chat?x=1`.
    public static func classify(method: String, rawTarget: String) -> ProxyRoute {
        // An ASCII target (any a client sends in practice: RFC 9112 targets are ASCII) is
        // decided on its bytes in one pass — prefix, the byte after it, the query, the route
        // table's row — and its upstream target made from them; String's Character-based
        // operations cost ~1.3 K instructions here. Any other target is read as Characters.
        var raw = rawTarget
        let decided = raw.withUTF8 { bytes -> ASCIITarget? in
            let bytes = UnsafeRawBufferPointer(bytes)
            guard ByteSearch.isASCII(bytes) else { return nil }
            return ASCIITarget(bytes, method: method)
        }
        guard let decided else { return classifyCharacters(method: method, rawTarget: rawTarget) }
        switch decided {
        case .notFound:
            return .notFound
        case .heartbeat:
            return .heartbeat
        case .forward(let upstreamTarget, let pathLength, let row):
            let path = pathLength == upstreamTarget.utf8.count ? upstreamTarget[...]
                : upstreamTarget[..<upstreamTarget.utf8.index(upstreamTarget.startIndex, offsetBy: pathLength)]
            return .forward(forward(method: method, upstreamTarget: upstreamTarget, path: path, row: row))
        }
    }

    /// What `classify` decides for an all-ASCII target, read on its bytes.
    private enum ASCIITarget {
        case notFound
        case heartbeat
        /// `pathLength`: the bytes of `upstreamTarget` before its `?`; `row`: the route
        /// table's row of that path (`OllamaRouteTable.row(asciiPath:)`).
        case forward(upstreamTarget: String, pathLength: Int, row: Int?)

        init(_ bytes: UnsafeRawBufferPointer, method: String) {
            // With `/olla/openai/v1/` the upstream target starts at `/v1/`; with `/olla/ollama`
            // at the `/` that follows, or at a `/` put in front of a `?` or of nothing.
            let start: Int, slash: Bool
            if openAIV1Bytes.withUnsafeBytes({ ByteSearch.hasPrefix($0, in: bytes, at: 0) }) {
                start = openAIPrefixCount
                slash = false
            } else if prefixBytes.withUnsafeBytes({ ByteSearch.hasPrefix($0, in: bytes, at: 0) }) {
                start = prefixCount
                guard start == bytes.count || bytes[start] == UInt8(ascii: "/") || bytes[start] == UInt8(ascii: "?") else {
                    self = .notFound  // e.g. /olla/ollamax
                    return
                }
                slash = start == bytes.count || bytes[start] == UInt8(ascii: "?")
            } else {
                self = .notFound
                return
            }
            let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
            let added = slash ? 1 : 0
            let pathEnd = ByteSearch.firstIndex(of: UInt8(ascii: "?"), in: rest, 0..<rest.count) ?? rest.count
            let pathLength = pathEnd + added
            if pathLength == 1 && (method == "GET" || method == "HEAD") {
                self = .heartbeat  // the path is `/`
                return
            }
            let row = slash ? nil : OllamaRouteTable.row(asciiPath: UnsafeRawBufferPointer(rebasing: rest[..<pathEnd]))
            let upstreamTarget = String(unsafeUninitializedCapacity: rest.count + added) { output in
                if slash { output[0] = UInt8(ascii: "/") }
                UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(output)[added...]).copyMemory(from: rest)
                return rest.count + added
            }
            self = .forward(upstreamTarget: upstreamTarget, pathLength: pathLength, row: row)
        }
    }

    /// The prefixes' bytes, for `ASCIITarget`.
    private static let prefixBytes = Array(prefix.utf8)
    private static let openAIV1Bytes = Array(openAIV1Prefix.utf8)

    /// `classify` of a target holding a non-ASCII byte: prefixes and the character after
    /// them compared as Characters (a combining mark joins the Character before it).
    private static func classifyCharacters(method: String, rawTarget: String) -> ProxyRoute {
        // The prefixes are compared byte by byte (`hasPrefix` cost ~180 instructions each) and
        // the path is found once, then handed on (`forward` and `Forward` each found it again).
        if rawTarget.hasASCIIPrefix(openAIV1Prefix) {
            let upstreamTarget = String(rawTarget.droppingASCIIPrefix(openAIPrefixCount))
            let path = upstreamTarget.pathBeforeQuery
            return .forward(forward(method: method, upstreamTarget: upstreamTarget, path: path,
                                    row: OllamaRouteTable.row(path: path)))
        }
        guard rawTarget.hasASCIIPrefix(prefix) else { return .notFound }
        let rest = rawTarget.droppingASCIIPrefix(prefixCount)
        let first = rest.first  // a Character: `/` with a combining mark is not `/`
        if let first, first != "/" && first != "?" {
            return .notFound  // e.g. /olla/ollamax
        }
        let upstreamTarget = first == "/" ? String(rest) : "/" + rest
        let path = upstreamTarget.pathBeforeQuery
        if path == "/" && (method == "GET" || method == "HEAD") {
            return .heartbeat
        }
        return .forward(forward(method: method, upstreamTarget: upstreamTarget, path: path,
                                row: OllamaRouteTable.row(path: path)))
    }

    /// What `OllamaRouteTable` says about a forwarded target whose path is `path`, found in
    /// the table's `row`. A route Ollama does not list (a newer release's) still has its
    /// model read from the body's `model`.
    private static func forward(method: String, upstreamTarget: String, path: Substring, row: Int?) -> Forward {
        // A known path with another method keeps its path's facts (Ollama answers 405), but
        // has no handling (`OllamaOperation.other`).
        guard let row else {
            return Forward(upstreamTarget: upstreamTarget, path: path, flavor: OllamaRouteTable.api(path: path),
                           modelKeys: defaultModelKeys, streamsUpload: false, takesSlot: true, handling: nil,
                           metricsLabel: nil)
        }
        // Read in place: `rowFacts[row]` copied the row's facts out and released them again.
        return rowFacts.withUnsafeBufferPointer { $0[row].forward(method: method, upstreamTarget: upstreamTarget, path: path) }
    }

    /// What a forwarded request reads from one row of `OllamaRouteTable.routes`, taken out
    /// of the table once: a lookup copied the whole row (its method list, match, model
    /// source and label) out and released it again per request.
    private struct RowFacts {
        let methods: [String]
        let flavor: APIFlavor
        let modelKeys: [String]
        let handling: OllamaRoute.Handling
        let takesSlot: Bool
        let label: String

        init(_ route: OllamaRoute) {
            methods = route.methods
            flavor = route.api
            if case .body(let keys) = route.model { modelKeys = keys } else { modelKeys = ProxyRoute.defaultModelKeys }
            handling = route.handling
            takesSlot = route.takesSlot
            label = route.label
        }

        func forward(method: String, upstreamTarget: String, path: Substring) -> Forward {
            Forward(upstreamTarget: upstreamTarget, path: path, flavor: flavor, modelKeys: modelKeys,
                    streamsUpload: handling == .blob && (method == "POST" || method == "HEAD"),
                    takesSlot: takesSlot, handling: methods.contains(method) ? handling : nil,
                    metricsLabel: label)
        }
    }

    /// `RowFacts` of every row of `OllamaRouteTable.routes`, in its order.
    private static let rowFacts = OllamaRouteTable.routes.map(RowFacts.init)

    /// The API family of a raw request target, for errors Olla makes before classifying it.
    public static func flavor(rawTarget: String) -> APIFlavor {
        let path = rawTarget.pathBeforeQuery
        for base in [prefix, openAIPrefix] where path.hasPrefix(base + "/") {
            return OllamaRouteTable.api(path: path.dropFirst(base.count))
        }
        return .native
    }
}

extension String {
    /// The string after its first `count` bytes, which are an ASCII prefix the caller checked
    /// (`hasASCIIPrefix`): a byte offset, not a walk over `count` Characters.
    fileprivate func droppingASCIIPrefix(_ count: Int) -> Substring {
        self[utf8.index(startIndex, offsetBy: count)...]
    }

    /// `hasPrefix(prefix)` for an ASCII `prefix` of letters, digits and `/`, decided on the
    /// contiguous bytes. `hasPrefix` compares Characters: the bytes decide alike unless a
    /// non-ASCII scalar follows the prefix (a combining mark would join its last Character,
    /// and no other bytes are canonically equivalent to such a prefix), so only then is it asked.
    fileprivate func hasASCIIPrefix(_ prefix: String) -> Bool {
        var decided: Bool? = nil
        _ = utf8.withContiguousStorageIfAvailable { bytes in
            _ = prefix.utf8.withContiguousStorageIfAvailable { prefix in
                // Not the generic `starts(with:)`: it cost as much as `hasPrefix`.
                guard ByteSearch.hasPrefix(UnsafeRawBufferPointer(prefix), in: UnsafeRawBufferPointer(bytes), at: 0) else {
                    decided = false
                    return
                }
                if bytes.count == prefix.count || bytes[prefix.count] < 0x80 { decided = true }
            }
        }
        return decided ?? hasPrefix(prefix)
    }
}
