/// Byte-level helpers for HTTP's ASCII syntax. Header names and request targets are ASCII;
/// going through `Character` (grapheme clusters) or Unicode case mapping for them showed up
/// in the request path's profile.
extension StringProtocol {
    /// The part before the first `?`: the path of a request target.
    public var pathBeforeQuery: Substring {
        let string = Substring(self)
        guard let index = string.utf8.firstIndex(of: UInt8(ascii: "?")) else { return string }
        return string[..<index]
    }

    /// Case-insensitive equality for ASCII names, without allocating.
    public func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { lhs, rhs in
            lhs == rhs || (lhs | 0x20 == rhs | 0x20 && (lhs | 0x20) >= UInt8(ascii: "a") && (lhs | 0x20) <= UInt8(ascii: "z"))
        }
    }

    /// Lowercases ASCII letters only (header names), leaving other bytes alone.
    public var asciiLowercased: String {
        if !utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) { return String(self) }
        return String(decoding: utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
