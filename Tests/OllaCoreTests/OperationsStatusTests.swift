import Testing
@testable import OllaCore

@Suite("Operations: status JSON and token scanner")
struct OperationsStatusTests {
    private func json(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONParser().parse(bytes).value
    }

    private func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    @Test func healthAndVersion() {
        #expect(text(StatusRenderer.health()) == #"{"status":"healthy"}"#)
        #expect(text(StatusRenderer.version("1.2.3")) == #"{"name":"olla","version":"1.2.3","build":"swift"}"#)
        #expect(text(StatusRenderer.version()).contains(OllaVersion.string))
    }

    private let rows = [
        EndpointStatusRow(name: "gpu", url: "http://gpu:11434", type: "ollama", priority: 100, weight: 3,
                          state: .healthy, routable: true, models: ["llama3:8b", "qwen3:4b"], loadedModels: ["llama3:8b"],
                          inFlight: 2, requests: 200, successRate: 0.995, latencyP50: .milliseconds(850),
                          latencyP95: .microseconds(4_200_500), latencyP99: .seconds(9),
                          lastCheckedAgo: .milliseconds(1_500), nextCheckIn: .milliseconds(3_500), lastError: nil),
        EndpointStatusRow(name: "laptop", url: "http://laptop:11434", type: "ollama", priority: 10, weight: 1,
                          state: .offline, routable: false, lastError: "connection refused"),
    ]

    @Test func statusOverview() throws {
        let metrics = Metrics()
        metrics.requestCompleted(endpoint: "gpu", model: "m", route: "/api/chat", status: 200, bytesOut: 1, timeToFirstByte: nil, duration: .zero)
        metrics.requestCompleted(endpoint: "gpu", model: "m", route: "/api/chat", status: 500, bytesOut: 1, timeToFirstByte: nil, duration: .zero)
        metrics.requestCompleted(endpoint: "gpu", model: "m", route: "/api/chat", status: 200, bytesOut: 1, timeToFirstByte: nil, duration: .zero)
        let body = text(StatusRenderer.status(version: "0.1.0", uptime: .seconds(7_385), endpoints: rows,
                                              metrics: metrics.snapshot(), modelCount: 2))
        #expect(body == #"{"status":"degraded","version":"0.1.0","uptime":"2h3m","uptime_seconds":7385,"#
            + #""endpoints":{"total":2,"healthy":1,"routable":1},"#
            + #""requests":{"total":3,"failed":1,"success_rate":66.67,"in_flight":0},"models":{"total":2}}"#)
        let empty = try json(StatusRenderer.status(uptime: .seconds(5), endpoints: [], metrics: Metrics().snapshot(), modelCount: 0))
        #expect(empty.member("status") == .string("unhealthy"))
        #expect(empty.member("requests")?.member("success_rate") == .null)
    }

    @Test func humanDurations() {
        #expect(StatusRenderer.humanDuration(seconds: 0) == "0s")
        #expect(StatusRenderer.humanDuration(seconds: 192) == "3m12s")
        #expect(StatusRenderer.humanDuration(seconds: 7_380) == "2h3m")
        #expect(StatusRenderer.humanDuration(seconds: 370_000) == "4d6h")
    }

    @Test func endpointsList() throws {
        let value = try json(StatusRenderer.endpoints(rows, timestamp: "2026-01-02T03:04:05Z"))
        #expect(value.member("timestamp") == .string("2026-01-02T03:04:05Z"))
        #expect(value.member("total_count") == .integer(2))
        #expect(value.member("healthy_count") == .integer(1))
        #expect(value.member("routable_count") == .integer(1))
        guard case .array(let list)? = value.member("endpoints"), list.count == 2 else {
            Issue.record("endpoints is not a two-element array")
            return
        }
        let gpu = list[0].value
        #expect(gpu.member("status") == .string("healthy"))
        #expect(gpu.member("model_count") == .integer(2))
        #expect(gpu.member("request_count") == .integer(200))
        #expect(gpu.member("success_rate") == .number(JSONNumber(text: "99.5")))
        #expect(gpu.member("latency_p50_ms") == .integer(850))
        #expect(gpu.member("latency_p95_ms") == .integer(4_200))
        #expect(gpu.member("next_check_in_ms") == .integer(3_500))
        #expect(gpu.member("last_error") == .null)
        let laptop = list[1].value
        #expect(laptop.member("routable") == .bool(false))
        #expect(laptop.member("latency_p99_ms") == .null)
        #expect(laptop.member("success_rate") == .null)
        #expect(laptop.member("last_error") == .string("connection refused"))
        #expect(!text(StatusRenderer.endpoints([])).contains("timestamp"))
    }

    private func entry(_ name: String) -> ModelEntry {
        ModelEntry(name: name, digest: nil, size: nil, modifiedAt: nil, modifiedUnixSeconds: nil, source: .ollamaTags,
                   raw: .makeObject(["name": .string(name)]))
    }

    @Test func modelsList() throws {
        let loaded = LoadedModel(name: "llama3:8b", digest: nil, size: nil, sizeVRAM: nil, expiresAt: nil, contextLength: nil,
                                 raw: .makeObject(["name": .string("llama3:8b")]))
        let catalogue = Catalogue([
            EndpointInventory(endpoint: "gpu", kind: .ollama, models: [entry("llama3:8b"), entry("qwen3:4b")], loaded: [loaded]),
            EndpointInventory(endpoint: "laptop", kind: .ollama, models: [entry("llama3:8b")]),
        ])
        #expect(text(StatusRenderer.models(catalogue)) == #"{"total":2,"models":["#
            + #"{"name":"llama3:8b","endpoints":["gpu","laptop"],"loaded_on":["gpu"]},"#
            + #"{"name":"qwen3:4b","endpoints":["gpu"],"loaded_on":[]}]}"#)
        #expect(text(StatusRenderer.models(Catalogue([]))) == #"{"total":0,"models":[]}"#)
    }

    @Test func rowFromDaemonParts() throws {
        let config = EndpointConfig(name: "gpu", url: try EndpointURL(parsing: "http://GPU:11434"), priority: 50, weight: 2)
        let now = ContinuousClock.now
        let health = HealthSnapshot(state: .busy, isRoutable: true, lastCheckedAt: now, sinceLastCheck: .seconds(1),
                                    nextProbeAt: now + .seconds(4), untilNextProbe: .seconds(4), consecutiveFailures: 0,
                                    lastError: nil, lastLatency: .milliseconds(20), breakerOpenUntil: nil)
        var stats = EndpointRequestStats(requests: 4, failures: 1)
        stats.latency.record(.milliseconds(10))
        let row = EndpointStatusRow(config: config, health: health, stats: stats, models: ["m"], loadedModels: [], inFlight: 1)
        #expect(row.url == "http://gpu:11434")
        #expect(row.type == "ollama")
        #expect(row.state == .busy && row.routable)
        #expect(row.successRate == 0.75)
        #expect(row.latencyP99 == .milliseconds(10))
        #expect(row.nextCheckIn == .seconds(4))
    }

    // MARK: token scanner

    private let ollamaTail = Array(("""
    ,"message":{"role":"assistant","content":" world"},"done":false}
    {"model":"llama3:8b","created_at":"2024-06-01T10:00:01.5Z","message":{"role":"assistant","content":"!"},"done":false}
    {"model":"llama3:8b","created_at":"2024-06-01T10:00:02Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"total_duration":5191566416,"load_duration":2154458,"prompt_eval_count":26,"prompt_eval_duration":383809000,"eval_count":298,"eval_duration":4799921000}

    """).utf8)

    @Test func ollamaFinalLine() {
        let usage = TokenScanner.scanOllama(ollamaTail)
        #expect(usage == TokenUsage(promptTokens: 26, completionTokens: 298, evalDuration: .nanoseconds(4_799_921_000),
                                      loadDuration: .nanoseconds(2_154_458), totalDuration: .nanoseconds(5_191_566_416),
                                      promptEvalDuration: .nanoseconds(383_809_000)))
        #expect(usage?.timings?.wasColdLoad == false)
        #expect(TokenScanner.scan(ollamaTail, flavor: .native) == usage)
    }

    @Test func ollamaNonStreamedBodyAndMissingPromptCount() {
        let body = #"{"model":"llama3","response":"hi","done":true,"eval_count":5,"eval_duration":100000000}"#
        #expect(TokenScanner.scanOllama(Array(body.utf8)) == TokenUsage(promptTokens: 0, completionTokens: 5, evalDuration: .milliseconds(100)))
    }

    @Test func ollamaWithoutFinalLine() {
        let partial = #"{"model":"llama3","response":"hi","done":false}"# + "\n" + #"{"model":"llama3","done":tr"#
        #expect(TokenScanner.scanOllama(Array(partial.utf8)) == nil)
        #expect(TokenScanner.scanOllama(Array(#"{"done":true}"#.utf8)) == nil)
        #expect(TokenScanner.scanOllama(Array(#"{"done":true,"eval_count":-1}"#.utf8)) == nil)
    }

    @Test func openAIUsage() {
        let body = #"{"id":"chatcmpl-1","object":"chat.completion","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}}"#
        #expect(TokenScanner.scanOpenAI(Array(body.utf8)) == TokenUsage(promptTokens: 12, completionTokens: 34))
        let stream = """
        data: {"id":"c","choices":[{"delta":{"content":"x"}}],"usage":null}\r
        \r
        data: {"id":"c","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":9,"total_tokens":16}}\r
        \r
        data: [DONE]\r
        \r

        """
        #expect(TokenScanner.scan(Array(stream.utf8), flavor: .openAI) == TokenUsage(promptTokens: 7, completionTokens: 9))
        #expect(TokenScanner.scanOpenAI(Array(#"data: {"choices":[]}"#.utf8)) == nil)
    }

    @Test func garbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in
                "{}[]\":,\n truefalsedone0123456789usage".utf8.randomElement(using: &generator)!
            }
            _ = TokenScanner.scanOllama(bytes)
            _ = TokenScanner.scanOpenAI(bytes)
        }
        let deep = Array((String(repeating: "[", count: 10_000) + "\n" + String(repeating: "{\"a\":", count: 5_000)).utf8)
        #expect(TokenScanner.scanOllama(deep) == nil)
        #expect(TokenScanner.scanOpenAI([0xFF, 0xFE, 0x0A, 0x7B]) == nil)
        #expect(TokenScanner.scanOllama(Array(#"{"done":true,"eval_count":99999999999999999999999}"#.utf8)) == nil)
    }
}
