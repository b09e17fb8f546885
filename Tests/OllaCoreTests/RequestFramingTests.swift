import Testing
@testable import OllaCore

@Suite struct RequestFramingTests {
    private func decide(_ headers: [HTTPHeader], version: String = "HTTP/1.1") -> Result<RequestFraming, ProxyError> {
        Result { () throws(ProxyError) in try RequestFraming.decide(httpVersion: version, headers: headers) }
    }

    private func framing(_ headers: [HTTPHeader], version: String = "HTTP/1.1") -> RequestFraming? {
        try? decide(headers, version: version).get()
    }

    private func status(_ headers: [HTTPHeader], version: String = "HTTP/1.1") -> Int? {
        if case .failure(let error) = decide(headers, version: version) { return error.status }
        return nil
    }

    private let host: HTTPHeader = HTTPHeader("Host", "olla.local")

    @Test func plainHeadsAreFramedAsTheyAnnounce() {
        #expect(framing([host]) == .noBody)
        #expect(framing([host, HTTPHeader("Content-Length", "81")]) == .length(81))
        #expect(framing([host, HTTPHeader("content-length", "0")]) == .length(0))
        #expect(framing([host, HTTPHeader("Content-Length", "007")]) == .length(7))
        #expect(framing([host, HTTPHeader("Transfer-Encoding", "chunked")]) == .chunked)
        #expect(framing([HTTPHeader("transfer-encoding", "chunked")]) == .chunked)
        #expect(framing([HTTPHeader("Content-Length", "5")], version: "HTTP/1.0") == .length(5))
    }

    /// Every byte in a field name: accepted exactly when it is a `tchar` (RFC 9110 §5.6.2,
    /// the list written out here as the RFC gives it), refused with 400 otherwise; the check
    /// reads the bytes from bit masks.
    @Test func fieldNameBytesAreTheTokenCharacters() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8(0)...UInt8(127) {
            let name = String(decoding: [UInt8(ascii: "X"), byte, UInt8(ascii: "y")], as: UTF8.self)
            if tchar.contains(byte) {
                #expect(framing([host, HTTPHeader(name, "1")]) == .noBody, "byte \(byte)")
            } else {
                #expect(status([host, HTTPHeader(name, "1")]) == 400, "byte \(byte)")
            }
        }
        #expect(status([host, HTTPHeader("X\u{e9}y", "1")]) == 400)
        #expect(status([host, HTTPHeader("", "1")]) == 400)
    }

    /// Coding names are case-insensitive (RFC 9112 §7), and libmicrohttpd compares them so too:
    /// both sides dechunk, so there is nothing to smuggle.
    @Test func chunkedInAnyLetterCaseIsChunked() {
        for spelling in ["Chunked", "CHUNKED", "cHuNkEd"] {
            #expect(framing([HTTPHeader("Transfer-Encoding", spelling)]) == .chunked, "\(spelling)")
        }
    }

    /// RFC 9110 §8.6 allows repeated identical values; libmicrohttpd reads the first, which
    /// then equals every other.
    @Test func identicalRepeatedContentLengthsAreOneLength() {
        #expect(framing([HTTPHeader("Content-Length", "4"), HTTPHeader("Content-Length", "4")]) == .length(4))
        #expect(framing([HTTPHeader("Content-Length", "4"), HTTPHeader("X-A", "b"), HTTPHeader("content-length", "4")]) == .length(4))
    }

    @Test func transferEncodingWithContentLengthIsRefused() {
        for headers: [HTTPHeader] in [
            [HTTPHeader("Content-Length", "120"), HTTPHeader("Transfer-Encoding", "chunked")],  // CL.TE
            [HTTPHeader("Transfer-Encoding", "chunked"), HTTPHeader("Content-Length", "4")],    // TE.CL
            [HTTPHeader("Transfer-Encoding", "chunked"), HTTPHeader("Content-Length", "0")],
            [HTTPHeader("Transfer-Encoding", "chunked"), HTTPHeader("Content-Length", "+4")],
            [HTTPHeader("Transfer-Encoding", "gzip, chunked"), HTTPHeader("Content-Length", "4")],
        ] {
            #expect(status(headers) == 400, "\(headers)")
        }
    }

    @Test func differingContentLengthsAreRefused() {
        #expect(status([HTTPHeader("Content-Length", "81"), HTTPHeader("Content-Length", "4")]) == 400)
        #expect(status([HTTPHeader("Content-Length", "4"), HTTPHeader("Content-Length", "04")]) == 400)
        #expect(status([HTTPHeader("Content-Length", "4"), HTTPHeader("Content-Length", "")]) == 400)
    }

    /// One decimal number, nothing else: a list in one field ("4, 4" as well as "4, 5"),
    /// signs, spaces, hex and empty values are all malformed.
    @Test func malformedContentLengthsAreRefused() {
        for value in ["+81", "-1", "0x10", "", " ", "4, 5", "4, 4", "4,4", "1 2", "12a", "1.0", "١٢", "4\t"] {
            #expect(status([HTTPHeader("Content-Length", value)]) == 400, "'\(value)'")
        }
    }

    @Test func lengthsBeyondASigned64BitCountAreTooLarge() {
        #expect(framing([HTTPHeader("Content-Length", "9223372036854775807")]) == .length(Int64.max))
        #expect(status([HTTPHeader("Content-Length", "9223372036854775808")]) == 413)
        #expect(status([HTTPHeader("Content-Length", "99999999999999999999999999")]) == 413)
    }

    /// RFC 9112 §6.1: a coding Olla does not implement, before a final chunked, is 501.
    @Test func unimplementedCodingsBeforeChunkedAre501() {
        for value in ["gzip, chunked", "deflate,chunked", "compress, chunked", "x-custom ,  chunked"] {
            #expect(status([HTTPHeader("Transfer-Encoding", value)]) == 501, "\(value)")
        }
        #expect(status([HTTPHeader("Transfer-Encoding", "gzip"), HTTPHeader("Transfer-Encoding", "chunked")]) == 501)
        if case .failure(let error) = decide([HTTPHeader("Transfer-Encoding", "gzip, chunked")]) {
            #expect(error.kind == .notImplemented)
            #expect(error.message.contains("'gzip'"))
        }
    }

    /// RFC 9112 §6.3 rule 4: a final coding other than chunked leaves the length unknown: 400.
    @Test func aFinalCodingOtherThanChunkedIsRefused() {
        for value in ["chunked, gzip", "identity", "gzip", "xchunked", "chunkedx", "chunked-false", "chunk", "ch unked",
                      "\"chunked\"", "chunked;", "chunked=1"] {
            #expect(status([HTTPHeader("Transfer-Encoding", value)]) == 400, "\(value)")
        }
    }

    /// Shapes that name chunked alone but that libmicrohttpd would not dechunk (it compares
    /// the first field's whole value): refused rather than framed two ways.
    @Test func obfuscatedChunkedIsRefused() {
        for headers: [HTTPHeader] in [
            [HTTPHeader("Transfer-Encoding", "chunked ")],
            [HTTPHeader("Transfer-Encoding", "chunked\t")],
            [HTTPHeader("Transfer-Encoding", "chunked,")],
            [HTTPHeader("Transfer-Encoding", ", chunked")],
            [HTTPHeader("Transfer-Encoding", "chunked;ext=1")],
            [HTTPHeader("Transfer-Encoding", "")],
            [HTTPHeader("Transfer-Encoding", ""), HTTPHeader("Transfer-Encoding", "chunked")],
            [HTTPHeader("Transfer-Encoding", "chunked"), HTTPHeader("Transfer-Encoding", "chunked")],
            [HTTPHeader("Transfer-Encoding", "chunked, chunked")],
            [HTTPHeader("Transfer-Encoding", "chunked"), HTTPHeader("Transfer-Encoding", "identity")],
        ] {
            #expect(status(headers) == 400, "\(headers)")
        }
    }

    /// RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request means faulty framing.
    @Test func transferEncodingInHTTP10IsRefused() {
        #expect(status([HTTPHeader("Transfer-Encoding", "chunked")], version: "HTTP/1.0") == 400)
    }

    /// A name with whitespace before the colon is `Transfer-Encoding` to a lenient parser and
    /// an unknown field to libmicrohttpd (RFC 9112 §5.1: reject with 400).
    @Test func fieldNamesMustBeTokens() {
        for name in ["Transfer-Encoding ", "Transfer-Encoding\t", " Content-Length", "Content Length", "", "X:Y", "Ä"] {
            #expect(status([HTTPHeader(name, "chunked")]) == 400, "'\(name)'")
        }
        #expect(status([HTTPHeader("X-Ok_1.2~!#$%&'*+^`|", "v")]) == nil)
    }

    @Test func controlCharactersInValuesAreRefused() {
        for value in ["a\rb", "a\nb", "a\u{0}b", "a\u{1}", "\u{7F}", "chunked\r"] {
            #expect(status([HTTPHeader("X-Anything", value)]) == 400, "\(value.debugDescription)")
        }
        #expect(status([HTTPHeader("X-Anything", "tab\tand space, ünïcode and obs-text")]) == nil)
    }

    @Test func refusalsNameWhatIsWrongInTheRouteShape() {
        guard case .failure(let error) = decide([HTTPHeader("Transfer-Encoding", "chunked"), HTTPHeader("Content-Length", "4")]) else {
            Issue.record("accepted TE+CL")
            return
        }
        #expect(error.body(for: .native) == #"{"error":"request has both Transfer-Encoding and Content-Length"}"#)
        #expect(error.body(for: .openAI).hasPrefix(#"{"error":{"message":"request has both"#))
        guard case .failure(let gzip) = decide([HTTPHeader("Transfer-Encoding", "gzip, chunked")]) else { return }
        #expect(gzip.body(for: .openAI).contains(#""type":"invalid_request_error""#))
    }

    @Test func longClientValuesAreCutInMessages() {
        guard case .failure(let error) = decide([HTTPHeader("Content-Length", String(repeating: "9", count: 40) + "x" + String(repeating: "1", count: 500))]) else {
            Issue.record("accepted")
            return
        }
        #expect(error.message.utf8.count < 120)
    }
}

@Suite struct RequestFramingDigitsTests {
    /// The one-pass reading agrees with the two-pass one it replaced (`allSatisfy` over the
    /// digits, then `Int64(_:)`).
    @Test func digitsAgreeWithIntegerParsing() {
        let values = ["0", "7", "007", "81", "9223372036854775807", "9223372036854775808", "18446744073709551616",
                      "99999999999999999999999999", "", " 4", "4 ", "+4", "-4", "4x", "0x10", "1_000", "٣",
                      String(repeating: "9", count: 40) + "x", String(repeating: "0", count: 30) + "12"]
        for value in values {
            let expected: RequestFraming.Digits
            if value.isEmpty || !value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                expected = .malformed
            } else {
                expected = Int64(value).map { .number($0) } ?? .outOfRange
            }
            #expect(RequestFraming.digits(value) == expected, "'\(value)'")
        }
    }
}
