import Testing
@testable import OllaCore
import OllaTestSupport

/// The per-request address and id work done on bytes gives what the String-built forms gave.
@Suite struct ClientAddressFastPathTests {
    /// The dotted-quad grammar as it was written: split on dots, four parts of 1-3 digits,
    /// no leading zero, each at most 255.
    static func referenceIPv4(_ text: String) -> UInt32? {
        let parts = Array(text.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            guard part.count == 1 || part.first != UInt8(ascii: "0") else { return nil }
            let number = part.reduce(0) { $0 * 10 + UInt32($1 - 0x30) }
            guard number <= 255 else { return nil }
            value = value << 8 | number
        }
        return value
    }

    @Test func ipv4ParsingAgreesWithTheSplitGrammar() {
        var random = SplitMix64(seed: 4)
        let alphabet = Array("0125.9:a ".utf8)
        for _ in 0..<5000 {
            let length = Int(random.next() % 17)
            let text = String(decoding: (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }, as: UTF8.self)
            #expect(IPAddress.parseIPv4(text.utf8) == Self.referenceIPv4(text), "\(text)")
        }
        for text in ["0.0.0.0", "255.255.255.255", "256.1.1.1", "01.1.1.1", "1.1.1", "1.1.1.1.", ".1.1.1", "1..1.1", "1.1.1.1000", "10.0.100.9"] {
            #expect(IPAddress.parseIPv4(text.utf8) == Self.referenceIPv4(text), "\(text)")
        }
    }

    @Test func dottedQuadPrintsEveryOctetWidth() {
        for (value, text) in [(UInt32(0), "0.0.0.0"), (0xFFFF_FFFF, "255.255.255.255"), (0x0A00_6409, "10.0.100.9"),
                              (0x7F00_0001, "127.0.0.1"), (0x0163_C80A, "1.99.200.10")] {
            #expect(IPAddress.dottedQuad(value) == text)
            #expect(IPAddress(ipv4: value).description == text)
        }
    }

    @Test func plainIPv4PeerIsItsOwnNormalForm() {
        for peer in ["127.0.0.1", "10.1.2.3", "::ffff:10.1.2.3", "[::1]:80", "1.2.3.4:5678", "010.0.0.1", " 1.2.3.4", "nonsense"] {
            let resolved = ClientAddress.resolve(peer: peer, forwardedFor: nil, trustedProxies: [], trustProxyHeaders: false)
            #expect(resolved == (IPAddress(host: peer)?.description ?? peer), "\(peer)")
        }
        let proxy = [try! CIDR(parsing: "127.0.0.0/8")]
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: "203.0.113.7", trustedProxies: proxy, trustProxyHeaders: true) == "203.0.113.7")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: "203.0.113.7", trustedProxies: proxy, trustProxyHeaders: false) == "127.0.0.1")
    }

    @Test func generatedRequestIDsAre32LowercaseHexDigits() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = RequestID.generate()
            #expect(id.utf8.count == 32 && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }, "\(id)")
            seen.insert(id)
        }
        #expect(seen.count == 1000)
        #expect(RequestID.resolve(inbound: "abc-123_X:/=~") == "abc-123_X:/=~")
        #expect(RequestID.resolve(inbound: "has space") != "has space")
        #expect(RequestID.resolve(inbound: "quote\"") != "quote\"")
        #expect(RequestID.isSane("!#$%&'*+-.^_`|~:/=az09"))
        #expect(!RequestID.isSane("a,b") && !RequestID.isSane("a;b") && !RequestID.isSane("a\u{7F}") && !RequestID.isSane("é"))
    }
}
