import Testing
@testable import OllaCore

@Suite struct OllamaRouteTableTests {
    private func operation(_ method: String, _ path: String) -> OllamaOperation {
        OllamaOperation.classify(method: method, upstreamTarget: path)
    }

    private func forward(_ method: String, _ target: String) -> ProxyRoute.Forward? {
        if case .forward(let route) = ProxyRoute.classify(method: method, rawTarget: target) { return route }
        return nil
    }

    /// Every inference route of ollama/ollama server/routes.go needs an instance with the model.
    @Test(arguments: [
        ("POST", "/api/generate"), ("POST", "/api/chat"), ("POST", "/api/embed"), ("POST", "/api/embeddings"),
        ("POST", "/api/show"), ("POST", "/api/push"), ("POST", "/v1/chat/completions"), ("POST", "/v1/completions"),
        ("POST", "/v1/embeddings"), ("POST", "/v1/responses"), ("POST", "/v1/messages"),
        ("POST", "/v1/audio/transcriptions"),
    ])
    func modelRoutesAreModelBound(method: String, path: String) {
        #expect(operation(method, path) == .modelBound)
    }

    @Test func eachAPIFamilyHasItsRoutes() {
        #expect(forward("POST", "/olla/ollama/v1/messages")?.flavor == .anthropic)
        #expect(forward("POST", "/olla/ollama/v1/responses?x=1")?.flavor == .openAIResponses)
        #expect(forward("POST", "/olla/openai/v1/responses")?.flavor == .openAIResponses)
        #expect(forward("POST", "/olla/ollama/v1/audio/transcriptions")?.flavor == .openAI)
        #expect(forward("POST", "/olla/ollama/v1/something/new")?.flavor == .openAI)
        #expect(forward("POST", "/olla/ollama/api/something/new")?.flavor == .native)
        #expect(ProxyRoute.flavor(rawTarget: "/olla/ollama/v1/messages") == .anthropic)
        #expect(ProxyRoute.flavor(rawTarget: "/olla/openai/v1/chat/completions") == .openAI)
        #expect(ProxyRoute.flavor(rawTarget: "/olla/ollama/api/chat") == .native)
        #expect(ProxyRoute.flavor(rawTarget: "/elsewhere") == .native)
    }

    @Test func routesOutsideTheTableAreOther() {
        #expect(operation("POST", "/v1/images/generations") == .other)
        #expect(operation("GET", "/api/chat") == .other)  // Ollama answers 405 itself
        #expect(operation("POST", "/api/me") == .other)
        #expect(operation("POST", "/api/experimental/web_search") == .other)
    }

    @Test func parameterRoutesCarryTheirParameter() {
        #expect(operation("GET", "/v1/models/hf.co%2Forg%2Frepo") == .openAIModel(id: "hf.co/org/repo"))
        #expect(operation("POST", "/api/blobs/sha256:ab") == .blobUpload(digest: "sha256:ab"))
        #expect(operation("HEAD", "/api/blobs/sha256:ab") == .blobCheck(digest: "sha256:ab"))
        #expect(operation("GET", "/v1/models/") == .other)
        #expect(operation("HEAD", "/api/tags") == .listModels)
    }

    @Test func labelsAreFixedAndDistinct() {
        let labels = OllamaRouteTable.labels
        #expect(Set(labels).count == labels.count)
        #expect(OllamaRouteTable.route(path: "/api/blobs/sha256:1234")?.label == "/api/blobs")
        #expect(OllamaRouteTable.route(path: "/v1/models/llama3")?.label == "/v1/models/{model}")
        #expect(OllamaRouteTable.route(path: "/v1/messages")?.label == "/v1/messages")
    }

    @Test func streamingDefaultsFollowOllama() {
        let streaming = OllamaRouteTable.routes.filter(\.streamsByDefault).compactMap { route -> String? in
            if case .exact(let path) = route.match { return path }
            return nil
        }
        #expect(Set(streaming) == ["/api/pull", "/api/push", "/api/create", "/api/generate", "/api/chat"])
        #expect(OllamaRouteTable.route(path: "/v1/messages")?.framing == .sseEvents)
    }
}
