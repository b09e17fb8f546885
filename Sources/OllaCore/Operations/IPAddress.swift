/// An IPv4 or IPv6 address, for matching clients and proxies against CIDR ranges.
///
/// Both families are stored in one 128-bit value: IPv4 addresses as their IPv4-mapped
/// IPv6 form (`::ffff:a.b.c.d`). That makes `::ffff:10.1.2.3` (what a dual-stack socket
/// reports for an IPv4 peer) and `10.1.2.3` the same address, so either matches an IPv4
/// range such as `10.0.0.0/8`.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address as a 128-bit IPv6 value (IPv4 addresses IPv4-mapped).
    public let bits: UInt128

    /// The prefix of every IPv4-mapped address: `::ffff:0:0/96`.
    static let mappedPrefix: UInt128 = 0xFFFF << 32

    /// An IPv6 address (or IPv4-mapped address) from its 128 bits.
    public init(bits: UInt128) {
        self.bits = bits
    }

    /// An IPv4 address from its 32 bits, e.g. `0x7F00_0001` for 127.0.0.1.
    public init(ipv4 value: UInt32) {
        self.bits = Self.mappedPrefix | UInt128(value)
    }

    /// Whether this is an IPv4 address (written either way).
    public var isIPv4: Bool {
        bits >> 32 == Self.mappedPrefix >> 32
    }

    /// The 32 bits of an IPv4 address; nil for other IPv6 addresses.
    public var ipv4Value: UInt32? {
        isIPv4 ? UInt32(truncatingIfNeeded: bits) : nil
    }

    /// Dotted quad for IPv4; for IPv6 the eight groups in lowercase hex, with the longest
    /// run of two or more zero groups written as `::` (RFC 5952).
    public var description: String {
        if let value = ipv4Value {
            return Self.dottedQuad(value)
        }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: bits >> UInt128(112 - 16 * $0)) }
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            let start = index
            while index < 8 && groups[index] == 0 { index += 1 }
            if index - start > best.length { best = (start, index - start) }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }

    static func dottedQuad(_ value: UInt32) -> String {
        String(unsafeUninitializedCapacity: 15) { output in
            var written = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                let octet = UInt8(truncatingIfNeeded: value >> UInt32(shift))
                if shift != 24 { output[written] = UInt8(ascii: "."); written += 1 }
                if octet >= 100 { output[written] = UInt8(ascii: "0") + octet / 100; written += 1 }
                if octet >= 10 { output[written] = UInt8(ascii: "0") + octet / 10 % 10; written += 1 }
                output[written] = UInt8(ascii: "0") + octet % 10
                written += 1
            }
            return written
        }
    }
}
