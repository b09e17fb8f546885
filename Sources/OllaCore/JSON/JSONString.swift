/// The one JSON string escaper: every JSON text Olla writes (answers, error bodies, stream
/// trailers, status pages, JSON log lines) quotes its strings here.
///
/// The output is what Go's `encoding/json` writes (`appendString` in `encode.go`, Go 1.22
/// and later), because Ollama is a Go program and Olla's answers should match its bytes:
/// - `"` and `\` as `\"` and `\\`; the short forms `\b \f \n \r \t`; every other byte below
///   0x20 as `\u00XX` (lowercase hex). DEL (0x7F) and `/` stay as they are.
/// - `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026` when escaping HTML (Go's
///   `json.Marshal` and so gin's `c.JSON`, which Ollama answers with).
/// - U+2028 and U+2029 as `\u2028` and `\u2029`: valid JSON (RFC 8259 §7), but they end
///   lines in JavaScript source.
/// - Bytes that are not valid UTF-8 as `\ufffd`, one per byte, as Go's `utf8.DecodeRune`
///   reads them (RFC 8259 §8.1 requires UTF-8). A Swift `String` is always valid UTF-8;
///   byte input may not be.
/// - All other text, ASCII or not, as raw UTF-8.
public enum JSONString {
    /// Appends `text` to `output` as a quoted JSON string literal.
    public static func append(_ text: String, to output: inout [UInt8], escapingHTML: Bool = true) {
        var text = text
        text.withUTF8 { append(utf8: UnsafeRawBufferPointer($0), to: &output, escapingHTML: escapingHTML) }
    }

    /// Appends UTF-8 `bytes` to `output` as a quoted JSON string literal; invalid UTF-8
    /// becomes `\ufffd`.
    public static func append(utf8 bytes: UnsafeRawBufferPointer, to output: inout [UInt8], escapingHTML: Bool = true) {
        output.append(JSONByte.quote)
        var start = 0
        var index = 0
        while index < bytes.count {
            if !escapingHTML {
                // Plain ASCII (no control byte, quote or backslash: the text of an access-log
                // line) is passed a word at a time; what stops the skip is handled below.
                index = ByteSearch.skipPlainStringBytes(in: bytes, from: index)
                guard index < bytes.count else { break }
            }
            let byte = bytes[index]
            if byte < 0x80 {
                if isPlain(byte, escapingHTML: escapingHTML) {
                    index += 1
                    continue
                }
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                appendEscape(of: byte, to: &output)
                index += 1
                start = index
                continue
            }
            let length = UTF8Sequence.length(in: bytes, at: index)
            let lineSeparator = length == 3 && byte == 0xE2 && bytes[index + 1] == 0x80
                && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9)
            if length > 0 && !lineSeparator {
                index += length
                continue
            }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            if lineSeparator {
                output.append(contentsOf: (bytes[index + 2] == 0xA8 ? #"\u2028"# : #"\u2029"#).utf8)
                index += 3
            } else {
                output.append(contentsOf: #"\ufffd"#.utf8)
                index += 1
            }
            start = index
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
        output.append(JSONByte.quote)
    }

    /// `text` as a quoted JSON string literal.
    public static func quote(_ text: String, escapingHTML: Bool = true) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 2)
        append(text, to: &output, escapingHTML: escapingHTML)
        return String(decoding: output, as: UTF8.self)
    }

    /// Whether an ASCII byte is written as itself.
    @inline(__always)
    private static func isPlain(_ byte: UInt8, escapingHTML: Bool) -> Bool {
        switch byte {
        case 0x00..<0x20, JSONByte.quote, JSONByte.backslash: false
        case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"): !escapingHTML
        default: true
        }
    }

    /// Appends the escape of an ASCII byte `isPlain` refused.
    private static func appendEscape(of byte: UInt8, to output: inout [UInt8]) {
        switch byte {
        case JSONByte.quote, JSONByte.backslash: output.append(contentsOf: [JSONByte.backslash, byte])
        case 0x08: output.append(contentsOf: #"\b"#.utf8)
        case 0x0C: output.append(contentsOf: #"\f"#.utf8)
        case JSONByte.lineFeed: output.append(contentsOf: #"\n"#.utf8)
        case JSONByte.carriageReturn: output.append(contentsOf: #"\r"#.utf8)
        case JSONByte.tab: output.append(contentsOf: #"\t"#.utf8)
        default:
            let digits: StaticString = "0123456789abcdef"
            output.append(contentsOf: #"\u00"#.utf8)
            output.append(digits.utf8Start[Int(byte >> 4)])
            output.append(digits.utf8Start[Int(byte & 0xF)])
        }
    }
}

/// Well-formed UTF-8 sequences (RFC 3629 §4; the Unicode Standard's table 3-7), as Go's
/// `utf8.DecodeRune` accepts them: no overlong forms, no surrogates, nothing past U+10FFFF.
enum UTF8Sequence {
    /// The length of the well-formed sequence that starts at `index` (2...4), or 0 when the
    /// byte there does not start one (a stray continuation byte, an invalid lead byte, or a
    /// sequence cut short).
    static func length(in bytes: UnsafeRawBufferPointer, at index: Int) -> Int {
        let lead = bytes[index]
        let (length, secondRange): (Int, ClosedRange<UInt8>) = switch lead {
        case 0xC2...0xDF: (2, 0x80...0xBF)
        case 0xE0: (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80...0xBF)
        case 0xED: (3, 0x80...0x9F)
        case 0xF0: (4, 0x90...0xBF)
        case 0xF1...0xF3: (4, 0x80...0xBF)
        case 0xF4: (4, 0x80...0x8F)
        default: (0, 0x80...0xBF)
        }
        guard length > 0, index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { return 0 }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
            return 0
        }
        return length
    }
}
