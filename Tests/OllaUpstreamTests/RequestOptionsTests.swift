import Testing
import OllaCore
@testable import OllaEngine
@testable import OllaUpstream

@Suite struct RequestOptionsTests {
    private func request(method: String = "POST", headers: [HTTPHeader], bodyLength: Int64? = nil) -> UpstreamRequest {
        UpstreamRequest(transferID: 1, url: "http://127.0.0.1:1/api/chat", method: method, headers: headers,
                        bodyLength: bodyLength, connectTimeout: .seconds(1))
    }

    @Test func headersPassThroughInOrderAndCurlDefaultsAreSuppressed() {
        let lines = RequestOptions.headerLines(for: request(headers: [("X-B", "2"), ("x-a", "1")]))
        #expect(lines == ["X-B: 2", "x-a: 1", "Expect:", "Accept:"])
    }

    @Test func emptyValueIsSentNotRemoved() {
        // curl reads `Name:` as "remove this header"; `Name;` sends it with an empty value.
        #expect(RequestOptions.headerLines(for: request(headers: [("X-Empty", "")])).first == "X-Empty;")
    }

    @Test func clientAcceptIsKept() {
        let lines = RequestOptions.headerLines(for: request(headers: [("ACCEPT", "application/x-ndjson")]))
        #expect(lines == ["ACCEPT: application/x-ndjson", "Expect:"])
    }

    @Test func bodyWithoutContentTypeGetsNoFormContentType() {
        let lines = RequestOptions.headerLines(for: request(headers: [], bodyLength: 10))
        #expect(lines == ["Expect:", "Accept:", "Content-Type:"])
        let unknownLength = RequestOptions.headerLines(for: request(headers: [], bodyLength: -1))
        #expect(unknownLength.contains("Content-Type:"))
    }

    @Test func clientContentTypeIsKept() {
        let lines = RequestOptions.headerLines(for: request(headers: [("Content-Type", "application/json")], bodyLength: 10))
        #expect(lines == ["Content-Type: application/json", "Expect:", "Accept:"])
    }

    @Test func requestWithoutBodyGetsNoContentTypeLine() {
        let lines = RequestOptions.headerLines(for: request(method: "GET", headers: []))
        #expect(!lines.contains("Content-Type:"))
    }
}
