extension JSONTopLevelWalker {
    /// What happened after looking at the start of a value.
    private enum ValueStart {
        /// A non-empty container was opened; its first value (after any key) comes next.
        case openedContainer
        /// A scalar or an empty container was consumed completely.
        case completed
        case invalid
    }

    /// What comes after a completed value inside the containers being skipped.
    private enum AfterValue {
        /// A comma (and, inside an object, the next key) was consumed; a value comes next.
        case nextValue
        /// The outermost skipped value is complete.
        case done
        case invalid
    }

    /// Skips one JSON value of any nesting depth, checking its syntax, using an explicit
    /// stack instead of recursion so hostile input cannot overflow the call stack.
    mutating func skipValue() -> Bool {
        var stack = JSONNestingStack(limit: valueDepthLimit)
        while true {
            switch startValue(&stack) {
            case .invalid: return false
            case .openedContainer: continue
            case .completed: break
            }
            switch finishValue(&stack) {
            case .invalid: return false
            case .done: return true
            case .nextValue: continue
            }
        }
    }

    private mutating func startValue(_ stack: inout JSONNestingStack) -> ValueStart {
        skipWhitespace()
        guard index < bytes.count else { return .invalid }
        switch bytes[index] {
        case JSONByte.openBrace:
            return openContainer(&stack, isObject: true, closer: JSONByte.closeBrace)
        case JSONByte.openBracket:
            return openContainer(&stack, isObject: false, closer: JSONByte.closeBracket)
        case JSONByte.quote:
            guard let extent = string(at: index) else { return .invalid }
            index = extent.end
            return .completed
        case JSONByte.minus, JSONByte.zero...JSONByte.nine:
            return skipNumber() ? .completed : .invalid
        case UInt8(ascii: "t"):
            return skipLiteral("true") ? .completed : .invalid
        case UInt8(ascii: "f"):
            return skipLiteral("false") ? .completed : .invalid
        case UInt8(ascii: "n"):
            return skipLiteral("null") ? .completed : .invalid
        default:
            return .invalid
        }
    }

    private mutating func openContainer(_ stack: inout JSONNestingStack, isObject: Bool, closer: UInt8) -> ValueStart {
        index += 1
        skipWhitespace()
        if consume(closer) {
            return .completed
        }
        guard stack.push(isObject: isObject) else { return .invalid }
        if isObject, skipKeyAndColon() == nil {
            return .invalid
        }
        return .openedContainer
    }

    /// After a value: closes finished containers until a comma or the end of the skip.
    private mutating func finishValue(_ stack: inout JSONNestingStack) -> AfterValue {
        while !stack.isEmpty {
            skipWhitespace()
            guard index < bytes.count else { return .invalid }
            let byte = bytes[index]
            index += 1
            let isObject = stack.innermostIsObject
            if byte == JSONByte.comma {
                if isObject, skipKeyAndColon() == nil {
                    return .invalid
                }
                return .nextValue
            }
            guard byte == (isObject ? JSONByte.closeBrace : JSONByte.closeBracket) else { return .invalid }
            stack.pop()
        }
        return .done
    }

    /// Whether the next byte is an ASCII digit; false at the end.
    func nextIsDigit() -> Bool {
        index < bytes.count && JSONByte.isDigit(bytes[index])
    }

    /// Skips one or more digits; false if there is none.
    mutating func skipDigits() -> Bool {
        let start = index
        while index < bytes.count, JSONByte.isDigit(bytes[index]) {
            index += 1
        }
        return index > start
    }

    private mutating func skipLiteral(_ word: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        // Compared in place (the generic `elementsEqual` of a buffer and a slice cost ~170
        // instructions for `false`).
        guard ByteSearch.hasPrefix(expected, in: bytes, at: index) else { return false }
        index += expected.count
        return true
    }
}
