import Testing
@testable import OllaCore
import OllaTestSupport

/// The marker search behind `TokenScanner.mayHold` (sixty-four positions per test, then
/// sixteen, then one): a marker or a `\u` is found wherever it lies relative to those
/// blocks, and a filler that only resembles one is not.
@Suite struct TokenScannerMarkerSearchTests {
    static func holds(_ text: [UInt8], _ marker: StaticString = "_tokens") -> Bool {
        text.withUnsafeBytes { TokenScanner.mayHold(marker, in: $0) }
    }

    @Test func aMarkerAtEveryPositionIsFound() {
        for length in [7, 16, 17, 63, 64, 65, 130, 200, 257] {
            for position in 0...(length - 7) {
                var text = Array(repeating: UInt8(ascii: "x"), count: length)
                text.replaceSubrange(position..<(position + 7), with: Array("_tokens".utf8))
                #expect(Self.holds(text), "length \(length), marker at \(position)")
            }
        }
    }

    @Test func anEscapeAtEveryPositionIsFound() {
        for length in [2, 16, 64, 65, 129, 200] {
            for position in 0...(length - 2) {
                var text = Array(repeating: UInt8(ascii: "_"), count: length)
                text[position] = UInt8(ascii: "\\")
                text[position + 1] = UInt8(ascii: "u")
                #expect(Self.holds(text), "length \(length), escape at \(position)")
            }
        }
    }

    @Test func nearMissesAreNotCandidates() {
        // `_t` without the rest, `\` before other letters, `_` and `t` split by a block edge.
        let filler = Array(String(repeating: "_tok _t \\n \\t u_ t_", count: 20).utf8)
        for length in [0, 1, 15, 16, 63, 64, 65, filler.count] {
            #expect(!Self.holds(Array(filler.prefix(length))), "length \(length)")
        }
        #expect(Self.holds(filler + Array("_tokens".utf8)))
        #expect(Self.holds(Array("_tokens".utf8) + filler))
    }

    /// Where the last marker or `\u` starts, as a plain search from the end finds it: with
    /// several candidates and near misses in one block of sixteen, at every offset.
    @Test func theLastCandidateIsFoundWhereItStarts() {
        var random = SplitMix64(seed: 23)
        let alphabet = Array("_tokens\\uxx".utf8)
        let marker = Array("_tokens".utf8)
        for length in [2, 7, 15, 16, 17, 31, 32, 33, 64, 65, 100, 200] {
            for _ in 0..<300 {
                var text = (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
                // Whole markers at random places, sometimes two in one block.
                for _ in 0..<Int(random.next() % 3) where length >= marker.count {
                    let at = Int(random.next() % UInt64(length - marker.count + 1))
                    text.replaceSubrange(at..<(at + marker.count), with: marker)
                }
                let expected = text.indices.reversed().first { index in
                    (text[index] == UInt8(ascii: "\\") && index + 1 < text.count && text[index + 1] == UInt8(ascii: "u"))
                        || (index + marker.count <= text.count && Array(text[index..<(index + marker.count)]) == marker)
                }
                let found = text.withUnsafeBytes { TokenScanner.lastMarker("_tokens", in: $0) }
                #expect(found == expected, "\(String(decoding: text, as: UTF8.self))")
            }
        }
    }
}
