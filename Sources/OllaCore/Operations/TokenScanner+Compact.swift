/// Ollama's final line when it is written the way Ollama writes it: compact JSON in
/// printable ASCII without escapes. One check of the whole line (sixteen bytes per step)
/// makes every string in it plain, so a string ends at the next quote and the members are
/// read with few tests per byte: ~1 K instructions for the 297-byte answer of a small chat
/// request, where the general one pass (`ollamaUsageInOnePass`) takes ~4 K.
extension TokenScanner {
    /// What `ollamaUsageWalking` answers for `record`, when `record` is one compact object
    /// (no whitespace but after it) of printable ASCII without a backslash, whose values
    /// are strings, integers of up to 18 digits, literals and objects of such members.
    /// Nil (undecided) for anything else — whitespace between tokens, a fraction or an
    /// exponent, a leading zero, an array, deeper nesting, any malformed byte — and the
    /// general one pass answers. Whatever it decides is what the walk decides
    /// (`TokenScannerOnePassTests`).
    static func ollamaUsageCompact(_ record: UnsafeRawBufferPointer) -> TokenUsage?? {
        guard let base = record.baseAddress else { return nil }
        var end = record.count
        while end > 0, JSONByte.isWhitespace(base.load(fromByteOffset: end &- 1, as: UInt8.self)) { end &-= 1 }
        guard end >= 2, base.load(as: UInt8.self) == JSONByte.openBrace,
              CompactLine.isPlain(base, count: end) else { return nil }
        var line = CompactLine(base: base, end: end)
        var fields = OllamaFinalLineFields()
        line.index = 1
        if line.byte(at: 1) == JSONByte.closeBrace {
            line.index = 2
        } else {
            while true {
                guard let key = line.key() else { return nil }
                var value = CompactLine.Value()
                if line.byte(at: line.index) == JSONByte.openBrace {
                    guard line.flatObject() else { return nil }
                } else {
                    guard let scalar = line.scalar() else { return nil }
                    value = scalar
                }
                fields.take(keyLength: key.length, isTrue: value.isTrue, count: value.count) { line.keyIs($0, key) }
                guard let more = line.separator() else { return nil }
                if !more { break }
            }
        }
        guard line.index == end else { return nil }
        return .some(fields.usage)
    }
}

/// A cursor over a compact line already checked by `isPlain`: every byte before `end` is
/// printable ASCII and none is a backslash, so a string literal is valid exactly when a
/// closing quote follows. Every read is at an index below `end`.
private struct CompactLine {
    /// What the final line's fields need of a value (as `TailObject.Member` reads it).
    struct Value {
        /// The literal `true`.
        var isTrue = false
        /// A non-negative integer (`-0` is 0); nil for any other value.
        var count: Int?
    }

    /// A key's content: where it starts and how long it is.
    struct Key {
        var start: Int
        var length: Int
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

    /// Whether the `count` bytes at `base` are printable ASCII without a backslash
    /// (`ByteSearch.isPlainText`).
    static func isPlain(_ base: UnsafeRawPointer, count: Int) -> Bool {
        ByteSearch.isPlainText(base, count: count)
    }

    /// The index of the next quote at or after `from`; nil when none is left before `end`.
    @inline(__always)
    func quote(from: Int) -> Int? {
        ByteSearch.firstQuote(base, from: from, end: end)
    }

    /// `"key":` at `index` (no whitespace); nil when it is not there.
    @inline(__always)
    mutating func key() -> Key? {
        guard byte(at: index) == JSONByte.quote, let close = quote(from: index &+ 1),
              byte(at: close &+ 1) == JSONByte.colon else { return nil }
        let key = Key(start: index &+ 1, length: close &- index &- 1)
        index = close &+ 2
        return key
    }

    /// Whether `key` is `name` (at least four bytes), compared a word at a time.
    @inline(__always)
    func keyIs(_ name: StaticString, _ key: Key) -> Bool {
        key.length == name.utf8CodeUnitCount && ByteSearch.equalsWordwise(base + key.start, name)
    }

    /// A string, an integer or a literal at `index`; nil for anything else.
    @inline(__always)
    mutating func scalar() -> Value? {
        switch byte(at: index) {
        case JSONByte.quote:
            guard let close = quote(from: index &+ 1) else { return nil }
            index = close &+ 1
            return Value()
        case JSONByte.minus, JSONByte.zero...JSONByte.nine:
            return integer()
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

    /// An integer of up to 18 digits (which cannot overflow) not followed by a fraction,
    /// an exponent or another digit; nil for anything else, valid or not.
    @inline(__always)
    private mutating func integer() -> Value? {
        var i = index
        let negative = byte(at: i) == JSONByte.minus
        if negative { i &+= 1 }
        let first = i
        var magnitude = 0
        if byte(at: i) == JSONByte.zero {
            i &+= 1
        } else {
            while true {
                let digit = byte(at: i) &- JSONByte.zero
                guard digit < 10 else { break }
                magnitude = magnitude &* 10 &+ Int(digit)
                i &+= 1
            }
        }
        guard i > first, i &- first <= 18 else { return nil }
        let next = byte(at: i)
        guard next &- JSONByte.zero >= 10, next != JSONByte.dot, next != JSONByte.lowercaseE,
              next != JSONByte.uppercaseE else { return nil }
        index = i
        return Value(count: negative && magnitude != 0 ? nil : magnitude)
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

    /// An object at `index` whose members are strings, integers or literals (the message);
    /// false for anything else.
    @inline(__always)
    mutating func flatObject() -> Bool {
        index &+= 1
        if byte(at: index) == JSONByte.closeBrace {
            index &+= 1
            return true
        }
        while true {
            guard key() != nil, scalar() != nil, let more = separator() else { return false }
            if !more { return true }
        }
    }

    /// `,` (true: another member follows) or `}` (false) at `index`; nil otherwise.
    @inline(__always)
    mutating func separator() -> Bool? {
        let byte = byte(at: index)
        index &+= 1
        if byte == JSONByte.comma { return true }
        if byte == JSONByte.closeBrace { return false }
        return nil
    }
}
