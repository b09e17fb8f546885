import Testing
@testable import OllaCore
import OllaTestSupport

/// The word-at-a-time searches find exactly what a byte-by-byte loop finds, at every
/// alignment and length, including matches in the last partial word.
@Suite struct ByteSearchTests {
    @Test func agreesWithByteLoops() {
        var random = SplitMix64(seed: 8)
        for length in 0..<70 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in [UInt8(ascii: "a"), 0x80, 0x7F, 0x00, UInt8(ascii: "_"), 0xFF][Int(random.next() % 6)] }
                bytes.withUnsafeBytes { buffer in
                    let lower = length == 0 ? 0 : Int(random.next() % UInt64(length + 1))
                    let upper = lower + (length == lower ? 0 : Int(random.next() % UInt64(length - lower + 1)))
                    for byte: UInt8 in [UInt8(ascii: "a"), 0x80, 0x7F, 0x00, 0xFF] {
                        #expect(ByteSearch.firstIndex(of: byte, in: buffer, lower..<upper) == bytes[lower..<upper].firstIndex(of: byte))
                        #expect(ByteSearch.lastIndex(of: byte, in: buffer, lower..<upper) == bytes[lower..<upper].lastIndex(of: byte))
                        #expect(ByteSearch.lastIndex(ofEither: byte, UInt8(ascii: "_"), in: buffer, lower..<upper)
                                == bytes[lower..<upper].lastIndex { $0 == byte || $0 == UInt8(ascii: "_") })
                    }
                }
            }
        }
    }

    /// `contains(in:below:or:where:)` answers what `contains(where:)` over the bytes answers,
    /// for HTTP's two control checks, every byte value at every position of every length up
    /// to three words, over mostly plain bytes.
    /// `isASCII` reads eight bytes per step: a byte of 0x80 or more anywhere, in a whole word
    /// or in the tail, is found.
    @Test func isASCIIAgreesWithAByteLoop() {
        for length in 0..<20 {
            for position in 0..<max(length, 1) {
                for special: UInt8 in [0x00, 0x7F, 0x80, 0xC3, 0xFF] {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if length > 0 { bytes[position] = special }
                    bytes.withUnsafeBytes { buffer in
                        #expect(ByteSearch.isASCII(buffer) == bytes.allSatisfy { $0 < 0x80 }, "length \(length), \(special) at \(position)")
                    }
                }
            }
        }
    }

    @Test func containsAgreesWithAByteLoop() {
        func isControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != 0x09) || byte == 0x7F }
        func isControlOrSpace(_ byte: UInt8) -> Bool { byte <= 0x20 || byte == 0x7F }
        var differing: [String] = []
        for length in 0..<25 {
            for position in 0..<max(length, 1) {
                for special in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if length > 0 { bytes[position] = UInt8(special) }
                    bytes.withUnsafeBytes { buffer in
                        if ByteSearch.contains(in: buffer, below: 0x20, or: 0x7F, where: isControl) != bytes.contains(where: isControl)
                            || ByteSearch.contains(in: buffer, below: 0x21, or: 0x7F, where: isControlOrSpace)
                                != bytes.contains(where: isControlOrSpace) {
                            differing.append("length \(length), byte \(special) at \(position)")
                        }
                    }
                }
            }
        }
        #expect(differing.isEmpty, "\(differing.prefix(5))")
    }

    /// The string skip stops at the first quote, backslash, control or non-ASCII byte of a
    /// whole word, and never stops early at a plain byte.
    @Test func skipPlainStringBytesStopsAtTheFirstSpecialByte() {
        var random = SplitMix64(seed: 21)
        let pool: [UInt8] = [UInt8(ascii: "a"), UInt8(ascii: " "), 0x7F, 0x20, 0x1F, 0x00, 0x80, 0xE9, 0xFF,
                             UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "~")]
        func isSpecial(_ byte: UInt8) -> Bool { byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") }
        for length in 0..<60 {
            for _ in 0..<30 {
                // Mostly plain bytes, so runs longer than a word occur.
                let bytes = (0..<length).map { _ in random.next() % 4 == 0 ? pool[Int(random.next() % UInt64(pool.count))] : UInt8(ascii: "x") }
                bytes.withUnsafeBytes { buffer in
                    let start = length == 0 ? 0 : Int(random.next() % UInt64(length))
                    let stop = ByteSearch.skipPlainStringBytes(in: buffer, from: start)
                    #expect(stop >= start && stop <= length)
                    #expect(bytes[start..<stop].allSatisfy { !isSpecial($0) })
                    if stop + 8 <= length || (stop < length && isSpecial(bytes[stop])) {
                        #expect(isSpecial(bytes[stop]), "stopped at a plain byte")
                    } else {
                        #expect(length - stop < 8)
                    }
                }
            }
        }
    }

    @Test func lastIndexOfNeedle() {
        let text = Array(#"x"usage"usage": "usage""#.utf8)
        let needle: StaticString = #""usage""#
        text.withUnsafeBytes { buffer in
            #expect(ByteSearch.lastIndex(of: needle.bytes, anchor: 4, in: buffer, 0..<buffer.count) == 16)
            #expect(ByteSearch.lastIndex(of: needle.bytes, anchor: 4, in: buffer, 0..<22) == 7)
            #expect(ByteSearch.lastIndex(of: needle.bytes, anchor: 0, in: buffer, 0..<13) == 1)
            #expect(ByteSearch.lastIndex(of: needle.bytes, anchor: 4, in: buffer, 0..<7) == nil)
            #expect(ByteSearch.lastIndex(of: needle.bytes, anchor: 4, in: buffer, 2..<buffer.count - 1) == 7)
        }
    }
}
