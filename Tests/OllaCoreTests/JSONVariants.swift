import OllaTestSupport

/// Variants of a JSON record for tests that compare two scanners on it: every cut of it and
/// seeded mutations, so a fast path is checked against its reference on broken input too.
enum JSONVariants {
    /// Every suffix and every prefix of `bytes`, each with a label saying where it was cut.
    static func cuts(of bytes: [UInt8]) -> [(label: String, bytes: [UInt8])] {
        (0..<bytes.count).flatMap { cut in
            [("suffix from \(cut)", Array(bytes[cut...])), ("prefix to \(cut)", Array(bytes[..<cut]))]
        }
    }

    /// `count` copies of `original`, each with one to three bytes removed, inserted or replaced
    /// by JSON's punctuation, digits, escapes and whitespace, drawn from `random` (seeded, so a
    /// failing mutation is the same on every run).
    static func mutations(of original: [UInt8], count: Int = 60, random: inout SplitMix64) -> [[UInt8]] {
        let alphabet = Array(#"{}[]":,\u0 19e-.tfn_E+\#t\#n\#r"#.utf8)
        return (0..<count).map { _ in
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 3)) {
                guard !bytes.isEmpty else { break }
                let index = Int(random.next() % UInt64(bytes.count))
                let replacement = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 4 {
                case 0: bytes.remove(at: index)
                case 1: bytes.insert(replacement, at: index)
                default: bytes[index] = replacement
                }
            }
            return bytes
        }
    }
}
