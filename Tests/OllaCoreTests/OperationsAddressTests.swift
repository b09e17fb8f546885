import Testing
@testable import OllaCore

@Suite("Operations: IP addresses, CIDR and client address")
struct OperationsAddressTests {
    private func cidr(_ text: String) throws -> CIDR { try CIDR(parsing: text) }

    @Test func parsesIPv4AndIPv6() throws {
        #expect(IPAddress(parsing: "192.168.1.20")?.ipv4Value == 0xC0A8_0114)
        #expect(IPAddress(parsing: "2001:db8::1")?.description == "2001:db8::1")
        #expect(IPAddress(parsing: "::1")?.description == "::1")
        #expect(IPAddress(parsing: "::")?.description == "::")
        #expect(IPAddress(parsing: "1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        #expect(IPAddress(parsing: "fe80::1%eth0")?.description == "fe80::1")
        #expect(IPAddress(parsing: "::ffff:10.1.2.3")?.description == "10.1.2.3")
        #expect(IPAddress(parsing: "::ffff:a01:203") == IPAddress(parsing: "10.1.2.3"))
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1::2::3", ":::", "1:2:3:4:5:6:7:8:9",
                    "12345::", "g::1", "1:2:3:4:5:6:7::8", "::ffff:1.2.3", "localhost", " 1.2.3.4"] {
            #expect(IPAddress(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func hostFieldsMayCarryPortsAndBrackets() {
        #expect(IPAddress(host: "1.2.3.4:5678")?.description == "1.2.3.4")
        #expect(IPAddress(host: "[2001:db8::1]:443")?.description == "2001:db8::1")
        #expect(IPAddress(host: "[::1]")?.description == "::1")
        #expect(IPAddress(host: " 10.0.0.1 ")?.description == "10.0.0.1")
        #expect(IPAddress(host: "1.2.3.4:http") == nil)
        #expect(IPAddress(host: "[::1") == nil)
    }

    @Test func matchesIPv4Ranges() throws {
        let range = try cidr("10.0.0.0/8")
        #expect(range.contains(IPAddress(parsing: "10.255.0.1")!))
        #expect(!range.contains(IPAddress(parsing: "11.0.0.1")!))
        #expect(try cidr("172.16.0.0/12").contains(host: "172.31.255.255"))
        #expect(try !cidr("172.16.0.0/12").contains(host: "172.32.0.0"))
        #expect(try cidr("0.0.0.0/0").contains(host: "8.8.8.8"))
        #expect(try cidr("192.168.1.7").contains(host: "192.168.1.7"))
        #expect(try !cidr("192.168.1.7").contains(host: "192.168.1.8"))
        // Host bits are cleared, as Go's net.ParseCIDR does.
        #expect(try cidr("10.1.2.3/8").description == "10.0.0.0/8")
    }

    @Test func matchesIPv6AndMappedAddresses() throws {
        let range = try cidr("fd00::/8")
        #expect(range.contains(host: "fd12:3456::1"))
        #expect(!range.contains(host: "fe80::1"))
        #expect(try cidr("::1/128").contains(host: "::1"))
        // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
        #expect(try cidr("127.0.0.0/8").contains(host: "::ffff:127.0.0.1"))
        #expect(try cidr("10.0.0.0/8").contains(host: "[::ffff:10.9.8.7]:1234"))
        #expect(try !cidr("10.0.0.0/8").contains(host: "::ffff:11.0.0.1"))
        #expect(try !cidr("10.0.0.0/8").contains(host: "::a00:1"))  // IPv4-compatible, not mapped
        #expect(try cidr("2001:DB8::/32").description == "2001:db8::/32")
    }

    @Test func rejectsBadRanges() {
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0.0/-1", "10.0.0.0/8/8", "foo/8", "10.0.0.0/a"] {
            #expect(throws: CIDRParseError.self, "\(bad)") { try CIDR(parsing: bad) }
        }
    }

    private let proxies = RateLimitsConfig.defaultTrustedProxyCIDRs

    @Test func untrustedHeadersAreIgnored() {
        #expect(ClientAddress.resolve(peer: "203.0.113.9", forwardedFor: "1.1.1.1", trustedProxies: proxies, trustProxyHeaders: false)
            == "203.0.113.9")
        // Trust is on but the peer is not a trusted proxy: anyone can write the header.
        #expect(ClientAddress.resolve(peer: "203.0.113.9", forwardedFor: "1.1.1.1", trustedProxies: proxies, trustProxyHeaders: true)
            == "203.0.113.9")
        #expect(ClientAddress.resolve(peer: "::ffff:10.0.0.5", forwardedFor: nil, trustedProxies: proxies, trustProxyHeaders: true)
            == "10.0.0.5")
        #expect(ClientAddress.resolve(peer: "not-an-ip", forwardedFor: "1.1.1.1", trustedProxies: proxies, trustProxyHeaders: true)
            == "not-an-ip")
    }

    @Test func walksTrustedChainsRightToLeft() {
        // client, then two internal proxies; the leftmost value is client-controlled.
        let header = "6.6.6.6, 198.51.100.7, 10.0.0.2, 192.168.1.1"
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: header, trustedProxies: proxies, trustProxyHeaders: true)
            == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "127.0.0.1:5555", forwardedFor: "[2001:db8::9]:1234", trustedProxies: proxies, trustProxyHeaders: true)
            == "2001:db8::9")
        // Every hop trusted: the leftmost is the best we know.
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: "10.0.0.3,10.0.0.2", trustedProxies: proxies, trustProxyHeaders: true)
            == "10.0.0.3")
        // Garbage stops the walk at the last trusted hop.
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: "1.2.3.4, garbage, 10.0.0.2", trustedProxies: proxies, trustProxyHeaders: true)
            == "10.0.0.2")
        #expect(ClientAddress.resolve(peer: "10.0.0.1", forwardedFor: "", trustedProxies: proxies, trustProxyHeaders: true)
            == "10.0.0.1")
    }
}
