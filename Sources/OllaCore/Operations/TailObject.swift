/// A JSON object in the tail of a response, read in place: checked with the same grammar as
/// `JSONParser` while its members are visited, values never built. What `TokenScanner`
/// reads usage from, at a few instructions per byte and no allocation.
struct TailObject {
    /// The object's bytes (possibly with surrounding whitespace).
    let bytes: UnsafeRawBufferPointer

    /// One member: its key and where its value is, with readers for the few value shapes
    /// usage is made of.
    struct Member {
        let bytes: UnsafeRawBufferPointer
        let key: JSONStringLiteral.Extent
        let value: Range<Int>

        /// Whether the key, after unescaping, is `name` (an ASCII name). Keys without escapes,
        /// the only ones backends write, are compared in place.
        func keyIs(_ name: StaticString) -> Bool {
            key.matches(name, in: bytes)
        }

        /// The key's length in bytes when it has no escapes (its text is its bytes); nil
        /// when it has some, and only `keyIs` can tell what it says.
        var plainKeyLength: Int? {
            key.hasEscapes ? nil : key.contentEnd - key.contentStart
        }

        /// The value when it is a non-negative integer written without fraction or exponent
        /// that fits in `Int` (what `JSONNumber.integerValue` accepts, `-0` included); nil otherwise.
        var count: Int? {
            var index = value.lowerBound
            let negative = bytes[index] == JSONByte.minus
            if negative { index += 1 }
            guard index < value.upperBound, JSONByte.isDigit(bytes[index]) else { return nil }
            var result = 0
            // Up to 18 digits cannot overflow `Int`: no overflow checks for them.
            if value.upperBound - index <= 18 {
                while index < value.upperBound {
                    let digit = bytes[index] &- JSONByte.zero
                    guard digit < 10 else { return nil }
                    result = result &* 10 &+ Int(digit)
                    index += 1
                }
                return negative && result != 0 ? nil : result
            }
            while index < value.upperBound {
                let byte = bytes[index]
                guard JSONByte.isDigit(byte) else { return nil }
                let (times10, overflow) = result.multipliedReportingOverflow(by: 10)
                let (sum, overflowAdd) = times10.addingReportingOverflow(Int(byte - JSONByte.zero))
                guard !overflow, !overflowAdd else { return nil }
                result = sum
                index += 1
            }
            return negative && result != 0 ? nil : result
        }

        /// Whether the value is the literal `true` (the object was checked, so a `t` is `true`).
        var isTrue: Bool { bytes[value.lowerBound] == UInt8(ascii: "t") }

        /// Whether the value is a string equal to `text` (an ASCII text) after unescaping.
        func isString(_ text: StaticString) -> Bool {
            guard bytes[value.lowerBound] == JSONByte.quote,
                  let extent = try? JSONStringLiteral.scan(bytes, from: value.lowerBound) else { return false }
            return extent.matches(text, in: bytes)
        }

        /// The value when it is an object.
        var object: TailObject? {
            bytes[value.lowerBound] == JSONByte.openBrace
                ? TailObject(bytes: UnsafeRawBufferPointer(rebasing: bytes[value])) : nil
        }
    }

    /// Visits every member in order when `bytes` is exactly one JSON object (whitespace
    /// around it allowed) whose nesting, counting the object itself, is at most `maxDepth`.
    /// Returns false otherwise; members before the fault may have been visited.
    func walk(maxDepth: Int? = nil, _ visit: (Member) -> Void) -> Bool {
        var walker = JSONTopLevelWalker(bytes: bytes, maxDepth: maxDepth)
        return walker.walkMembers { member in
            visit(Member(bytes: bytes, key: member.key, value: member.valueRange))
            return true
        }
    }
}
