/// An IPv4 or IPv6 address range such as `10.0.0.0/8` or `fd00::/8`, for trusted
/// proxies and access lists.
///
/// IPv4 ranges also match IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`), because
/// `IPAddress` stores both spellings the same way.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the range (host bits cleared).
    public let network: IPAddress
    /// The prefix length in the range's own family: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int
    /// Whether the range was written as IPv4.
    public let isIPv4: Bool

    /// The range `address/prefixLength`; host bits of `address` are cleared, as Go's
    /// `net.ParseCIDR` does. `prefixLength` is clamped to the family's maximum.
    public init(address: IPAddress, prefixLength: Int) {
        let isIPv4 = address.isIPv4
        let maximum = isIPv4 ? 32 : 128
        let length = min(max(prefixLength, 0), maximum)
        self.isIPv4 = isIPv4
        self.prefixLength = length
        self.network = IPAddress(bits: address.bits & Self.mask(bits: (isIPv4 ? 96 : 0) + length))
    }

    /// Parses `address/length`. A bare address means that single host (`/32` or `/128`).
    public init(parsing text: String) throws(CIDRParseError) {
        let pieces = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parsing: pieces[0]) else {
            throw CIDRParseError(text: text, reason: "\(pieces[0].isEmpty ? "missing address" : "'\(pieces[0])' is not an IPv4 or IPv6 address")")
        }
        let maximum = address.isIPv4 ? 32 : 128
        guard pieces.count == 2 else {
            self.init(address: address, prefixLength: maximum)
            return
        }
        let lengthText = pieces[1]
        guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let length = Int(lengthText), length <= maximum
        else {
            throw CIDRParseError(text: text, reason: "prefix length must be a number from 0 to \(maximum)")
        }
        self.init(address: address, prefixLength: length)
    }

    /// Whether `address` is inside the range.
    public func contains(_ address: IPAddress) -> Bool {
        address.bits & Self.mask(bits: (isIPv4 ? 96 : 0) + prefixLength) == network.bits
    }

    /// Whether the host field `text` (see `IPAddress(host:)`) is an address inside the
    /// range; false for anything that is not an address.
    public func contains(host text: some StringProtocol) -> Bool {
        IPAddress(host: text).map(contains) ?? false
    }

    /// `network/prefixLength`, e.g. `10.0.0.0/8`.
    public var description: String {
        "\(network)/\(prefixLength)"
    }

    /// A 128-bit mask with the top `bits` bits set.
    private static func mask(bits: Int) -> UInt128 {
        bits == 0 ? 0 : ~UInt128(0) << UInt128(128 - bits)
    }
}

extension Array where Element == CIDR {
    /// Whether any range contains `address`.
    public func containsAddress(_ address: IPAddress) -> Bool {
        contains { $0.contains(address) }
    }
}
