import Testing
@testable import OllaCore

@Suite struct ResponseHeadParserTests {
    /// Feeds `text` split after each LF, as libcurl's header callback does.
    private func heads(_ text: String) -> [ResponseHeadParser.Head] {
        var parser = ResponseHeadParser()
        var heads: [ResponseHeadParser.Head] = []
        // Split as bytes: in a Swift String "\r\n" is one Character.
        let bytes = Array(text.utf8)
        var start = 0
        for end in bytes.indices where bytes[end] == 0x0A {
            if let head = Array(bytes[start...end]).withUnsafeBytes({ parser.consume($0) }) { heads.append(head) }
            start = end + 1
        }
        return heads
    }

    @Test func finalHeadWithTrimmedValues() {
        let result = heads("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: \t b c \t\r\n\r\n")
        #expect(result.count == 1)
        #expect(result.first?.status == 200)
        #expect(result.first?.headers.map(\.name) == ["Content-Type", "X-A"])
        #expect(result.first?.headers.map(\.value) == ["application/json", "b c"])
    }

    @Test func interimAnswersAreSkipped() {
        let result = heads("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 404 Not Found\r\nX-B: 1\r\n\r\n")
        #expect(result.map(\.status) == [404])
        #expect(result.first?.headers.map(\.name) == ["X-B"])
    }

    @Test func switchingProtocolsIsFinal() {
        #expect(heads("HTTP/1.1 101 Switching Protocols\r\n\r\n").map(\.status) == [101])
    }

    @Test func statusWithoutReasonPhraseAndHTTP2() {
        #expect(heads("HTTP/2 503 \r\n\r\n").map(\.status) == [503])
        #expect(heads("HTTP/1.1 204\r\n\r\n").map(\.status) == [204])
    }

    /// libcurl reads the code past any white space after the version (`sscanf`'s `%3d`):
    /// so does the parser, or such an answer's body would come without a head.
    @Test func blanksBeforeTheCodeAreSkippedAsLibcurlDoes() {
        #expect(heads("HTTP/1.1  200 OK\r\n\r\n").map(\.status) == [200])
        #expect(heads("HTTP/1.1 \t404 Not Found\r\n\r\n").map(\.status) == [404])
        #expect(heads("HTTP/1.1 \t \t201\r\n\r\n").map(\.status) == [201])
        #expect(heads("HTTP/1.1 200\tOK\r\n\r\n").map(\.status) == [200])
        #expect(heads("HTTP/1.1 \u{0B}\u{0C}\r302 Found\r\n\r\n").map(\.status) == [302])
        #expect(heads("HTTP/1.1   20\r\n\r\n").isEmpty)
        #expect(heads("HTTP/1.1 \t\r\n\r\n").isEmpty)
        #expect(heads("HTTP/1.1 +200 OK\r\n\r\n").isEmpty)
    }

    @Test func malformedStatusLinesGiveNoHead() {
        #expect(heads("HTTP/1.1 2x0 OK\r\n\r\n").isEmpty)
        #expect(heads("HTTP/1.1 20\r\n\r\n").isEmpty)
        #expect(heads("HTTP/1.1\r\n\r\n").isEmpty)
        #expect(heads("\r\nX: y\r\n\r\n").isEmpty)
    }

    /// A status line is one that starts with `HTTP/` exactly (compared byte by byte): a line
    /// that only nearly does is a header line, or nothing.
    @Test func onlyHTTPSlashStartsAStatusLine() {
        #expect(heads("HTTP/1.1 200 OK\r\n\r\n").map(\.status) == [200])
        for nearly in ["HTTP 200 OK", "HTTp/1.1 200 OK", "http/1.1 200 OK", "HTT", "HTTP", "XTTP/1.1 200 OK"] {
            #expect(heads(nearly + "\r\nA: 1\r\n\r\n").isEmpty, "\(nearly)")
        }
        #expect(heads("HTTP/ 200 OK\r\nA: 1\r\n\r\n").map(\.status) == [200])
    }

    @Test func linesWithoutAColonAreIgnored() {
        let result = heads("HTTP/1.1 200 OK\r\nnot a header\r\n: empty name\r\n\r\n")
        #expect(result.first?.headers.count == 1)
        #expect(result.first?.headers.first?.name == "")
    }

    @Test func aSecondHeadAfterTheFirstIsReportedSeparately() {
        // The owner stops feeding after the first head; the parser itself starts over.
        let result = heads("HTTP/1.1 200 OK\r\nA: 1\r\n\r\nHTTP/1.1 500 Oops\r\n\r\n")
        #expect(result.map(\.status) == [200, 500])
        #expect(result.last?.headers.isEmpty == true)
    }
}
