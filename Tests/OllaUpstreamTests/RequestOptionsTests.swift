import Testing
import OllaCore
@testable import OllaEngine
@testable import OllaUpstream

/// The lines libcurl is handed for `request`, read back from the list it would get.
private func headerLines(_ request: UpstreamRequest) -> [String] {
    let buffer = HeaderListBuffer()
    _ = buffer.write(for: request)
    return buffer.lines
}

@Suite struct RequestOptionsTests {
    private func request(method: String = "POST", headers: [HTTPHeader], bodyLength: Int64? = nil) -> UpstreamRequest {
        UpstreamRequest(transferID: 1, url: "http://127.0.0.1:1/api/chat", method: method, headers: headers,
                        bodyLength: bodyLength, connectTimeout: .seconds(1))
    }

    @Test func headersPassThroughInOrderAndCurlDefaultsAreSuppressed() {
        let lines = headerLines(request(headers: [HTTPHeader("X-B", "2"), HTTPHeader("x-a", "1")]))
        #expect(lines == ["X-B: 2", "x-a: 1", "Expect:", "Accept:"])
    }

    @Test func emptyValueIsSentNotRemoved() {
        // curl reads `Name:` as "remove this header"; `Name;` sends it with an empty value.
        #expect(headerLines(request(headers: [HTTPHeader("X-Empty", "")])).first == "X-Empty;")
    }

    @Test func clientAcceptIsKept() {
        let lines = headerLines(request(headers: [HTTPHeader("ACCEPT", "application/x-ndjson")]))
        #expect(lines == ["ACCEPT: application/x-ndjson", "Expect:"])
    }

    @Test func bodyWithoutContentTypeGetsNoFormContentType() {
        let lines = headerLines(request(headers: [], bodyLength: 10))
        #expect(lines == ["Expect:", "Accept:", "Content-Type:"])
        let unknownLength = headerLines(request(headers: [], bodyLength: -1))
        #expect(unknownLength.contains("Content-Type:"))
    }

    @Test func clientContentTypeIsKept() {
        let lines = headerLines(request(headers: [HTTPHeader("Content-Type", "application/json")], bodyLength: 10))
        #expect(lines == ["Content-Type: application/json", "Expect:", "Accept:"])
    }

    @Test func requestWithoutBodyGetsNoContentTypeLine() {
        let lines = headerLines(request(method: "GET", headers: []))
        #expect(!lines.contains("Content-Type:"))
    }
}

@Suite struct HeaderListBufferTests {
    private func request(_ headers: [HTTPHeader], bodyLength: Int64? = nil) -> UpstreamRequest {
        UpstreamRequest(transferID: 1, url: "http://127.0.0.1:1/api/chat", method: "POST", headers: headers,
                        bodyLength: bodyLength, connectTimeout: .seconds(1))
    }

    @Test func listIsLinkedInOrderAndEndsWithItsLastLine() {
        let buffer = HeaderListBuffer()
        var node: Curl.HeaderList? = buffer.write(for: request([HTTPHeader("A", "1"), HTTPHeader("B", "2")]))
        var texts: [String] = []
        while let current = node {
            texts.append(String(cString: current.pointee.data))
            node = current.pointee.next
        }
        #expect(texts == ["A: 1", "B: 2", "Expect:", "Accept:"])
    }

    @Test func nextWriteReplacesThePreviousLines() {
        let buffer = HeaderListBuffer()
        _ = buffer.write(for: request([HTTPHeader("X-Long", String(repeating: "v", count: 300)), HTTPHeader("Y", "1"), HTTPHeader("Z", "2")]))
        _ = buffer.write(for: request([HTTPHeader("Accept", "text/plain")]))
        #expect(buffer.lines == ["Accept: text/plain", "Expect:"])
    }

    @Test func growsPastItsStartingSizeAndKeepsEveryByte() {
        let buffer = HeaderListBuffer(textCapacity: 8, nodeCapacity: 1)
        let headers: [HTTPHeader] = (0..<40).map { HTTPHeader("X-Header-\($0)", String(repeating: "é", count: $0)) }
        _ = buffer.write(for: request(headers, bodyLength: 5))
        let expected = headers.map { $0.value.isEmpty ? $0.name + ";" : $0.name + ": " + $0.value }
            + ["Expect:", "Accept:", "Content-Type:"]
        #expect(buffer.lines == expected)
    }
}
