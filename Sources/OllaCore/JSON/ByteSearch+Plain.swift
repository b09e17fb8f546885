/// JSON text written the plain way (printable ASCII, no backslash), found and crossed sixteen
/// bytes per step with SIMD compares: the compact readers of Ollama's final line
/// (`TokenScanner.ollamaUsageCompact`) and of a request body (`JSONBodyScanner.plainSummary`).
extension ByteSearch {
    /// Whether the `count` bytes at `base` are printable ASCII (0x20...0x7F) without a
    /// backslash, sixty-four per test while that many remain. In such text every string
    /// literal is plain: it ends at the next quote, and holds no escape to decode.
    static func isPlainText(_ base: UnsafeRawPointer, count: Int) -> Bool {
        let backslash = SIMD16<UInt8>(repeating: JSONByte.backslash)
        let space = SIMD16<UInt8>(repeating: 0x20), highest = SIMD16<UInt8>(repeating: 0x7F - 0x20)
        /// The lanes of the sixteen bytes at `offset` that are not plain.
        @inline(__always)
        func special(_ offset: Int) -> SIMDMask<SIMD16<Int8>> {
            let bytes = base.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
            // Below 0x20 or above 0x7F wraps past `highest` once 0x20 is taken off.
            return (bytes .== backslash) .| ((bytes &- space) .> highest)
        }
        @inline(__always)
        func holdsAny(_ mask: SIMDMask<SIMD16<Int8>>) -> Bool {
            let words = unsafeBitCast(mask, to: SIMD2<UInt64>.self)
            return words[0] | words[1] != 0
        }
        var offset = 0
        while offset &+ 64 <= count {
            if holdsAny(special(offset) .| special(offset &+ 16) .| special(offset &+ 32) .| special(offset &+ 48)) {
                return false
            }
            offset &+= 64
        }
        while offset &+ 16 <= count {
            if holdsAny(special(offset)) { return false }
            offset &+= 16
        }
        // The last few bytes with the sixteen that end the text (some checked twice).
        if offset < count, count >= 16 { return !holdsAny(special(count &- 16)) }
        while offset < count {
            let byte = base.load(fromByteOffset: offset, as: UInt8.self)
            if byte == JSONByte.backslash || byte &- 0x20 > 0x7F - 0x20 { return false }
            offset &+= 1
        }
        return true
    }

    /// The index of the first quote at or after `from` and before `end` in the bytes at
    /// `base`, sixteen bytes per step (then eight); nil when there is none.
    @inline(__always)
    static func firstQuote(_ base: UnsafeRawPointer, from: Int, end: Int) -> Int? {
        var i = from
        let quotes = SIMD16<UInt8>(repeating: JSONByte.quote)
        while i &+ 16 <= end {
            let lanes = base.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self) .== quotes
            let words = unsafeBitCast(lanes, to: SIMD2<UInt64>.self)
            // Lane k is byte k of the sixteen, whatever the host's byte order.
            let low = UInt64(littleEndian: words[0]), high = UInt64(littleEndian: words[1])
            if low != 0 { return i &+ low.trailingZeroBitCount / 8 }
            if high != 0 { return i &+ 8 &+ high.trailingZeroBitCount / 8 }
            i &+= 16
        }
        while i &+ 8 <= end {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let found = matches(word, JSONByte.quote)
            if found != 0 { return i &+ found.trailingZeroBitCount / 8 }
            i &+= 8
        }
        while i < end {
            if base.load(fromByteOffset: i, as: UInt8.self) == JSONByte.quote { return i }
            i &+= 1
        }
        return nil
    }
}
