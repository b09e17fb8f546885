import Testing
@testable import OllaCore
@testable import OllaEngine

@Suite struct FanOutOutcomeTests {
    private func target(_ name: String) -> EndpointTarget {
        EndpointTarget(name: name, baseURL: "http://\(name):11434", priority: 100)
    }

    private func answer(_ status: Int, _ body: String, ndjson: Bool = true) -> Result<Fetcher.Response, UpstreamFailure> {
        .success(Fetcher.Response(status: status, headers: [HTTPHeader("Content-Type", ndjson ? "application/x-ndjson" : "application/json")],
                                  body: Array(body.utf8), latency: .zero))
    }

    private let ok = "{\"status\":\"pulling manifest\"}\n{\"status\":\"success\"}\n"
    private let broken = "{\"status\":\"pulling manifest\"}\n{\"error\":\"file does not exist\"}\n"

    @Test func inStreamErrorsAreFailures() {
        #expect(FanOutOutcome.of(answer(200, ok)) == .succeeded)
        #expect(FanOutOutcome.of(answer(200, broken)) == .failed("file does not exist"))
        #expect(FanOutOutcome.of(answer(500, #"{"error":"boom"}"#, ndjson: false)) == .failed("HTTP 500: boom"))
        #expect(FanOutOutcome.of(.failure(.connectFailed("refused"))) == .failed("backend unreachable: refused")
            || FanOutOutcome.of(.failure(.connectFailed("refused"))) != .succeeded)
    }

    @Test func theAnswerDoesNotDependOnEndpointOrder() {
        let forward = FanOutOutcome.merge([(target("a"), answer(200, ok)), (target("b"), answer(200, broken))],
                                          operation: "pull", flavor: .native)
        let backward = FanOutOutcome.merge([(target("b"), answer(200, broken)), (target("a"), answer(200, ok))],
                                           operation: "pull", flavor: .native)
        #expect(forward.status == 200 && backward.status == 200)
        #expect(forward.body == backward.body)
        #expect(String(decoding: forward.body, as: UTF8.self)
            == "{\"status\":\"a: success\"}\n{\"error\":\"pull failed on b (file does not exist); succeeded on a\"}\n")
    }

    @Test func nonStreamedFailuresTakeTheHighestStatus() {
        let merged = FanOutOutcome.merge([(target("a"), answer(200, #"{"status":"success"}"#, ndjson: false)),
                                          (target("b"), answer(404, #"{"error":"model 'x' not found"}"#, ndjson: false)),
                                          (target("c"), .failure(.connectFailed("refused")))],
                                         operation: "delete", flavor: .native)
        #expect(merged.status == 404)
        #expect(String(decoding: merged.body, as: UTF8.self).hasPrefix(#"{"error":"delete failed on b (HTTP 404: model 'x' not found), c ("#))
        #expect(merged.headers.contains { $0.name == "X-Olla-Fan-Out-Failed" && $0.value == "b,c" })
    }

    @Test func allSucceededPassesTheAnswerThrough() {
        let merged = FanOutOutcome.merge([(target("a"), answer(200, ok)), (target("b"), answer(200, ok))],
                                         operation: "pull", flavor: .native)
        #expect(merged.status == 200 && merged.body == Array(ok.utf8))
        #expect(merged.headers.contains { $0.name == "X-Olla-Fan-Out-Succeeded" && $0.value == "a,b" })
    }
}
