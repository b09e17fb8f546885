extension JSONBodyScanner {
    /// The model, `keep_alive`, `prompt` and `messages` of a request body, in one pass over
    /// its top-level members: values are skipped without being built, and only the model
    /// string (and a `keep_alive` string) is decoded.
    ///
    /// `modelKeys` rank as in `topLevelString(forKeys:in:)`. Agrees with `JSONParser` on
    /// every body it accepts (checked by `BodyScannerFuzz`). A body of printable ASCII
    /// without a backslash (what clients send, as a rule) is read by `plainSummary` first;
    /// what it leaves undecided, the walk reads.
    public static func summary(of body: UnsafeRawBufferPointer, modelKeys: [String]) -> RequestBodySummary {
        plainSummary(of: body, modelKeys: modelKeys) ?? walkedSummary(of: body, modelKeys: modelKeys)
    }

    /// The summary by a walk of the top-level members (`JSONTopLevelWalker`), whatever the
    /// body holds: the reference of `plainSummary` in the tests.
    static func walkedSummary(of body: UnsafeRawBufferPointer, modelKeys: [String]) -> RequestBodySummary {
        var model: (rank: Int, value: String)?
        var keepAlive: Range<Int>?, prompt: Range<Int>?, messages: Range<Int>?
        var walker = JSONTopLevelWalker(bytes: body)
        let isWellFormed = walker.walkMembers { member in
            let value = member.valueRange
            if body[value.lowerBound] == JSONByte.quote, let rank = rank(of: member.key, in: body, among: modelKeys),
               model.map({ rank < $0.rank }) ?? true {
                guard let text = decodeString(at: value.lowerBound, in: body) else { return false }
                model = (rank, text)
            } else if member.key.hasEscapes {
                if keepAlive == nil, member.key.matches("keep_alive", in: body) {
                    keepAlive = value
                } else if prompt == nil, member.key.matches("prompt", in: body) {
                    prompt = value
                } else if messages == nil, member.key.matches("messages", in: body) {
                    messages = value
                }
            } else {
                // A plain key's length rules out all but one of the three names at once.
                switch member.key.contentEnd - member.key.contentStart {
                case 10: if keepAlive == nil, member.key.matches("keep_alive", in: body) { keepAlive = value }
                case 6: if prompt == nil, member.key.matches("prompt", in: body) { prompt = value }
                case 8: if messages == nil, member.key.matches("messages", in: body) { messages = value }
                default: break
                }
            }
            return true
        }
        guard isWellFormed else { return RequestBodySummary() }
        return summary(model: model?.value, keepAlive: keepAlive, prompt: prompt, messages: messages, in: body)
    }

    /// The summary of a well-formed body from what its members held: the model, and where
    /// the first `keep_alive`, `prompt` and `messages` values are.
    @inline(__always)
    static func summary(model: String?, keepAlive: Range<Int>?, prompt: Range<Int>?, messages: Range<Int>?,
                        in body: UnsafeRawBufferPointer) -> RequestBodySummary {
        RequestBodySummary(
            model: model, isObject: true,
            keepAliveIsZero: keepAlive.map { isZeroDuration($0, in: body) } ?? false,
            promptIsEmpty: prompt.map { isEmpty($0, in: body) } ?? true,
            messagesIsEmpty: messages.map { isEmpty($0, in: body) } ?? true)
    }

    /// `null`, `""` or an empty array.
    private static func isEmpty(_ value: Range<Int>, in body: UnsafeRawBufferPointer) -> Bool {
        switch body[value.lowerBound] {
        case UInt8(ascii: "n"): return true
        case JSONByte.quote: return value.count == 2
        case JSONByte.openBracket:
            var index = value.lowerBound + 1
            while JSONByte.isWhitespace(body[index]) { index += 1 }
            return body[index] == JSONByte.closeBracket
        default: return false
        }
    }

    /// A number equal to zero, or a string that parses as a zero duration.
    private static func isZeroDuration(_ value: Range<Int>, in body: UnsafeRawBufferPointer) -> Bool {
        switch body[value.lowerBound] {
        case JSONByte.quote:
            guard let text = decodeString(at: value.lowerBound, in: body) else { return false }
            return (try? DurationParser.parse(text)) == .zero
        case JSONByte.minus, JSONByte.zero...JSONByte.nine:
            return JSONNumber(text: String(decoding: body[value], as: UTF8.self)).doubleValue == 0
        default:
            return false
        }
    }
}
