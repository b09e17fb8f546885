/// Word-at-a-time byte search over raw buffers: the `memchr`/`memrchr` of the pure-Swift
/// scanners, eight bytes per step (SWAR, "SIMD within a register").
///
/// The scanners skip long runs of bytes they do not care about (a prompt's text, a
/// stream's earlier records); a plain byte loop costs 4–5 instructions per byte there,
/// this about one. Every function is exact: a reported index holds the byte asked for.
enum ByteSearch {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// The high bit of every byte of `word` that equals `byte`, and no other bit.
    ///
    /// For `x = word ^ byte…`, a byte of `x` is zero exactly when neither its own high bit
    /// nor the carry of adding 0x7F to its low seven bits is set. No carry crosses into the
    /// next byte, so there are no false positives (unlike the shorter `(x - 0x01…) & ~x`
    /// test), which matters when the last match in a word is wanted.
    @inline(__always)
    static func matches(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (ones &* UInt64(byte))
        return ~(((x & lows) &+ lows) | x | lows)
    }

    /// The eight bytes at `offset`, the first in the lowest bits whatever the host's byte order.
    @inline(__always)
    private static func word(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Whether every byte is below 0x80 (ASCII), eight bytes per step.
    @inline(__always)
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= bytes.count {
            high |= word(bytes, at: index)
            index += 8
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & ~lows == 0
    }

    /// The first index in `range` holding `byte`, or nil.
    static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count)
        var index = range.lowerBound
        while index + 8 <= range.upperBound {
            let found = matches(word(bytes, at: index), byte)
            if found != 0 { return index + found.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < range.upperBound {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    /// The first index at or after `start` whose byte may end or interrupt the plain run of a
    /// JSON string: a quote, a backslash, a control byte (< 0x20) or a non-ASCII byte. Checks
    /// whole words only; returns the index of the first word that holds one, exactly, or
    /// where fewer than eight bytes remain (the caller looks at those one by one).
    @inline(__always)
    static func skipPlainStringBytes(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index + 8 <= bytes.count {
            let value = word(bytes, at: index)
            // (b & 0x7F) + 0x60 sets the high bit exactly when b & 0x7F >= 0x20; no carry leaves the byte.
            let controlOrHigh = (value | ~((value & lows) &+ 0x6060_6060_6060_6060)) & ~lows
            let special = matches(value, UInt8(ascii: "\"")) | matches(value, UInt8(ascii: "\\")) | controlOrHigh
            if special != 0 { return index + special.trailingZeroBitCount / 8 }
            index += 8
        }
        return index
    }

    /// Whether a byte of `bytes` satisfies `isMatch`, where every byte that does is below
    /// `limit` (at most 0x80) or equal to `other` (the control characters of HTTP's syntax):
    /// words holding no such byte are passed eight bytes per step, the others decided byte by
    /// byte by `isMatch` (a tab, below 0x20, may be allowed).
    @inline(__always)
    static func contains(in bytes: UnsafeRawBufferPointer, below limit: UInt8, or other: UInt8,
                         where isMatch: (UInt8) -> Bool) -> Bool {
        var index = 0
        // (b & 0x7F) + (0x80 - limit) sets the high bit exactly when b & 0x7F >= limit; no carry
        // leaves the byte. Without it, and without b's own high bit, b is below `limit`.
        let raise = ones &* UInt64(0x80 &- limit)
        while index + 8 <= bytes.count {
            let value = word(bytes, at: index)
            let below = ~(((value & lows) &+ raise) | value) & ~lows
            if below | matches(value, other) != 0 {
                for offset in index..<index + 8 where isMatch(bytes[offset]) { return true }
            }
            index += 8
        }
        while index < bytes.count {
            if isMatch(bytes[index]) { return true }
            index += 1
        }
        return false
    }

    /// The last index in `range` holding `byte`, or nil.
    static func lastIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        lastIndex(ofEither: byte, byte, in: bytes, range)
    }

    /// The last index in `range` holding `first` or `second`, or nil.
    static func lastIndex(ofEither first: UInt8, _ second: UInt8, in bytes: UnsafeRawBufferPointer,
                          _ range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count)
        var end = range.upperBound
        while end - 8 >= range.lowerBound {
            let value = word(bytes, at: end - 8)
            let found = matches(value, first) | matches(value, second)
            if found != 0 { return end - 8 + (63 - found.leadingZeroBitCount) / 8 }
            end -= 8
        }
        while end > range.lowerBound {
            end -= 1
            if bytes[end] == first || bytes[end] == second { return end }
        }
        return nil
    }

    /// Whether `bytes` holds `needle` at `index` (false when it would run past the end).
    @inline(__always)
    static func hasPrefix(_ needle: UnsafeRawBufferPointer, in bytes: UnsafeRawBufferPointer, at index: Int) -> Bool {
        guard index >= 0, index + needle.count <= bytes.count else { return false }
        var offset = 0
        // Eight bytes per step while eight remain (field names are 4-20 bytes).
        while offset + 8 <= needle.count {
            if word(bytes, at: index + offset) != word(needle, at: offset) { return false }
            offset += 8
        }
        while offset < needle.count {
            if bytes[index + offset] != needle[offset] { return false }
            offset += 1
        }
        return true
    }

    /// Whether the `name.utf8CodeUnitCount` bytes at `actual` are `name`'s, compared a word at a
    /// time with overlapping loads (no byte loop). `name` must be at least four bytes long (the
    /// token scanners' field names are) and `actual` must hold as many bytes.
    @inline(__always)
    static func equalsWordwise(_ actual: UnsafeRawPointer, _ name: StaticString) -> Bool {
        let length = name.utf8CodeUnitCount, expected = UnsafeRawPointer(name.utf8Start)
        guard length >= 8 else {
            return actual.loadUnaligned(as: UInt32.self) == expected.loadUnaligned(as: UInt32.self)
                && actual.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)
                    == expected.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)
        }
        var offset = 0
        while offset + 8 < length {
            guard actual.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    == expected.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
            offset += 8
        }
        return actual.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
            == expected.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
    }

    /// The last start index of `needle` whose bytes lie inside `range`, or nil. Candidates are
    /// found by the needle's byte at `anchor` (pick a rare one), then compared whole.
    static func lastIndex(of needle: UnsafeRawBufferPointer, anchor: Int, in bytes: UnsafeRawBufferPointer,
                          _ range: Range<Int>) -> Int? {
        precondition(anchor >= 0 && anchor < needle.count)
        var end = range.upperBound - (needle.count - 1 - anchor)
        let low = range.lowerBound + anchor
        while end > low, let found = lastIndex(of: needle[anchor], in: bytes, low..<end) {
            if hasPrefix(needle, in: bytes, at: found - anchor) { return found - anchor }
            end = found
        }
        return nil
    }
}

extension StaticString {
    /// The string's UTF-8 bytes, valid for the program's lifetime (static strings are in the binary).
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: utf8Start, count: utf8CodeUnitCount)
    }
}
