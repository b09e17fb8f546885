/// The reading of token usage that `TokenScanner` must agree with, written the plain way:
/// every candidate document of the tail parsed whole by `JSONParser`, members looked up in
/// the parsed values. This was Olla's scanner until it cost up to 900 K instructions at the
/// end of a stream; it stays as the oracle of the differential unit test
/// (`TokenScannerDifferentialTests`) and fuzz target (`TokenScannerFuzz`). The daemon never
/// calls it.
///
/// The one input where the two may differ is outside what any backend sends: a string
/// holding an unpaired UTF-16 surrogate escape (`"\ud800"`), which `JSONParser` rejects
/// and `TokenScanner`, checking strings without decoding them, accepts.
public enum TokenScannerReference {
    /// How deeply nested a line may be; usage objects are two levels deep.
    static let maxDepth = 32

    /// Usage from the tail of a response on `flavor`'s API.
    public static func scan(_ tail: [UInt8], flavor: APIFlavor) -> TokenUsage? {
        switch flavor {
        case .native: scanOllama(tail)
        case .openAI: scanOpenAI(tail)
        case .openAIResponses: scanResponses(tail)
        case .anthropic: scanAnthropic(tail)
        }
    }

    /// Ollama's `/api/chat` and `/api/generate`: the last complete JSON line (or the
    /// whole non-streamed body) with `"done":true`, reading `prompt_eval_count`,
    /// `eval_count`, and `eval_duration`, `load_duration`, `total_duration`,
    /// `prompt_eval_duration` (nanoseconds).
    public static func scanOllama(_ tail: [UInt8]) -> TokenUsage? {
        lastDocument(in: tail) { object in
            guard object.member("done") == .bool(true) else { return nil }
            let prompt = count(object.member("prompt_eval_count"))
            let completion = count(object.member("eval_count"))
            guard prompt != nil || completion != nil else { return nil }
            func nanoseconds(_ key: String) -> Duration? { count(object.member(key)).map { Duration.nanoseconds($0) } }
            return TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0,
                              evalDuration: nanoseconds("eval_duration"), loadDuration: nanoseconds("load_duration"),
                              totalDuration: nanoseconds("total_duration"),
                              promptEvalDuration: nanoseconds("prompt_eval_duration"))
        }
    }

    /// OpenAI-compatible responses: a `usage` object with `prompt_tokens` and
    /// `completion_tokens`, in a whole JSON body or in the last SSE `data:` event that
    /// has one (sent when the client asked for `stream_options.include_usage`).
    public static func scanOpenAI(_ tail: [UInt8]) -> TokenUsage? {
        lastDocument(in: tail) { object in
            guard let usage = object.member("usage") else { return nil }
            return promptCompletion(usage)
        } ?? lastUsageObject(in: tail).flatMap(promptCompletion)
    }

    /// `prompt_tokens` / `completion_tokens` of a usage object; nil when it has neither.
    private static func promptCompletion(_ usage: JSONValue) -> TokenUsage? {
        let prompt = count(usage.member("prompt_tokens"))
        let completion = count(usage.member("completion_tokens"))
        guard prompt != nil || completion != nil else { return nil }
        return TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0)
    }

    /// OpenAI's Responses API: `usage` with `input_tokens` and `output_tokens`, at the top
    /// level of a whole response, or inside `response` of the last `response.completed`
    /// (or `.incomplete`, `.failed`) event of a stream.
    public static func scanResponses(_ tail: [UInt8]) -> TokenUsage? {
        lastDocument(in: tail) { object in
            guard let usage = object.member("usage") ?? object.member("response")?.member("usage") else { return nil }
            return inputOutput(usage)
        } ?? lastUsageObject(in: tail).flatMap(inputOutput)
    }

    /// Anthropic's Messages API: `usage` with `input_tokens` and `output_tokens` at the top
    /// level of a whole message and of a stream's final `message_delta` event. The delta's
    /// `input_tokens` is optional in Anthropic's API (Ollama sends it); without it the input
    /// count comes from the `message_start` event, when the tail still holds it.
    public static func scanAnthropic(_ tail: [UInt8]) -> TokenUsage? {
        guard var usage = lastDocument(in: tail, { object in object.member("usage").flatMap(inputOutput) })
            ?? lastUsageObject(in: tail).flatMap(inputOutput) else {
            return nil
        }
        if usage.promptTokens == 0, let start = lastDocument(in: tail, { object in
            guard object.member("type") == .string("message_start") else { return nil }
            return object.member("message")?.member("usage").flatMap(inputOutput)
        }) {
            usage.promptTokens = start.promptTokens
        }
        return usage
    }

    /// `input_tokens` / `output_tokens` of a usage object; nil when it has neither.
    private static func inputOutput(_ usage: JSONValue) -> TokenUsage? {
        let input = count(usage.member("input_tokens"))
        let output = count(usage.member("output_tokens"))
        guard input != nil || output != nil else { return nil }
        return TokenUsage(promptTokens: input ?? 0, completionTokens: output ?? 0)
    }

    /// The first match of `extract` on the whole tail as one document, else on its lines
    /// from last to first (an SSE `data:` prefix is removed). A first line cut off by the
    /// tail window simply fails to parse and is skipped.
    private static func lastDocument(in tail: [UInt8], _ extract: (JSONValue) -> TokenUsage?) -> TokenUsage? {
        let parser = JSONParser(maxDepth: maxDepth)
        if let whole = try? parser.parse(tail), let usage = extract(whole.value) {
            return usage
        }
        for line in tail.split(separator: UInt8(ascii: "\n")).reversed() {
            var line = line
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.starts(with: "data:".utf8) { line = line.dropFirst(5) }
            guard line.contains(UInt8(ascii: "{")) else { continue }
            if let document = try? parser.parse(Array(line)), let usage = extract(document.value) {
                return usage
            }
        }
        return nil
    }

    /// The last `"usage": {...}` object in the tail, found by its key. Answers whose last
    /// document is longer than the tail (a long non-streamed answer; a Responses
    /// `response.completed` event, which repeats the whole output) still end with their usage.
    static func lastUsageObject(in tail: [UInt8]) -> JSONValue? {
        let key = Array(#""usage""#.utf8)
        var searchEnd = tail.count
        while let keyStart = lastIndex(of: key, in: tail[..<searchEnd]) {
            searchEnd = keyStart
            var index = keyStart + key.count
            while index < tail.count, JSONByte.isWhitespace(tail[index]) { index += 1 }
            guard index < tail.count, tail[index] == JSONByte.colon else { continue }
            index += 1
            while index < tail.count, JSONByte.isWhitespace(tail[index]) { index += 1 }
            guard index < tail.count, tail[index] == JSONByte.openBrace, let end = objectEnd(in: tail, from: index) else {
                continue
            }
            return try? JSONParser(maxDepth: maxDepth).parse(Array(tail[index..<end])).value
        }
        return nil
    }

    /// One past the brace that closes the object opening at `start`, skipping strings.
    private static func objectEnd(in bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for index in start..<bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == JSONByte.backslash { escaped = true } else if byte == JSONByte.quote { inString = false }
                continue
            }
            switch byte {
            case JSONByte.quote: inString = true
            case JSONByte.openBrace, JSONByte.openBracket: depth += 1
            case JSONByte.closeBrace, JSONByte.closeBracket:
                depth -= 1
                if depth == 0 { return index + 1 }
            default: break
            }
        }
        return nil
    }

    private static func lastIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var start = haystack.endIndex - needle.count
        while start >= haystack.startIndex {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return start }
            start -= 1
        }
        return nil
    }

    /// A non-negative integer member (written as an integer that fits in `Int`); nil otherwise.
    private static func count(_ value: JSONValue?) -> Int? {
        guard case .number(let number)? = value, let integer = number.integerValue, integer >= 0 else { return nil }
        return integer
    }
}
