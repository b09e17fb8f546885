import Testing
@testable import OllaCore

@Suite struct RequestHostTests {
    private func refusal(_ headers: [HTTPHeader], version: String = "HTTP/1.1") -> ProxyError? {
        do {
            try RequestHost.check(httpVersion: version, headers: headers)
            return nil
        } catch {
            return error
        }
    }

    @Test func oneValidHostPasses() {
        for value in ["olla", "olla.local:40114", "127.0.0.1:40114", "[::1]:40114", "[fe80::1%25eth0]", "xn--bcher-kva.example",
                      "under_score.example", "a!$&'()*+,;=~-.b", ""] {
            #expect(refusal([HTTPHeader("Host", value)]) == nil, "\(value)")
        }
        #expect(refusal([HTTPHeader("host", "olla"), HTTPHeader("Content-Length", "3")]) == nil, "any letter case")
    }

    @Test func http11WithoutHostIsRefusedWithGosWording() {
        let error = refusal([HTTPHeader("Content-Length", "3")])
        #expect(error?.status == 400)
        #expect(error?.message == "missing required Host header")
    }

    @Test func http10MayLeaveHostOut() {
        #expect(refusal([], version: "HTTP/1.0") == nil)
        #expect(refusal([HTTPHeader("Host", "a b")], version: "HTTP/1.0")?.message == "malformed Host header", "but not send a bad one")
    }

    @Test func twoHostsAreRefusedWhateverTheirValues() {
        #expect(refusal([HTTPHeader("Host", "olla"), HTTPHeader("Host", "olla")])?.message == "too many Host headers")
        #expect(refusal([HTTPHeader("Host", "a"), HTTPHeader("HOST", "b")])?.message == "too many Host headers")
        #expect(refusal([HTTPHeader("Host", "a"), HTTPHeader("Host", "b")], version: "HTTP/1.0")?.message == "too many Host headers")
    }

    @Test func bytesNoHostCanHoldAreRefused() {
        for value in ["a b", "a\tb", "a/b", "a\\b", "a\"b", "a<b", "a>b", "a@b", "a?b", "a#b", "a{b", "a|b", "a^b", "a`b",
                      "h\u{7F}", "h\u{01}", "bücher.example"] {
            let error = refusal([HTTPHeader("Host", value)])
            #expect(error?.status == 400, "\(value.debugDescription)")
            #expect(error?.message == "malformed Host header", "\(value.debugDescription)")
        }
    }

    /// Every byte value in a `Host`: accepted exactly when Go's `validHostByte` accepts it
    /// (letters, digits and `!$%&'()*+,-.:;=[]_~`), checked against that list written out.
    @Test func everyByteIsAcceptedExactlyWhenGoAcceptsIt() {
        let allowed = Set("!$%&'()*+,-.:;=[]_~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(RequestHost.isHostByte(byte) == allowed.contains(byte), "byte \(byte)")
        }
    }
}
