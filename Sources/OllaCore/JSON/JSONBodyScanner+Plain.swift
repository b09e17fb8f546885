/// A request body written the plain way, read in one pass without the general walk.
///
/// Clients send bodies of printable ASCII: the text of a prompt is escaped (`\n`, `\"`) only
/// where it has such a character, and most small requests have none. One SIMD check of the
/// whole body that it holds no byte below 0x20 or above 0x7F and no backslash makes every
/// string in it plain: a string ends at the next quote and needs no decoding, and the only
/// whitespace left is the space. What is left to check is the structure, a few tests per
/// token (`JSONTopLevelWalker` takes ~25 instructions per byte of the bench's 97-byte body).
extension JSONBodyScanner {
    /// What `walkedSummary` answers for `body`, when `body` is printable ASCII without a
    /// backslash, is one well-formed object whose values nest at most 64 deep, and has at
    /// most spaces around its tokens. Nil (undecided) for anything else — a tab or a line
    /// feed, an escape, a byte above 0x7F, deeper nesting, any malformed byte — and the walk
    /// answers. Whatever it decides is what the walk decides (`JSONBodySummaryTests`).
    static func plainSummary(of body: UnsafeRawBufferPointer, modelKeys: [String]) -> RequestBodySummary? {
        guard let base = body.baseAddress, ByteSearch.isPlainText(base, count: body.count) else { return nil }
        var text = PlainText(base: base, end: body.count)
        var model: (rank: Int, value: String)?
        var keepAlive: Range<Int>?, prompt: Range<Int>?, messages: Range<Int>?
        text.skipSpaces()
        guard text.consume(JSONByte.openBrace) else { return nil }
        text.skipSpaces()
        if !text.consume(JSONByte.closeBrace) {
            repeat {
                guard let key = text.key() else { return nil }
                text.skipSpaces()
                let valueStart = text.index
                guard text.skipValue() else { return nil }
                let value = valueStart..<text.index
                // As the walk's visit: a string under a model key of a better rank is the
                // model; any other member may be one of the three names (keys are plain).
                let extent = JSONStringLiteral.Extent(contentStart: key.start, contentEnd: key.end, hasEscapes: false)
                if body[valueStart] == JSONByte.quote, let rank = rank(of: extent, in: body, among: modelKeys),
                   model.map({ rank < $0.rank }) ?? true {
                    // Printable ASCII between the quotes: the String's bytes as they stand.
                    model = (rank, String(decoding: UnsafeRawBufferPointer(rebasing: body[(valueStart + 1)..<(value.upperBound - 1)]),
                                          as: UTF8.self))
                } else {
                    // Compared a word at a time: the length already matched.
                    let name = base + key.start
                    switch key.end - key.start {
                    case 10: if keepAlive == nil, ByteSearch.equalsWordwise(name, "keep_alive") { keepAlive = value }
                    case 6: if prompt == nil, ByteSearch.equalsWordwise(name, "prompt") { prompt = value }
                    case 8: if messages == nil, ByteSearch.equalsWordwise(name, "messages") { messages = value }
                    default: break
                    }
                }
                text.skipSpaces()
            } while text.consume(JSONByte.comma)
            guard text.consume(JSONByte.closeBrace) else { return nil }
        }
        text.skipSpaces()
        guard text.index == body.count else { return nil }
        return summary(model: model?.value, keepAlive: keepAlive, prompt: prompt, messages: messages, in: body)
    }
}

/// A cursor over text already checked by `ByteSearch.isPlainText`: a string literal is valid
/// exactly when a closing quote follows, and the only whitespace is the space. Every read is
/// at an index below `end`. The grammar is the walk's (`JSONTopLevelWalker`), restricted to
/// such text; anything it does not accept is left to the walk.
private struct PlainText: JSONNumberCursor {
    /// A key's content: from `start` up to its closing quote at `end`.
    struct Key {
        var start: Int
        var end: Int
    }

    let base: UnsafeRawPointer
    let end: Int
    var index = 0

    init(base: UnsafeRawPointer, end: Int) {
        self.base = base
        self.end = end
    }

    /// The byte at `at`, or 0 (no JSON token starts with it) at or past `end`.
    @inline(__always)
    func byte(at: Int) -> UInt8 {
        at < end ? base.load(fromByteOffset: at, as: UInt8.self) : 0
    }

    @inline(__always)
    mutating func skipSpaces() {
        while byte(at: index) == JSONByte.space { index &+= 1 }
    }

    /// Consumes `byte` if it is next.
    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        guard self.byte(at: index) == byte else { return false }
        index &+= 1
        return true
    }

    /// Spaces, `"key"`, spaces and the colon; the key's content.
    @inline(__always)
    mutating func key() -> Key? {
        skipSpaces()
        guard byte(at: index) == JSONByte.quote, let close = ByteSearch.firstQuote(base, from: index &+ 1, end: end) else {
            return nil
        }
        let key = Key(start: index &+ 1, end: close)
        index = close &+ 1
        skipSpaces()
        return consume(JSONByte.colon) ? key : nil
    }

    /// Skips one value (after spaces) of at most 64 levels of nesting, checking its syntax
    /// as `JSONTopLevelWalker.skipValue` does; false for anything else.
    mutating func skipValue() -> Bool {
        // One bit per open container, set for an object.
        var objects: UInt64 = 0
        var depth = 0
        while true {
            skipSpaces()
            let first = byte(at: index)
            switch first {
            case JSONByte.openBrace, JSONByte.openBracket:
                let isObject = first == JSONByte.openBrace
                index &+= 1
                skipSpaces()
                if consume(isObject ? JSONByte.closeBrace : JSONByte.closeBracket) { break }
                guard depth < 64 else { return false }
                if isObject { objects |= 1 << UInt64(depth) } else { objects &= ~(1 << UInt64(depth)) }
                depth &+= 1
                if isObject, key() == nil { return false }
                continue
            case JSONByte.quote:
                guard let close = ByteSearch.firstQuote(base, from: index &+ 1, end: end) else { return false }
                index = close &+ 1
            case JSONByte.minus, JSONByte.zero...JSONByte.nine:
                guard skipNumber() else { return false }
            case UInt8(ascii: "t"):
                guard literal("true") else { return false }
            case UInt8(ascii: "f"):
                guard literal("false") else { return false }
            case UInt8(ascii: "n"):
                guard literal("null") else { return false }
            default:
                return false
            }
            // A value is complete: close containers until a comma or the end of the skip.
            var next = false
            while depth > 0 {
                skipSpaces()
                let byte = byte(at: index)
                index &+= 1
                let isObject = objects & (1 << UInt64(depth &- 1)) != 0
                if byte == JSONByte.comma {
                    if isObject, key() == nil { return false }
                    next = true
                    break
                }
                guard byte == (isObject ? JSONByte.closeBrace : JSONByte.closeBracket) else { return false }
                depth &-= 1
            }
            if !next { return true }
        }
    }

    /// Whether the next byte is an ASCII digit; false at the end.
    @inline(__always)
    func nextIsDigit() -> Bool {
        JSONByte.isDigit(byte(at: index))
    }

    /// One or more digits; false if there is none.
    @inline(__always)
    mutating func skipDigits() -> Bool {
        let start = index
        while JSONByte.isDigit(byte(at: index)) { index &+= 1 }
        return index > start
    }

    @inline(__always)
    private mutating func literal(_ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard index &+ length <= end else { return false }
        for offset in 0..<length where base.load(fromByteOffset: index &+ offset, as: UInt8.self) != word.utf8Start[offset] {
            return false
        }
        index &+= length
        return true
    }
}
