import Glibc
import Testing
@testable import OllaHTTPServer

/// `SocketAddress.text` prints an IPv4 peer itself: it must say what `inet_ntop` says.
@Suite struct SocketAddressTests {
    /// What the formatter replaced: `inet_ntop`, and `::ffff:` dropped from a mapped address.
    static func reference(family: Int32, _ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let text = bytes.withUnsafeBytes { String(cString: inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count))) }
        return text.hasPrefix("::ffff:") && text.contains(".") ? String(text.dropFirst(7)) : text
    }

    static func v4(_ bytes: [UInt8]) -> String {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: bytes) }
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress.text($0) } }
    }

    static func v6(_ bytes: [UInt8]) -> String {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: bytes) }
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress.text($0) } }
    }

    @Test func anIPv4PeerIsPrintedAsInetNtopPrintsIt() {
        let edges: [UInt8] = [0, 1, 9, 10, 11, 99, 100, 101, 199, 200, 249, 250, 255]
        for a in edges {
            for b in edges {
                let bytes = [a, b, b, a]
                #expect(Self.v4(bytes) == Self.reference(family: AF_INET, bytes))
            }
        }
        #expect(Self.v4([127, 0, 0, 1]) == "127.0.0.1")
        #expect(Self.v4([255, 255, 255, 255]) == "255.255.255.255")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let bytes = (0..<4).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            #expect(Self.v4(bytes) == Self.reference(family: AF_INET, bytes))
        }
    }

    @Test func anIPv4ClientOfADualStackSocketIsPrintedAsIPv4() {
        let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
        #expect(Self.v6(mapped + [192, 168, 1, 20]) == "192.168.1.20")
        #expect(Self.v6(mapped + [0, 0, 0, 0]) == "0.0.0.0")
        for last: UInt8 in [0, 7, 42, 100, 255] {
            let bytes = mapped + [10, last, 0, last]
            #expect(Self.v6(bytes) == Self.reference(family: AF_INET6, bytes))
        }
    }

    @Test func anIPv6PeerIsPrintedByInetNtop() {
        var loopback = [UInt8](repeating: 0, count: 16)
        loopback[15] = 1
        #expect(Self.v6(loopback) == "::1")
        let samples: [[UInt8]] = [
            loopback,
            [UInt8](repeating: 0, count: 16),
            [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1],
            [UInt8](repeating: 0, count: 12) + [1, 2, 3, 4],            // IPv4-compatible: stays IPv6 text
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 1, 2, 3, 4],     // one bit from mapped
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 1, 2, 3, 4],     // one bit from mapped
            [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55],
        ]
        for bytes in samples {
            #expect(Self.v6(bytes) == Self.reference(family: AF_INET6, bytes))
        }
    }

    @Test func noAddressOrAnotherFamilyIsUnknown() {
        #expect(SocketAddress.text(nil) == "unknown")
        var address = sockaddr()
        address.sa_family = sa_family_t(AF_UNIX)
        #expect(withUnsafePointer(to: &address) { SocketAddress.text($0) } == "unknown")
    }
}
