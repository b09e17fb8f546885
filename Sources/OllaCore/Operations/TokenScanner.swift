/// Finds the token usage in the end of a response, so Olla can count tokens without
/// parsing whole streams: the caller keeps the last few KiB of each response body.
///
/// Pure and defensive: garbage, truncated lines and absurd numbers give nil or are
/// skipped, never a crash. Lines are parsed with a shallow nesting limit.
public enum TokenScanner {
    /// How deeply nested a line may be; usage objects are two levels deep.
    static let maxDepth = 32

    /// Usage from the tail of a response on `flavor`'s API.
    public static func scan(_ tail: [UInt8], flavor: APIFlavor) -> TokenUsage? {
        switch flavor {
        case .native: scanOllama(tail)
        case .openAI: scanOpenAI(tail)
        }
    }

    /// Ollama's `/api/chat` and `/api/generate`: the last complete JSON line (or the
    /// whole non-streamed body) with `"done":true`, reading `prompt_eval_count`,
    /// `eval_count` and `eval_duration` (nanoseconds).
    public static func scanOllama(_ tail: [UInt8]) -> TokenUsage? {
        lastDocument(in: tail) { object in
            guard object.member("done") == .bool(true) else { return nil }
            let prompt = count(object.member("prompt_eval_count"))
            let completion = count(object.member("eval_count"))
            guard prompt != nil || completion != nil else { return nil }
            let duration = count(object.member("eval_duration")).map { Duration.nanoseconds($0) }
            return TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0, evalDuration: duration)
        }
    }

    /// OpenAI-compatible responses: a `usage` object with `prompt_tokens` and
    /// `completion_tokens`, in a whole JSON body or in the last SSE `data:` event that
    /// has one (sent when the client asked for `stream_options.include_usage`).
    public static func scanOpenAI(_ tail: [UInt8]) -> TokenUsage? {
        lastDocument(in: tail) { object in
            guard let usage = object.member("usage") else { return nil }
            let prompt = count(usage.member("prompt_tokens"))
            let completion = count(usage.member("completion_tokens"))
            guard prompt != nil || completion != nil else { return nil }
            return TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0)
        }
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

    /// A non-negative integer member (written as an integer that fits in `Int`); nil otherwise.
    private static func count(_ value: JSONValue?) -> Int? {
        guard case .number(let number)? = value, let integer = number.integerValue, integer >= 0 else { return nil }
        return integer
    }
}
