/// Scanning and decoding of JSON string literals, shared by `JSONParser` and
/// `JSONBodyScanner` so both accept exactly the same strings.
///
/// Scanning (finding the closing quote and checking escapes) is separate from decoding
/// because the body scanner skips most strings and must not build them.
enum JSONStringLiteral {
    /// Where a string literal's content is, and whether decoding has escapes to resolve.
    struct Extent {
        /// Index of the first byte after the opening quote.
        let contentStart: Int
        /// Index of the closing quote.
        let contentEnd: Int
        /// Whether the content contains at least one backslash escape.
        let hasEscapes: Bool

        /// Index just past the closing quote.
        var end: Int { contentEnd + 1 }

        func content(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: bytes[contentStart..<contentEnd])
        }
    }

    /// A malformed literal: the byte offset to blame and a message.
    struct Failure: Error {
        let offset: Int
        let message: String
    }

    /// Finds the end of the string literal whose opening quote is at `start`, checking
    /// escapes and UTF-8 and rejecting raw control characters.
    static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(Failure) -> Extent {
        var index = start + 1
        var hasEscapes = false
        while index < bytes.count {
            // Long runs of plain text (a prompt, an image's base64) are skipped a word at a time.
            index = ByteSearch.skipPlainStringBytes(in: bytes, from: index)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == JSONByte.quote {
                return Extent(contentStart: start + 1, contentEnd: index, hasEscapes: hasEscapes)
            }
            if byte == JSONByte.backslash {
                hasEscapes = true
                index += try escapeLength(bytes, at: index)
            } else if byte < 0x20 {
                throw Failure(offset: index, message: controlCharacterMessage(byte))
            } else if byte >= 0x80 {
                index += try utf8SequenceLength(bytes, at: index)
            } else {
                index += 1
            }
        }
        throw Failure(offset: start, message: "unterminated string")
    }

    /// Decodes the content of a scanned literal into a `String`, resolving escapes
    /// (including UTF-16 surrogate pairs). The extent must come from `scan`.
    static func decode(_ bytes: UnsafeRawBufferPointer, _ extent: Extent) throws(Failure) -> String {
        if !extent.hasEscapes {
            let content = extent.content(in: bytes)
            // ASCII (a model name, in practice: this decodes one per request) is valid UTF-8 as
            // it stands, and `String(decoding:)` builds the same String from it; the generic
            // `String(validating:)` cost ~950 instructions for a five-byte name.
            if !content.contains(where: { $0 >= 0x80 }) { return String(decoding: content, as: UTF8.self) }
            return try validatedString(content, extent: extent)
        }
        // Escapes can only shrink the text, so the raw length is a safe capacity.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(extent.contentEnd - extent.contentStart)
        var index = extent.contentStart
        while index < extent.contentEnd {
            let byte = bytes[index]
            if byte == JSONByte.backslash {
                index = try appendEscape(bytes, at: index, to: &buffer)
            } else {
                buffer.append(byte)
                index += 1
            }
        }
        return try validatedString(buffer, extent: extent)
    }

    /// `scan` already validated the bytes; validating again when building the `String` is a
    /// cheap guard against an extent that did not come from `scan`.
    private static func validatedString(_ content: some Sequence<UInt8>, extent: Extent) throws(Failure) -> String {
        guard let text = String(validating: content, as: UTF8.self) else {
            throw Failure(offset: extent.contentStart - 1, message: "string is not valid UTF-8")
        }
        return text
    }

    static func controlCharacterMessage(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "control character U+" + String(repeating: "0", count: 4 - hex.count) + hex
            + " must be escaped inside a string"
    }
}
