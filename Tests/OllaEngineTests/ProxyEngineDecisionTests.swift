import Testing
@testable import OllaCore
@testable import OllaEngine

/// `ProxyEngine.begin`'s pure decisions: where a head goes, and what happens to a forwarded
/// request before an exchange exists.
@Suite struct ProxyEngineDecisionTests {
    private func forward(_ target: String, method: String = "POST") -> ProxyRoute.Forward? {
        guard case .forward(let route) = ProxyEngine.disposition(method: method, rawTarget: "/olla/ollama" + target) else {
            return nil
        }
        return route
    }

    private func registry() throws -> EndpointRegistry {
        var config = EndpointConfig.localOllama
        config.name = "a"
        config.url = try EndpointURL(parsing: "http://a.local:11434")
        return EndpointRegistry(endpoints: [config])
    }

    @Test func olasOwnRoutesComeFirst() {
        #expect(ProxyEngine.disposition(method: "GET", rawTarget: "/internal/health") == .internalRoute(.health))
        #expect(ProxyEngine.disposition(method: "GET", rawTarget: "/internal/metrics") == .internalRoute(.metrics))
    }

    @Test func theProxyPrefixIsAHeartbeat() {
        #expect(ProxyEngine.disposition(method: "GET", rawTarget: "/olla/ollama/") == .heartbeat)
        #expect(ProxyEngine.disposition(method: "HEAD", rawTarget: "/olla/ollama/") == .heartbeat)
        #expect(String(decoding: ProxyEngine.heartbeat.body, as: UTF8.self) == "Ollama is running")
    }

    @Test func anythingElseIsAJSON404NamingThePrefix() {
        guard case .notFound(let error) = ProxyEngine.disposition(method: "GET", rawTarget: "/api/tags?x=1") else {
            Issue.record("expected 404"); return
        }
        #expect(error.status == 404)
        #expect(error.message == "no route for /api/tags: Ollama's API is served under /olla/ollama/")
    }

    @Test func routesUnderThePrefixAreForwardedWithTheirQuery() {
        let route = forward("/api/chat?debug=1")
        #expect(route?.path == "/api/chat")
        #expect(route?.upstreamTarget == "/api/chat?debug=1")
    }

    @Test func catalogueCallsAreAnsweredFromTheSnapshot() throws {
        let route = try #require(forward("/api/tags", method: "GET"))
        guard case .answer(let answer) = ProxyEngine.forwardDecision(
            method: "GET", route: route, declaredLength: nil, maxBodySize: 0, registry: try registry(), requestID: "r1") else {
            Issue.record("expected a catalogue answer"); return
        }
        #expect(answer.status == 200)
        #expect(answer.headers.contains { $0.name == "X-Olla-Request-ID" && $0.value == "r1" })
    }

    @Test func aDeclaredBodyOverTheLimitIsRefusedBeforeReading() throws {
        let route = try #require(forward("/api/chat"))
        guard case .bodyTooLarge(let error) = ProxyEngine.forwardDecision(
            method: "POST", route: route, declaredLength: 11, maxBodySize: 10, registry: try registry(), requestID: "r") else {
            Issue.record("expected 413"); return
        }
        #expect(error.status == 413)
        #expect(error.message == "request body of 11 bytes exceeds the limit of 10 bytes")
    }

    @Test func bodiesWithinTheLimitOrUnlimitedGetAnExchange() throws {
        let route = try #require(forward("/api/chat"))
        let registry = try registry()
        guard case .exchange(let operation) = ProxyEngine.forwardDecision(
            method: "POST", route: route, declaredLength: 10, maxBodySize: 10, registry: registry, requestID: "r") else {
            Issue.record("expected an exchange"); return
        }
        #expect(operation == .modelBound)
        guard case .exchange = ProxyEngine.forwardDecision(
            method: "POST", route: route, declaredLength: 1 << 40, maxBodySize: 0, registry: registry, requestID: "r") else {
            Issue.record("expected an exchange"); return
        }
    }

    @Test func blobUploadsAreStreamedSoTheBodyLimitDoesNotApply() throws {
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let route = try #require(forward("/api/blobs/" + digest))
        #expect(route.streamsUpload)
        guard case .exchange = ProxyEngine.forwardDecision(
            method: "POST", route: route, declaredLength: 1 << 33, maxBodySize: 10, registry: try registry(), requestID: "r") else {
            Issue.record("expected an exchange"); return
        }
    }
}

/// The `X-Olla-*` headers Olla adds to each kind of answer.
@Suite struct OllaHeadersTests {
    private let start = RequestTime(nanoseconds: 5_000_000_000)
    private func facts(model: String? = "llama3", endpoint: EndpointTarget? = RequestStateMachine.a,
                       plan: RoutingPlan? = .forward(RequestStateMachine.a)) -> RequestFacts {
        var facts = RequestFacts()
        facts.model = model
        facts.endpoint = endpoint
        facts.plan = plan
        facts.headAt = start + .milliseconds(42)
        return facts
    }

    private func value(_ name: String, _ headers: [HTTPHeader]) -> String? {
        headers.first { $0.name == name }?.value
    }

    @Test func aBackendAnswerNamesRequestInstanceModelTypeAndTime() {
        let headers = OllaHeaders.backendAnswer(
            UpstreamHead(status: 200, headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Olla-Endpoint", "spoofed"),
                                                HTTPHeader("Connection", "keep-alive")]),
            requestID: "r1", startedAt: start, extra: [HTTPHeader("Access-Control-Allow-Origin", "*")], facts: facts())
        #expect(value("X-Olla-Request-ID", headers) == "r1")
        #expect(value("X-Olla-Endpoint", headers) == "a")
        #expect(value("X-Olla-Model", headers) == "llama3")
        #expect(value("X-Olla-Backend-Type", headers) == "ollama")
        #expect(value("X-Olla-Response-Time", headers) == "42ms")
        #expect(value("X-Olla-Routing-Decision", headers) == "routed")
        #expect(value("Content-Type", headers) == "application/json")
        #expect(value("Connection", headers) == nil)
        #expect(headers.filter { $0.name == "X-Olla-Endpoint" }.count == 1)
        #expect(headers.last?.name == "Access-Control-Allow-Origin")
    }

    @Test func olasOwnErrorCarriesModelRoutingAndRetryAfter() {
        var refused = facts(endpoint: nil)
        refused.plan = RoutingPlan(target: .reject(ProxyError(.serviceUnavailable, "busy"), retryAfterSeconds: 9),
                                   strategy: .optimistic, decision: .rejected, reason: "queue full")
        let response = OllaHeaders(requestID: "r2", startedAt: start, extra: [], facts: refused)
            .errorResponse(ProxyError(.serviceUnavailable, "busy"), flavor: .native)
        #expect(response.status == 503)
        #expect(value("X-Olla-Request-ID", response.headers) == "r2")
        #expect(value("X-Olla-Model", response.headers) == "llama3")
        #expect(value("X-Olla-Routing-Reason", response.headers) == "queue full")
        #expect(value("Retry-After", response.headers) == "9")
        #expect(value("X-Olla-Endpoint", response.headers) == nil)
    }

    @Test func aComposedAnswerGetsTheRequestID() {
        let response = OllaHeaders(requestID: "r3", startedAt: start, extra: [], facts: facts(model: nil, plan: nil))
            .localResponse(LocalResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json")], body: []))
        #expect(response.headers.map(\.name) == ["Content-Type", "X-Olla-Request-ID"])
    }
}
