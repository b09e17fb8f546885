/// A single-pass, non-recursive walk over the members of a top-level JSON object.
///
/// Values are skipped with a syntax check but never built; only the caller decides
/// which (few) values to decode. Any malformed, truncated or non-object input makes the
/// walk fail rather than trap, because this runs on untrusted request bodies.
struct JSONTopLevelWalker: JSONNumberCursor {
    /// One member of the top-level object as byte ranges into the buffer.
    struct Member {
        let key: JSONStringLiteral.Extent
        let valueRange: Range<Int>
    }

    let bytes: UnsafeRawBufferPointer
    var index = 0
    /// How deeply a member's value may nest: `JSONParser(maxDepth: n)` accepts an object
    /// whose values nest `n - 1` deep, since the object itself is one level. Without a
    /// `maxDepth`, values may nest as deep as the stack holds.
    let valueDepthLimit: Int

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int? = nil) {
        self.bytes = bytes
        self.valueDepthLimit = maxDepth.map { max(0, $0 - 1) } ?? JSONNestingStack.capacity
    }

    /// Calls `visit` for each top-level member in order. `visit` returns false to signal
    /// the input is unusable (e.g. a matched value isn't valid UTF-8).
    /// Returns true only if the whole buffer is one well-formed object (plus whitespace)
    /// and every visit succeeded.
    mutating func walkMembers(_ visit: (Member) -> Bool) -> Bool {
        skipWhitespace()
        guard consume(JSONByte.openBrace) else { return false }
        skipWhitespace()
        if !consume(JSONByte.closeBrace) {
            repeat {
                guard let member = nextMember(), visit(member) else { return false }
                skipWhitespace()
            } while consume(JSONByte.comma)
            guard consume(JSONByte.closeBrace) else { return false }
        }
        skipWhitespace()
        return index == bytes.count
    }

    /// Reads `"key": value` starting at optional whitespace before the key.
    private mutating func nextMember() -> Member? {
        guard let key = skipKeyAndColon() else { return nil }
        skipWhitespace()
        let valueStart = index
        guard skipValue() else { return nil }
        return Member(key: key, valueRange: valueStart..<index)
    }

    /// Skips whitespace, a string key, whitespace and the colon; returns the key's extent.
    mutating func skipKeyAndColon() -> JSONStringLiteral.Extent? {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == JSONByte.quote, let key = string(at: index) else { return nil }
        index = key.end
        skipWhitespace()
        return consume(JSONByte.colon) ? key : nil
    }

    /// The string literal whose opening quote is at `start`: plain text (ASCII without
    /// escapes or control bytes, what keys and most values are) ends at a quote found a word
    /// at a time, without a call; anything else is checked by `JSONStringLiteral.scan`.
    @inline(__always)
    func string(at start: Int) -> JSONStringLiteral.Extent? {
        let plainEnd = ByteSearch.skipPlainStringBytes(in: bytes, from: start + 1)
        if plainEnd < bytes.count, bytes[plainEnd] == JSONByte.quote {
            return JSONStringLiteral.Extent(contentStart: start + 1, contentEnd: plainEnd, hasEscapes: false)
        }
        return try? JSONStringLiteral.scan(bytes, from: start)
    }

    // MARK: Cursor helpers

    mutating func skipWhitespace() {
        while index < bytes.count, JSONByte.isWhitespace(bytes[index]) {
            index += 1
        }
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }
}
