extension JSONWriter {
    /// Appends `text` as a quoted JSON string literal.
    ///
    /// Escaping follows Go's `encoding/json` (Go 1.22 and later): `\"`, `\\`, the short
    /// forms `\b \f \n \r \t`, `\u00XX` (lowercase hex) for other control characters,
    /// `\u2028`/`\u2029` always, and `<`, `>`, `&` when `escapesHTML` is set. Everything
    /// else, including other non-ASCII text, is written as raw UTF-8.
    public func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(JSONByte.quote)
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case JSONByte.quote: output.append(contentsOf: #"\""#.utf8)
            case JSONByte.backslash: output.append(contentsOf: #"\\"#.utf8)
            case JSONByte.lineFeed: output.append(contentsOf: #"\n"#.utf8)
            case JSONByte.carriageReturn: output.append(contentsOf: #"\r"#.utf8)
            case JSONByte.tab: output.append(contentsOf: #"\t"#.utf8)
            case 0x08: output.append(contentsOf: #"\b"#.utf8)
            case 0x0C: output.append(contentsOf: #"\f"#.utf8)
            case 0x00..<0x20:
                appendUnicodeEscape(UInt32(byte), to: &output)
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                if escapesHTML {
                    appendUnicodeEscape(UInt32(byte), to: &output)
                } else {
                    output.append(byte)
                }
            case 0xE2 where index + 1 < bytes.count && bytes[index] == 0x80
                && (bytes[index + 1] == 0xA8 || bytes[index + 1] == 0xA9):
                // U+2028 and U+2029 are valid in JSON but end lines in JavaScript source,
                // so Go escapes them; so do we.
                appendUnicodeEscape(bytes[index + 1] == 0xA8 ? 0x2028 : 0x2029, to: &output)
                index += 2
            default:
                output.append(byte)
            }
        }
        output.append(JSONByte.quote)
    }

    /// Appends `\uXXXX` with lowercase hex digits, for a value in the Basic Multilingual Plane.
    private func appendUnicodeEscape(_ value: UInt32, to output: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        output.append(contentsOf: #"\u"#.utf8)
        for shift in stride(from: 12, through: 0, by: -4) {
            output.append(digits.utf8Start[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
