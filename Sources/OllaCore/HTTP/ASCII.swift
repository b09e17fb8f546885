/// Byte-level helpers for HTTP's ASCII syntax. Header names and request targets are ASCII;
/// going through `Character` (grapheme clusters) or Unicode case mapping for them showed up
/// in the request path's profile.
extension StringProtocol {
    /// The part before the first `?`: the path of a request target.
    public var pathBeforeQuery: Substring {
        var string = Substring(self)
        // Searched in the contiguous bytes, a word at a time: a search through the UTF-8 view
        // cost ~20 instructions a byte, and the slice's `withContiguousStorageIfAvailable`
        // (its generic path) ~150 before the search. `withUTF8` makes a non-contiguous
        // string contiguous first (never needed for a native one).
        let offset = string.withUTF8 { bytes in
            ByteSearch.firstIndex(of: UInt8(ascii: "?"), in: UnsafeRawBufferPointer(bytes), 0..<bytes.count)
        }
        guard let offset else { return string }
        return string[..<string.utf8.index(string.utf8.startIndex, offsetBy: offset)]
    }

    /// Case-insensitive equality for ASCII names (only `A`-`Z` fold), without allocating.
    public func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        var theirs = other.utf8.makeIterator()
        for byte in utf8 {
            guard let other = theirs.next(), ASCII.folded(byte) == ASCII.folded(other) else { return false }
        }
        return true
    }

    /// Lowercases ASCII letters only (header names), leaving other bytes alone.
    public var asciiLowercased: String {
        if !utf8.contains(where: ASCII.isUppercase) { return String(self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        for byte in utf8 { bytes.append(ASCII.folded(byte)) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    /// Case-insensitive equality for ASCII names (only `A`-`Z` fold), without allocating:
    /// the concrete version, one pass over two contiguous buffers.
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        let result = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                for index in 0..<mine.count where ASCII.folded(mine[index]) != ASCII.folded(theirs[index]) {
                    return false
                }
                return true
            }
        }
        guard let result = result ?? nil else { return Substring(self).equalsIgnoringASCIICase(other) }
        return result
    }
}

/// ASCII byte classes for HTTP syntax.
enum ASCII {
    /// Whether `byte` is `A`...`Z`.
    @inline(__always)
    static func isUppercase(_ byte: UInt8) -> Bool { byte &- 0x41 < 26 }

    /// `byte` with `A`...`Z` mapped to `a`...`z`.
    @inline(__always)
    static func folded(_ byte: UInt8) -> UInt8 { isUppercase(byte) ? byte | 0x20 : byte }
}
