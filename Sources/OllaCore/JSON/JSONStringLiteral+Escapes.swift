extension JSONStringLiteral {
    /// The number of bytes the escape sequence at `index` occupies, after checking it.
    static func escapeLength(_ bytes: UnsafeRawBufferPointer, at index: Int) throws(Failure) -> Int {
        guard index + 1 < bytes.count else {
            throw Failure(offset: index, message: "unterminated escape sequence")
        }
        switch bytes[index + 1] {
        case JSONByte.quote, JSONByte.backslash, JSONByte.slash,
             UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return 2
        case JSONByte.lowercaseU:
            _ = try hexQuad(bytes, at: index)
            return 6
        default:
            throw Failure(offset: index, message: "invalid escape sequence '\\\(describeEscape(bytes[index + 1]))'")
        }
    }

    /// Appends the decoded escape at `index` to `buffer` and returns the index after it.
    static func appendEscape(_ bytes: UnsafeRawBufferPointer, at index: Int, to buffer: inout [UInt8]) throws(Failure) -> Int {
        let simple: UInt8? = switch bytes[index + 1] {
        case JSONByte.quote: JSONByte.quote
        case JSONByte.backslash: JSONByte.backslash
        case JSONByte.slash: JSONByte.slash
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): JSONByte.lineFeed
        case UInt8(ascii: "r"): JSONByte.carriageReturn
        case UInt8(ascii: "t"): JSONByte.tab
        default: nil
        }
        if let simple {
            buffer.append(simple)
            return index + 2
        }
        let (scalar, next) = try unicodeEscape(bytes, at: index)
        UTF8.encode(scalar) { buffer.append($0) }
        return next
    }

    /// Decodes `\uXXXX`, combining a UTF-16 surrogate pair written as two escapes.
    /// Unpaired surrogates are rejected because they cannot be represented in a `String`.
    private static func unicodeEscape(_ bytes: UnsafeRawBufferPointer, at index: Int) throws(Failure) -> (Unicode.Scalar, Int) {
        let first = try hexQuad(bytes, at: index)
        if let scalar = Unicode.Scalar(first) {
            return (scalar, index + 6)
        }
        let unpaired = Failure(offset: index, message: "unpaired UTF-16 surrogate \\u\(String(first, radix: 16, uppercase: true))")
        let lowIndex = index + 6
        guard (0xD800...0xDBFF).contains(first),
              lowIndex + 1 < bytes.count,
              bytes[lowIndex] == JSONByte.backslash,
              bytes[lowIndex + 1] == JSONByte.lowercaseU
        else { throw unpaired }
        let second = try hexQuad(bytes, at: lowIndex)
        guard (0xDC00...0xDFFF).contains(second) else { throw unpaired }
        let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        // A valid pair always yields a scalar in U+10000...U+10FFFF.
        return (Unicode.Scalar(combined)!, lowIndex + 6)
    }

    /// The value of the four hex digits following `\u` at `index`.
    private static func hexQuad(_ bytes: UnsafeRawBufferPointer, at index: Int) throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for offset in 2..<6 {
            guard index + offset < bytes.count, let digit = JSONByte.hexValue(bytes[index + offset]) else {
                throw Failure(offset: index, message: "expected four hex digits after '\\u'")
            }
            value = value << 4 | digit
        }
        return value
    }

    private static func describeEscape(_ byte: UInt8) -> String {
        byte > 0x20 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : JSONByte.describe(byte)
    }
}
