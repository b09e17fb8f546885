import Testing
@testable import OllaCore

@Suite struct ProxyRouteTests {
    private func forward(_ method: String, _ target: String) -> ProxyRoute.Forward? {
        if case .forward(let route) = ProxyRoute.classify(method: method, rawTarget: target) { return route }
        return nil
    }

    @Test func stripsThePrefixAndKeepsTheRawQuery() throws {
        let route = try #require(forward("POST", "/olla/ollama/api/chat?a=%2F&b=1+2"))
        #expect(route.upstreamTarget == "/api/chat?a=%2F&b=1+2")
        #expect(route.flavor == .native)
        #expect(route.modelKeys == ["model"])
        #expect(!route.streamsUpload)
    }

    @Test func heartbeatIsAnsweredLocallyForGetAndHead() {
        #expect(ProxyRoute.classify(method: "GET", rawTarget: "/olla/ollama/") == .heartbeat)
        #expect(ProxyRoute.classify(method: "HEAD", rawTarget: "/olla/ollama/") == .heartbeat)
        #expect(ProxyRoute.classify(method: "GET", rawTarget: "/olla/ollama") == .heartbeat)
        #expect(forward("POST", "/olla/ollama/")?.upstreamTarget == "/")
    }

    /// Whether the route takes a generation slot is read from the route table once, here
    /// (for any method: a wrong one keeps its path's facts); routes the table lacks count as taking one.
    @Test func theRouteSaysWhetherItTakesASlot() {
        #expect(forward("POST", "/olla/ollama/api/chat")?.takesSlot == true)
        #expect(forward("POST", "/olla/ollama/v1/chat/completions")?.takesSlot == true)
        #expect(forward("GET", "/olla/ollama/api/chat")?.takesSlot == true)
        #expect(forward("POST", "/olla/ollama/api/pull")?.takesSlot == false)
        #expect(forward("POST", "/olla/ollama/api/not-yet-a-route")?.takesSlot == true)
        for route in ["/api/chat", "/api/show", "/api/embed", "/api/tags", "/v1/embeddings"] {
            #expect(forward("POST", "/olla/ollama" + route)?.takesSlot
                == (OllamaRouteTable.route(path: Substring(route))?.takesSlot ?? true))
        }
    }

    /// The operation read from the classified route equals the one looked up from the
    /// target, for every method on table routes, parameter routes and unknown ones.
    @Test func theOperationFromTheRouteEqualsTheLookedUpOne() {
        let targets = ["/api/chat", "/api/generate?x=1", "/api/pull", "/api/copy", "/api/delete", "/api/create",
                       "/api/blobs/sha256:abc", "/api/tags", "/api/ps", "/api/version", "/v1/models",
                       "/v1/models/hf.co%2Forg%2Frepo", "/v1/chat/completions", "/api/unknown", "/"]
        for method in ["GET", "POST", "HEAD", "DELETE", "PUT"] {
            for target in targets {
                guard let route = forward(method, "/olla/ollama" + target) else { continue }  // the heartbeat
                #expect(OllamaOperation.classify(method: method, route: route)
                    == OllamaOperation.classify(method: method, upstreamTarget: route.upstreamTarget), "\(method) \(target)")
            }
        }
        #expect(forward("POST", "/olla/ollama/api/chat?a=1")?.path == "/api/chat")
        #expect(forward("POST", "/olla/ollama/api/chat")?.handling == .modelBound)
        #expect(forward("GET", "/olla/ollama/api/chat")?.handling == nil, "a method the table does not list")
    }

    /// The metrics label found at classification is `MetricsRoute.name` of the path.
    @Test func theMetricsLabelIsTheRouteName() {
        for target in ["/api/chat", "/api/generate?x=1", "/api/blobs/sha256:abc", "/v1/models/m", "/api/unknown",
                       "/v1/chat/completions", "/internal/status", "/"] {
            guard let route = forward("POST", "/olla/ollama" + target) else { continue }
            #expect(route.metricsLabel == MetricsRoute.name(String(route.path)), "\(target)")
        }
    }

    @Test func openAIPathsUseTheOpenAIFlavor() {
        #expect(forward("POST", "/olla/ollama/v1/chat/completions")?.flavor == .openAI)
        #expect(forward("GET", "/olla/ollama/v1/models/llama3:8b")?.flavor == .openAI)
        #expect(forward("GET", "/olla/ollama/api/tags")?.flavor == .native)
    }

    @Test(arguments: ["/api/show", "/api/pull", "/api/push", "/api/delete", "/api/create"])
    func managementRoutesAcceptName(path: String) {
        #expect(forward("POST", "/olla/ollama" + path)?.modelKeys == ["model", "name"])
    }

    @Test func blobsStreamTheirUpload() {
        #expect(forward("POST", "/olla/ollama/api/blobs/sha256:abc")?.streamsUpload == true)
        #expect(forward("HEAD", "/olla/ollama/api/blobs/sha256:abc")?.streamsUpload == true)
    }

    @Test func openAIPrefixServesOnlyV1() {
        #expect(forward("POST", "/olla/openai/v1/chat/completions")?.upstreamTarget == "/v1/chat/completions")
        #expect(forward("POST", "/olla/openai/v1/chat/completions")?.flavor == .openAI)
        #expect(ProxyRoute.classify(method: "GET", rawTarget: "/olla/openai/api/tags") == .notFound)
    }

    @Test(arguments: ["/", "/api/tags", "/olla/", "/olla/ollamax/api/tags", "/olla/openai/api/tags", "/ollama/api/tags"])
    func pathsOutsideThePrefixAreNotFound(target: String) {
        #expect(ProxyRoute.classify(method: "GET", rawTarget: target) == .notFound)
    }

    /// The prefixes are compared on the bytes, but decide as `hasPrefix` (Characters): a
    /// combining mark right after a prefix, or after the `/` that follows it, joins that
    /// Character, so the prefix (or the `/`) is not there.
    @Test(arguments: ["/olla/openai/v1/\u{301}chat/completions", "/olla/ollama\u{301}/api/tags",
                      "/olla/ollama/\u{301}api/tags", "/olla/openai/v1\u{301}/models"])
    func aCombiningMarkAfterAPrefixIsNotThePrefix(target: String) {
        #expect(ProxyRoute.classify(method: "GET", rawTarget: target) == .notFound)
    }

    @Test func aCombiningMarkFurtherOnIsForwardedAsSent() throws {
        let route = try #require(forward("GET", "/olla/ollama/api/t\u{301}ags?x=\u{301}"))
        #expect(route.upstreamTarget == "/api/t\u{301}ags?x=\u{301}")
        #expect(route.path == "/api/t\u{301}ags")
        let openAI = try #require(forward("GET", "/olla/openai/v1/m\u{301}odels"))
        #expect(openAI.upstreamTarget == "/v1/m\u{301}odels")
        #expect(openAI.flavor == .openAI)
    }

    /// The route table is searched by path length and bytes: every path finds the row a scan
    /// of the table in order finds (`OllamaRoute.matches`), and the forwarded route carries
    /// that row's facts for each method — table paths, paths one byte off them, paths of the
    /// same length, parameter paths and non-ASCII ones.
    @Test func theRowFoundIsTheRowATableScanFinds() {
        var paths: [String] = []
        for route in OllamaRouteTable.routes {
            switch route.match {
            case .exact(let path):
                paths += [path, String(path.dropLast()), path + "s", path + "/", String(path.dropLast()) + "X",
                          String(path.dropLast()) + "\u{E9}", path.uppercased()]
            case .parameter(let prefix):
                paths += [prefix, prefix + "x", String(prefix.dropLast()), prefix + "a/b"]
            }
        }
        paths += ["/", "/api", "/v1/", "/api/ch\u{E9}t", ""]
        for path in paths {
            let scanned = OllamaRouteTable.routes.firstIndex { $0.matches(path: Substring(path)) }
            #expect(OllamaRouteTable.row(path: Substring(path)) == scanned, "\(path)")
            for method in ["GET", "HEAD", "POST", "DELETE", "PUT"] {
                guard let forwarded = forward(method, "/olla/ollama" + path + "?q=1") else { continue }
                guard let scanned else {
                    #expect(forwarded.handling == nil && forwarded.takesSlot && forwarded.modelKeys == ["model"])
                    continue
                }
                let row = OllamaRouteTable.routes[scanned]
                #expect(forwarded.flavor == row.api, "\(method) \(path)")
                #expect(forwarded.takesSlot == row.takesSlot, "\(method) \(path)")
                #expect(forwarded.metricsLabel == row.label, "\(method) \(path)")
                #expect(forwarded.handling == (row.methods.contains(method) ? row.handling : nil), "\(method) \(path)")
                #expect(forwarded.streamsUpload == (row.handling == .blob && (method == "POST" || method == "HEAD")))
                if case .body(let keys) = row.model { #expect(forwarded.modelKeys == keys) } else {
                    #expect(forwarded.modelKeys == ["model"])
                }
            }
        }
    }

    /// The character after the prefix is read from its bytes: `/` or `?` alone forward (a
    /// query on the bare prefix is the heartbeat), a non-ASCII letter after the `/` does
    /// not join it, anything else is not Olla's.
    @Test func theCharacterAfterThePrefixIsReadFromItsBytes() throws {
        #expect(ProxyRoute.classify(method: "GET", rawTarget: "/olla/ollama?x=1") == .heartbeat)
        #expect(ProxyRoute.classify(method: "GET", rawTarget: "/olla/ollama/?x=1") == .heartbeat)
        #expect(forward("POST", "/olla/ollama?x=1")?.upstreamTarget == "/?x=1")
        #expect(forward("GET", "/olla/ollama//")?.upstreamTarget == "//")
        let accented = try #require(forward("GET", "/olla/ollama/\u{E9}"))
        #expect(accented.upstreamTarget == "/\u{E9}")
        for target in ["/olla/ollama\u{E9}", "/olla/ollamaX", "/olla/ollama#", "/olla/ollama\r\n", "/olla/ollama/\u{301}"] {
            #expect(ProxyRoute.classify(method: "GET", rawTarget: target) == .notFound, "\(target)")
        }
        #expect(ProxyRoute.classify(method: "GET", rawTarget: "/olla/ollama?\u{301}x") == .notFound,
                "`?` with a combining mark is not `?`")
    }
}
