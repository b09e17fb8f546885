import OllaCore
import Testing
@testable import OllaHTTPServer
import OllaTestSupport

@Suite struct ResponseHeaderLinesTests {
    /// What `write` must produce, by the rules written out plainly: the lines of a list
    /// libmicrohttpd would take unchanged (its `olla_MHD_add_response_headers` rules), nil for
    /// any other.
    static func reference(_ headers: [HTTPHeader]) -> (bytes: [UInt8], hasDate: Bool)? {
        var out: [UInt8] = []
        var dates = 0
        for header in headers {
            let name = Array(header.name.utf8), value = Array(header.value.utf8)
            if name.isEmpty || value.isEmpty { return nil }
            if name.contains(where: { [0x00, 0x09, 0x0A, 0x0D, 0x20].contains($0) }) { return nil }
            if value.contains(where: { [0x00, 0x0A, 0x0D].contains($0) }) { return nil }
            switch header.name.lowercased() {
            case "connection", "content-length", "transfer-encoding": return nil
            case "date": dates += 1
            default: break
            }
            out += name + Array(": ".utf8) + value + Array("\r\n".utf8)
        }
        return dates > 1 ? nil : (out, dates == 1)
    }

    static func written(_ headers: [HTTPHeader]) -> (bytes: [UInt8], hasDate: Bool)? {
        headers.withUnsafeBufferPointer { list in
            let capacity = ResponseHeaderLines.capacity(of: list)
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
                guard let lines = ResponseHeaderLines.write(list, into: buffer) else { return nil }
                return (Array(buffer[..<lines.count]), lines.hasDate)
            }
        }
    }

    @Test func anOrdinaryListBecomesItsLinesInOrder() throws {
        let headers = [HTTPHeader("Content-Type", "application/json; charset=utf-8"),
                       HTTPHeader("Date", "Tue, 01 Dec 2026 10:00:00 GMT"),
                       HTTPHeader("X-Olla-Request-ID", "req-0123456789abcdef"),
                       HTTPHeader("X-Utf8", "café, naïve"),
                       HTTPHeader("X-Tab", "a\tb")]
        let lines = try #require(Self.written(headers))
        #expect(String(decoding: lines.bytes, as: UTF8.self) ==
            "Content-Type: application/json; charset=utf-8\r\nDate: Tue, 01 Dec 2026 10:00:00 GMT\r\n"
            + "X-Olla-Request-ID: req-0123456789abcdef\r\nX-Utf8: café, naïve\r\nX-Tab: a\tb\r\n")
        #expect(lines.hasDate)
        #expect(Self.written([HTTPHeader("X-A", "1")])?.hasDate == false)
    }

    @Test func headersLibmicrohttpdDecidesLeaveTheListToItsRules() {
        for name in ["Connection", "CONTENT-LENGTH", "transfer-Encoding"] {
            #expect(Self.written([HTTPHeader("X-A", "1"), HTTPHeader(name, "x")]) == nil, "\(name)")
        }
        #expect(Self.written([HTTPHeader("Date", "a"), HTTPHeader("date", "b")]) == nil, "two Dates")
        #expect(Self.written([HTTPHeader("", "x")]) == nil, "empty name")
        #expect(Self.written([HTTPHeader("X-A", "")]) == nil, "empty value")
        // Names of the special lengths that are not special stay lines.
        #expect(Self.written([HTTPHeader("Data", "1"), HTTPHeader("Connectiom", "2"),
                              HTTPHeader("Content-Lengtx", "3"), HTTPHeader("Transfer-Encodinh", "4")]) != nil)
    }

    @Test func aForbiddenByteAnywhereInANameOrValueIsFound() {
        // Every position of names and values of 1 to 40 bytes: the word-at-a-time search and
        // its overlapping last word must see each.
        for length in 1...40 {
            for position in 0..<length {
                for byte: UInt8 in [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x01, 0x1F, 0x7F, 0x80, 0xFF] {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = byte
                    let text = String(decoding: bytes, as: UTF8.self)
                    for headers in [[HTTPHeader(text, "v")], [HTTPHeader("X-N", text)]] {
                        let got = Self.written(headers), want = Self.reference(headers)
                        #expect(got?.bytes == want?.bytes && got?.hasDate == want?.hasDate,
                                "length \(length), byte \(byte) at \(position): \(headers)")
                    }
                }
            }
        }
    }

    @Test func randomListsMatchTheRules() {
        var rng = SplitMix64(seed: 17)
        let pieces = ["a", "Z", "-", " ", "\t", "\r", "\n", "\0", ":", "é", "date", "Date", "connection",
                      "Content-Length", "transfer-encoding", "x-olla-model", "0123456789abcdef"]
        for _ in 0..<3000 {
            var headers: [HTTPHeader] = []
            for _ in 0..<Int(rng.next() % 6) {
                func text() -> String {
                    (0..<Int(rng.next() % 4)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
                }
                headers.append(HTTPHeader(text(), text()))
            }
            let got = Self.written(headers), want = Self.reference(headers)
            #expect(got?.bytes == want?.bytes && got?.hasDate == want?.hasDate, "\(headers)")
        }
    }
}
