import Testing
import OllaCore
@testable import OllaEngine

@Suite struct UpstreamHeadTests {
    @Test func declaredLengthIsReadOnceFromContentLength() {
        #expect(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Length", "42")]).contentLength == 42)
        #expect(UpstreamHead(status: 200, headers: [HTTPHeader("content-LENGTH", " 7 ")]).contentLength == 7)
        #expect(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Length", "1"), HTTPHeader("Content-Length", "2")]).contentLength == 1,
                "the first field counts")
    }

    @Test func noLengthWithoutAUsableContentLength() {
        #expect(UpstreamHead(status: 200, headers: []).contentLength == nil)
        #expect(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Length", "ten")]).contentLength == nil)
        #expect(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Length", "-1")]).contentLength == nil)
    }

    @Test func transferEncodingOverridesContentLength() {
        let chunked = UpstreamHead(status: 200, headers: [HTTPHeader("Content-Length", "5"), HTTPHeader("Transfer-Encoding", "chunked")])
        #expect(chunked.contentLength == nil)
        let emptyCoding = UpstreamHead(status: 200, headers: [HTTPHeader("Transfer-Encoding", ""), HTTPHeader("Content-Length", "5")])
        #expect(emptyCoding.contentLength == 5, "an empty Transfer-Encoding names no coding")
    }
}
