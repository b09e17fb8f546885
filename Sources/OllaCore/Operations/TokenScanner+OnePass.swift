/// Ollama's final line read in one pass: the largest part of a stream end's own work.
extension TokenScanner {
    /// What `ollamaUsageWalking` answers for `record`, read in one pass over its bytes: the
    /// members are checked with the walker's grammar (plain strings a word at a time, any
    /// other through `JSONStringLiteral.scan`; the number grammar of `skipNumber`; a nested
    /// object of plain members read here, anything deeper through `skipValue` with the same
    /// depth limit) while the seven fields are read, so a
    /// count is not parsed a second time and no visitor runs per member: 4.4 K instructions
    /// for Ollama's ~300-byte final line where the walk took 7 K.
    ///
    /// Nil when this pass does not decide — a key spelled with escapes (only `keyIs` can
    /// tell what it says), or anything malformed — and the walk answers as before. Whatever
    /// it decides is what the walk decides (`TokenScannerOnePassTests`).
    static func ollamaUsageInOnePass(_ record: UnsafeRawBufferPointer) -> TokenUsage?? {
        guard let base = record.baseAddress else { return nil }
        var line = OnePassObject(bytes: record, base: base)
        var fields = OllamaFinalLineFields()
        guard line.opens() else { return nil }
        if !line.closesAtOnce() {
            while true {
                guard let key = line.key(), let value = line.value() else { return nil }
                fields.take(keyLength: key.contentEnd - key.contentStart, isTrue: value.isTrue, count: value.count) { line.keyIs($0, key) }
                guard let more = line.separator() else { return nil }
                if !more { break }
            }
        }
        guard line.endsHere() else { return nil }
        return .some(fields.usage)
    }

    /// What `openAIUsageWalking` answers for `record` (an OpenAI chunk or body: the last
    /// top-level `usage` object's `prompt_tokens` and `completion_tokens`), read in one pass
    /// the same way: the usage object's members are read while it is checked, instead of a
    /// second walk over it. Nil when this pass does not decide (a key with escapes, a usage
    /// object holding objects or arrays, anything malformed).
    static func openAIUsageInOnePass(_ record: UnsafeRawBufferPointer) -> TokenUsage?? {
        guard let base = record.baseAddress else { return nil }
        var chunk = OnePassObject(bytes: record, base: base)
        /// The last top-level `usage` member: nil before one, `.some(nil)` when its value is
        /// not an object (`null`), else its two counts.
        var usage: (prompt: Int?, completion: Int?)?? = nil
        guard chunk.opens() else { return nil }
        if !chunk.closesAtOnce() {
            while true {
                guard let key = chunk.key() else { return nil }
                if chunk.keyIs("usage", key), chunk.startsObject {
                    guard let counts = chunk.countsObject("prompt_tokens", "completion_tokens") else { return nil }
                    usage = .some(counts)
                } else {
                    guard chunk.value() != nil else { return nil }
                    if chunk.keyIs("usage", key) { usage = .some(nil) }
                }
                guard let more = chunk.separator() else { return nil }
                if !more { break }
            }
        }
        guard chunk.endsHere() else { return nil }
        guard let counts = usage ?? nil, counts.prompt != nil || counts.completion != nil else { return .some(nil) }
        return TokenUsage(promptTokens: counts.prompt ?? 0, completionTokens: counts.completion ?? 0)
    }
}

/// A cursor over one JSON object for `ollamaUsageInOnePass`: each step mirrors a step of
/// `JSONTopLevelWalker` and returns nil where the walker would fail (or where the one pass
/// leaves the decision to it). Every step is inlined into the one pass, so the cursor
/// lives in registers.
private struct OnePassObject {
    /// What the final line's fields need of a value.
    struct Value {
        /// The literal `true`.
        var isTrue = false
        /// A non-negative integer without fraction or exponent that fits `Int` (`-0` is 0):
        /// what `TailObject.Member.count` accepts.
        var count: Int?
    }

    let bytes: UnsafeRawBufferPointer
    /// `bytes.baseAddress` and `bytes.count`, kept apart: the buffer's own `count` checks for
    /// a nil base on every read.
    let base: UnsafeRawPointer
    let count: Int
    var index = 0

    init(bytes: UnsafeRawBufferPointer, base: UnsafeRawPointer) {
        self.bytes = bytes
        self.base = base
        count = bytes.count
    }

    /// Whitespace, then the object's `{`.
    @inline(__always)
    mutating func opens() -> Bool {
        skipWhitespace()
        return consume(JSONByte.openBrace)
    }

    /// Whitespace, then `}` of an empty object (consumed).
    @inline(__always)
    mutating func closesAtOnce() -> Bool {
        skipWhitespace()
        return consume(JSONByte.closeBrace)
    }

    /// `"key":` with whitespace around; nil when malformed or spelled with escapes.
    @inline(__always)
    mutating func key() -> JSONStringLiteral.Extent? {
        skipWhitespace()
        guard index < count, base.load(fromByteOffset: index, as: UInt8.self) == JSONByte.quote,
              let key = string(), !key.hasEscapes else { return nil }
        skipWhitespace()
        guard consume(JSONByte.colon) else { return nil }
        skipWhitespace()
        return key
    }

    /// Whether `key` (without escapes) is `name` (a field name, at least four bytes), compared a
    /// word at a time.
    @inline(__always)
    func keyIs(_ name: StaticString, _ key: JSONStringLiteral.Extent) -> Bool {
        key.contentEnd - key.contentStart == name.utf8CodeUnitCount
            && ByteSearch.equalsWordwise(base + key.contentStart, name)
    }

    /// One value of any kind, checked; nil when malformed.
    @inline(__always)
    mutating func value() -> Value? {
        guard index < count else { return nil }
        switch base.load(fromByteOffset: index, as: UInt8.self) {
        case JSONByte.openBrace, JSONByte.openBracket:
            // An object of plain members (the message) is read here; anything deeper is
            // skipped as the walk skips it, from its start, depth limit included.
            let start = index
            if flatObject() { return Value() }
            var walker = JSONTopLevelWalker(bytes: bytes, maxDepth: TokenScanner.maxDepth)
            walker.index = start
            guard walker.skipValue() else { return nil }
            index = walker.index
            return Value()
        default:
            return scalar()
        }
    }

    /// An object whose members are all strings, numbers or literals, with unescaped keys,
    /// checked as `skipValue` checks it; false (and `index` anywhere) for anything else.
    @inline(__always)
    private mutating func flatObject() -> Bool {
        guard consume(JSONByte.openBrace) else { return false }
        if closesAtOnce() { return true }
        while true {
            guard key() != nil, index < count else { return false }
            let first = base.load(fromByteOffset: index, as: UInt8.self)
            guard first != JSONByte.openBrace, first != JSONByte.openBracket, scalar() != nil,
                  let more = separator() else { return false }
            if !more { return true }
        }
    }

    /// Whether the next byte opens an object.
    @inline(__always)
    var startsObject: Bool {
        index < count && base.load(fromByteOffset: index, as: UInt8.self) == JSONByte.openBrace
    }

    /// An object of plain members (as `flatObject`), with the last `promptKey` and
    /// `completionKey` members' counts; nil for anything else.
    @inline(__always)
    mutating func countsObject(_ promptKey: StaticString, _ completionKey: StaticString) -> (prompt: Int?, completion: Int?)? {
        guard consume(JSONByte.openBrace) else { return nil }
        var prompt: Int?, completion: Int?
        if closesAtOnce() { return (nil, nil) }
        while true {
            guard let key = key(), index < count else { return nil }
            let first = base.load(fromByteOffset: index, as: UInt8.self)
            guard first != JSONByte.openBrace, first != JSONByte.openBracket, let value = scalar() else { return nil }
            if keyIs(promptKey, key) { prompt = value.count } else if keyIs(completionKey, key) { completion = value.count }
            guard let more = separator() else { return nil }
            if !more { return (prompt, completion) }
        }
    }

    /// A string, number or literal, checked; nil when malformed (or a container).
    @inline(__always)
    private mutating func scalar() -> Value? {
        guard index < count else { return nil }
        switch base.load(fromByteOffset: index, as: UInt8.self) {
        case JSONByte.quote:
            return string() == nil ? nil : Value()
        case JSONByte.minus, JSONByte.zero...JSONByte.nine:
            return number()
        case UInt8(ascii: "t"):
            return literal("true") ? Value(isTrue: true) : nil
        case UInt8(ascii: "f"):
            return literal("false") ? Value() : nil
        case UInt8(ascii: "n"):
            return literal("null") ? Value() : nil
        default:
            return nil
        }
    }

    /// After a member: true for `,` (another member follows), false for `}`; nil otherwise.
    @inline(__always)
    mutating func separator() -> Bool? {
        skipWhitespace()
        if consume(JSONByte.comma) { return true }
        if consume(JSONByte.closeBrace) { return false }
        return nil
    }

    /// Only whitespace after the object.
    @inline(__always)
    mutating func endsHere() -> Bool {
        skipWhitespace()
        return index == count
    }

    /// The string literal opening at `index`: plain text (ASCII without escapes or control
    /// bytes, what keys and most values are) is skipped a word at a time and ends at its
    /// quote; anything else is checked by `JSONStringLiteral.scan`, as the walk checks it.
    @inline(__always)
    private mutating func string() -> JSONStringLiteral.Extent? {
        let start = index
        let plainEnd = ByteSearch.skipPlainStringBytes(in: bytes, from: start + 1)
        if plainEnd < count, base.load(fromByteOffset: plainEnd, as: UInt8.self) == JSONByte.quote {
            index = plainEnd + 1
            return JSONStringLiteral.Extent(contentStart: start + 1, contentEnd: plainEnd, hasEscapes: false)
        }
        guard let extent = try? JSONStringLiteral.scan(bytes, from: start) else { return nil }
        index = extent.end
        return extent
    }

    /// A number by RFC 8259's grammar (as `JSONTopLevelWalker.skipNumber`), its integer value
    /// read on the way (as `TailObject.Member.count`: up to 18 digits cannot overflow). The
    /// position is kept in a local while the digits are read.
    @inline(__always)
    private mutating func number() -> Value? {
        var i = index
        func byte(_ at: Int) -> UInt8 { base.load(fromByteOffset: at, as: UInt8.self) }
        let negative = byte(i) == JSONByte.minus
        if negative { i &+= 1 }
        var magnitude = 0
        var overflow = false
        if i < count, byte(i) == JSONByte.zero {
            i &+= 1
            if i < count, JSONByte.isDigit(byte(i)) { return nil }
        } else {
            let first = i
            while i < count {
                let digit = byte(i) &- JSONByte.zero
                guard digit < 10 else { break }
                if i &- first < 18 {
                    magnitude = magnitude &* 10 &+ Int(digit)
                } else {
                    let (times10, overflowMultiply) = magnitude.multipliedReportingOverflow(by: 10)
                    let (sum, overflowAdd) = times10.addingReportingOverflow(Int(digit))
                    overflow = overflow || overflowMultiply || overflowAdd
                    magnitude = sum
                }
                i &+= 1
            }
            guard i > first else { return nil }
        }
        var integer = true
        if i < count, byte(i) == JSONByte.dot {
            integer = false
            i &+= 1
            guard let next = Self.digitsEnd(base, from: i, count: count) else { return nil }
            i = next
        }
        if i < count, byte(i) == JSONByte.lowercaseE || byte(i) == JSONByte.uppercaseE {
            integer = false
            i &+= 1
            if i < count, byte(i) == JSONByte.plus || byte(i) == JSONByte.minus { i &+= 1 }
            guard let next = Self.digitsEnd(base, from: i, count: count) else { return nil }
            i = next
        }
        index = i
        guard integer, !overflow, !negative || magnitude == 0 else { return Value() }
        return Value(count: magnitude)
    }

    /// Past one or more digits from `start`; nil when there is none.
    @inline(__always)
    private static func digitsEnd(_ base: UnsafeRawPointer, from start: Int, count: Int) -> Int? {
        var i = start
        while i < count, JSONByte.isDigit(base.load(fromByteOffset: i, as: UInt8.self)) { i &+= 1 }
        return i > start ? i : nil
    }

    @inline(__always)
    private mutating func literal(_ word: StaticString) -> Bool {
        guard ByteSearch.hasPrefix(word.bytes, in: bytes, at: index) else { return false }
        index += word.utf8CodeUnitCount
        return true
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        var i = index
        while i < count, JSONByte.isWhitespace(base.load(fromByteOffset: i, as: UInt8.self)) { i &+= 1 }
        index = i
    }

    @inline(__always)
    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < count, base.load(fromByteOffset: index, as: UInt8.self) == byte else { return false }
        index &+= 1
        return true
    }
}
