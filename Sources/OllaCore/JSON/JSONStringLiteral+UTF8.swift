extension JSONStringLiteral {
    /// The length of the well-formed UTF-8 sequence starting with the non-ASCII byte at
    /// `index` (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
    ///
    /// Validating while scanning means strings the body scanner skips are checked too,
    /// and the parser can point at the exact offending byte.
    static func utf8SequenceLength(_ bytes: UnsafeRawBufferPointer, at index: Int) throws(Failure) -> Int {
        let lead = bytes[index]
        // The allowed range of the second byte depends on the lead byte; later bytes are
        // always plain continuation bytes.
        let (length, secondRange): (Int, ClosedRange<UInt8>) = switch lead {
        case 0xC2...0xDF: (2, 0x80...0xBF)
        case 0xE0: (3, 0xA0...0xBF)
        case 0xED: (3, 0x80...0x9F)
        case 0xE1...0xEF: (3, 0x80...0xBF)
        case 0xF0: (4, 0x90...0xBF)
        case 0xF1...0xF3: (4, 0x80...0xBF)
        case 0xF4: (4, 0x80...0x8F)
        default: (0, 0x80...0x80)
        }
        let invalid = Failure(offset: index, message: "invalid UTF-8 byte sequence in string")
        guard length > 0, index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else {
            throw invalid
        }
        for offset in 2..<length where !JSONByte.isUTF8Continuation(bytes[index + offset]) {
            throw invalid
        }
        return length
    }
}
