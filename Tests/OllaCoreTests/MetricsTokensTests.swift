import Testing
@testable import OllaCore
import OllaTestSupport

/// `requestCompleted(…, tokens:)` records an answer's token counts as a separate
/// `tokens(endpoint:…)` call after it did: the same tables, folded the same way.
@Suite struct MetricsTokensTests {
    struct Finished {
        var endpoint: String?
        var model: String?
        var route: String
        var status: Int
        var timeToFirstByte: Duration?
        var usage: TokenUsage?
    }

    /// Requests over a few endpoints, models, routes and statuses, with and without counts
    /// and times to first byte, some answered by Olla itself (no endpoint).
    static func requests(count: Int, seed: UInt64) -> [Finished] {
        var random = SplitMix64(seed: seed)
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        return (0..<count).map { _ in
            let usage = random.next() % 3 == 0 ? nil : TokenUsage(
                promptTokens: Int(random.next() % 50) - 2, completionTokens: Int(random.next() % 400) - 3,
                evalDuration: pick([nil, .zero, .milliseconds(250), .seconds(3)]))
            return Finished(endpoint: pick(["gpu", "laptop", nil]), model: pick(["llama3:8b", "qwen", "m-\(random.next() % 9)", nil]),
                            route: pick(["/api/chat", "/v1/chat/completions"]), status: pick([200, 200, 499, 502]),
                            timeToFirstByte: pick([nil, .milliseconds(20)]), usage: usage)
        }
    }

    @Test(arguments: [1, 3, 1_000])
    func theSameMetricsAsASeparateTokensCall(maxLabelSets: Int) {
        let separate = Metrics(maxLabelSets: maxLabelSets), together = Metrics(maxLabelSets: maxLabelSets)
        for request in Self.requests(count: 400, seed: UInt64(maxLabelSets)) {
            separate.requestCompleted(endpoint: request.endpoint, model: request.model, route: request.route, status: request.status,
                                      bytesOut: 10, timeToFirstByte: request.timeToFirstByte, duration: .milliseconds(40))
            if let usage = request.usage, let endpoint = request.endpoint {
                separate.tokens(endpoint: endpoint, model: request.model ?? Metrics.none, promptTokens: usage.promptTokens,
                                completionTokens: usage.completionTokens, evalDuration: usage.evalDuration ?? .zero)
            }
            together.requestCompleted(endpoint: request.endpoint, model: request.model, route: request.route, status: request.status,
                                      bytesOut: 10, timeToFirstByte: request.timeToFirstByte, duration: .milliseconds(40),
                                      tokens: request.usage)
        }
        let expected = separate.snapshot(), actual = together.snapshot()
        #expect(!expected.tokens.isEmpty)
        #expect(actual.tokens.map(\.endpoint) == expected.tokens.map(\.endpoint))
        #expect(actual.tokens.map(\.model) == expected.tokens.map(\.model))
        #expect(actual.tokens.map(\.prompt) == expected.tokens.map(\.prompt))
        #expect(actual.tokens.map(\.completion) == expected.tokens.map(\.completion))
        #expect(actual.tokens.map(\.lastTokensPerSecond) == expected.tokens.map(\.lastTokensPerSecond))
        #expect(PrometheusRenderer.render(metrics: actual, endpoints: []) == PrometheusRenderer.render(metrics: expected, endpoints: []))
    }

    @Test func countsWithoutAnEndpointAreNotRecorded() {
        let metrics = Metrics()
        metrics.requestCompleted(endpoint: nil, model: "llama3:8b", route: "/api/chat", status: 200, bytesOut: 0,
                                 timeToFirstByte: nil, duration: .zero, tokens: TokenUsage(promptTokens: 1, completionTokens: 2))
        #expect(metrics.snapshot().tokens.isEmpty)
        metrics.requestCompleted(endpoint: "gpu", model: nil, route: "/api/chat", status: 200, bytesOut: 0, timeToFirstByte: nil,
                                 duration: .zero, tokens: TokenUsage(promptTokens: 1, completionTokens: 2, evalDuration: .seconds(1)))
        let tokens = metrics.snapshot().tokens
        #expect(tokens.map(\.model) == [Metrics.none])
        #expect(tokens.map(\.completion) == [2] && tokens.map(\.lastTokensPerSecond) == [2])
    }
}
