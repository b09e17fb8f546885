import Testing
@testable import OllaCore

/// Olla's own routes and the metrics labels derived from both route tables.
@Suite struct RouteLabelTests {
    @Test func internalRoutesAnswerGetAndHeadOnly() {
        #expect(InternalRoute.route(method: "GET", path: "/internal/health") == .health)
        #expect(InternalRoute.route(method: "HEAD", path: "/version") == .version)
        #expect(InternalRoute.route(method: "GET", path: "/internal/status/activity") == .activity)
        #expect(InternalRoute.route(method: "POST", path: "/internal/health") == nil)
        #expect(InternalRoute.route(method: "GET", path: "/internal/healthz") == nil)
        #expect(InternalRoute.route(method: "GET", path: "/internal/ui") == .pageRedirect)
        #expect(InternalRoute.route(method: "GET", path: "/internal/ui/") == .page)
        #expect(InternalRoute.route(method: "GET", path: "/internal/ui/fleet.js") == .page)
    }

    @Test func everyInternalRouteIsFoundAtItsPath() {
        for route in InternalRoute.allCases {
            #expect(InternalRoute.route(path: Substring(route.path)) == route)
        }
    }

    @Test func onlyHealthVersionAndThePageAreOpen() {
        #expect(InternalRoute.allCases.filter(\.isOpen) == [.health, .version, .pageRedirect, .page])
    }

    @Test(arguments: [
        ("/api/chat", "/api/chat"), ("/api/blobs/sha256:12", "/api/blobs"), ("/v1/models/x", "/v1/models/{model}"),
        ("/internal/status", "/internal/status"), ("/internal/metrics", "/internal/metrics"), ("/version", "/version"),
        ("/internal/ui", "/internal/ui"), ("/internal/ui/fleet.css", "/internal/ui"), ("/internal/ui/missing.js", "/internal/ui"),
        ("/", "/"), ("/olla/ollama/", "other"), ("/api/chat/x", "other"), ("/internal/nothing", "other"),
    ])
    func labelsComeFromTheTables(path: String, label: String) {
        #expect(MetricsRoute.name(path) == label)
    }

    @Test func labelsAreAFixedDistinctSet() {
        let labels = MetricsRoute.labels
        #expect(Set(labels).count == labels.count)
        for path in ["/api/chat", "/internal/ui/x", "/nowhere", "/", "/internal/status/models"] {
            #expect(labels.contains(MetricsRoute.name(path)))
        }
    }

    @Test func missingModelWordsFollowTheRoute() {
        #expect(ProxyError.modelNotFound("m", path: "/api/chat").message == #"model "m" not found, try pulling it first"#)
        #expect(ProxyError.modelNotFound("m", path: "/v1/chat/completions").message == #"model "m" not found, try pulling it first"#)
        #expect(ProxyError.modelNotFound("m", path: "/api/new-route").message == #"model "m" not found, try pulling it first"#)
        for path in ["/api/show", "/api/push", "/api/delete", "/api/copy"] {
            #expect(ProxyError.modelNotFound("m", path: Substring(path)).message == "model 'm' not found")
        }
    }

    @Test func onlyInferenceRoutesTakeASlot() {
        let slotted = Set(OllamaRouteTable.routes.filter(\.takesSlot).map(\.label))
        #expect(slotted == ["/api/generate", "/api/chat", "/api/embed", "/api/embeddings", "/v1/chat/completions",
                            "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/audio/transcriptions", "/v1/messages"])
    }
}

/// The table's lookups find what a scan in table order would: no path matches two rows.
@Suite struct OllamaRouteLookupTests {
    private func samplePaths(_ route: OllamaRoute) -> [Substring] {
        switch route.match {
        case .exact(let path): [Substring(path)]
        case .parameter(let prefix): [Substring(prefix + "x"), Substring(prefix + "sha256:ab/c")]
        }
    }

    @Test func noPathMatchesTwoRows() {
        for route in OllamaRouteTable.routes {
            for path in samplePaths(route) {
                #expect(OllamaRouteTable.routes.filter { $0.matches(path: path) }.count == 1, "\(path)")
            }
        }
    }

    @Test func lookupsAgreeWithAScanInTableOrder() {
        let paths = OllamaRouteTable.routes.flatMap(samplePaths) + ["/api/blobs/", "/v1/models/", "/api/chat/", "/nowhere", "/"]
        for path in paths {
            #expect(OllamaRouteTable.route(path: path)?.label == OllamaRouteTable.routes.first { $0.matches(path: path) }?.label)
            for method in ["GET", "HEAD", "POST", "DELETE", "PUT"] {
                let scanned = OllamaRouteTable.routes.first { $0.methods.contains(method) && $0.matches(path: path) }
                #expect(OllamaRouteTable.route(method: method, path: path) == scanned, "\(method) \(path)")
            }
        }
    }
}
