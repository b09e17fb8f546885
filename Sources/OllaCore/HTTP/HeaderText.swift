/// Header names and values received as bytes, made into Strings.
///
/// Every request and every backend answer brings a handful of fields whose names, and often
/// values, are the same few spellings (`Content-Type`, `Content-Length`, `Date`, `Host`,
/// `keep-alive`, `application/json`...). Decoding one with `String(decoding:as:)` validates
/// its UTF-8 and builds a String, ~230 instructions, plus a heap block past 15 bytes
/// (`application/json` is 16); comparing the bytes with a literal of the same length and
/// handing out that literal costs ~20, and a literal is never allocated, retained or freed.
/// A spelling not in the table (any other letter case included: the bytes are kept exactly
/// as received) is decoded as before.
public enum HeaderText {
    /// `bytes` as a String: a literal when they spell one of the common names or values
    /// exactly (byte for byte, letter case included), otherwise decoded, with invalid UTF-8
    /// repaired as `String(decoding:as:)` repairs it.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> String {
        if let common = common(bytes) { return common }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The literal `bytes` spell, picked by length: at most two comparisons per field.
    /// HeaderTextTests checks that each literal is returned for its own bytes and that
    /// every other spelling is decoded.
    static func common(_ bytes: UnsafeRawBufferPointer) -> String? {
        switch bytes.count {
        case 4:
            if spells(bytes, "Date") { return "Date" }
            if spells(bytes, "Host") { return "Host" }
        case 5:
            if spells(bytes, "close") { return "close" }
        case 6:
            if spells(bytes, "Server") { return "Server" }
            if spells(bytes, "Accept") { return "Accept" }
        case 7:
            if spells(bytes, "chunked") { return "chunked" }
        case 10:
            if spells(bytes, "Connection") { return "Connection" }
            if spells(bytes, "keep-alive") { return "keep-alive" }
        case 12:
            if spells(bytes, "Content-Type") { return "Content-Type" }
        case 14:
            if spells(bytes, "Content-Length") { return "Content-Length" }
        case 16:
            if spells(bytes, "application/json") { return "application/json" }
        case 17:
            if spells(bytes, "Transfer-Encoding") { return "Transfer-Encoding" }
            if spells(bytes, "text/event-stream") { return "text/event-stream" }
        case 20:
            if spells(bytes, "application/x-ndjson") { return "application/x-ndjson" }
        case 31:
            // What Ollama's Go server sends with a JSON answer.
            if spells(bytes, "application/json; charset=utf-8") { return "application/json; charset=utf-8" }
        default:
            break
        }
        return nil
    }

    /// Whether `bytes` are exactly `literal`'s bytes (compared eight at a time by `ByteSearch`).
    @inline(__always)
    private static func spells(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        return bytes.count == expected.count && ByteSearch.hasPrefix(expected, in: bytes, at: 0)
    }
}
