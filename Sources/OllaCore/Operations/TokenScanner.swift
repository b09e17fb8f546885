/// Finds the token usage in the end of a response, so Olla can count tokens without
/// parsing whole streams: the caller keeps the last few KiB of each response body.
///
/// A targeted scan, not a parse: the records that can hold usage are found by the bytes of
/// their field names (`_count`, `_tokens`) with a word-at-a-time search, and only those are
/// read, in place (`TailObject`). A stream whose records carry no usage (an OpenAI stream
/// without `stream_options.include_usage`) costs one search over the tail. The answers are
/// those of `TokenScannerReference`, which parses every line; the differential tests hold
/// the two together.
///
/// Pure and defensive: garbage, truncated lines and absurd numbers give nil or are
/// skipped, never a crash. Records are read with a shallow nesting limit.
public enum TokenScanner {
    /// How deeply nested a record may be; usage objects are two levels deep.
    static let maxDepth = 32

    /// Usage from the tail of a response on `flavor`'s API.
    public static func scan(_ tail: [UInt8], flavor: APIFlavor) -> TokenUsage? {
        tail.withUnsafeBytes { scan($0, flavor: flavor) }
    }

    /// Usage from the tail of a response on `flavor`'s API, read in place: the caller's
    /// buffer (the request's kept tail) is not copied.
    public static func scan(_ tail: UnsafeRawBufferPointer, flavor: APIFlavor) -> TokenUsage? {
        switch flavor {
        case .native: ollama(in: tail)
        case .openAI: openAI(in: tail)
        case .openAIResponses: responses(in: tail)
        case .anthropic: anthropic(in: tail)
        }
    }

    /// Ollama's `/api/chat` and `/api/generate`: the last complete JSON line (or the
    /// whole non-streamed body) with `"done":true`, reading `prompt_eval_count`,
    /// `eval_count`, and `eval_duration`, `load_duration`, `total_duration`,
    /// `prompt_eval_duration` (nanoseconds; ollama/ollama api/types.go `Metrics`).
    public static func scanOllama(_ tail: [UInt8]) -> TokenUsage? {
        tail.withUnsafeBytes(ollama(in:))
    }

    private static func ollama(in tail: UnsafeRawBufferPointer) -> TokenUsage? {
        // Both counts end in `_count`: a record without it cannot qualify.
        lastDocument(in: tail, marker: "_count", ollamaUsage)
    }

    private static func ollamaUsage(_ record: TailObject) -> TokenUsage? {
        if let decided = ollamaUsageCompact(record.bytes) { return decided }
        if let decided = ollamaUsageInOnePass(record.bytes) { return decided }
        return ollamaUsageWalking(record)
    }

    /// The final line's fields by a walk of its members (`TailObject`): what the one pass
    /// (`ollamaUsageInOnePass`) leaves undecided, and its reference in the tests.
    static func ollamaUsageWalking(_ record: TailObject) -> TokenUsage? {
        var done = false
        var prompt: Int?, completion: Int?
        var eval: Int?, load: Int?, total: Int?, promptEval: Int?
        // Each assignment keeps the last member of a repeated key, as Go's decoder does.
        let valid = record.walk(maxDepth: maxDepth) { member in
            // Most members of a final line (model, created_at, message, done_reason) are none
            // of the seven: a plain key's length rules them out at once.
            switch member.plainKeyLength {
            case 4: if member.keyIs("done") { done = member.isTrue }
            case 10: if member.keyIs("eval_count") { completion = member.count }
            case 13:
                if member.keyIs("eval_duration") { eval = member.count }
                else if member.keyIs("load_duration") { load = member.count }
            case 14: if member.keyIs("total_duration") { total = member.count }
            case 17: if member.keyIs("prompt_eval_count") { prompt = member.count }
            case 20: if member.keyIs("prompt_eval_duration") { promptEval = member.count }
            case .some: break
            case nil:
                if member.keyIs("done") { done = member.isTrue }
                else if member.keyIs("prompt_eval_count") { prompt = member.count }
                else if member.keyIs("eval_count") { completion = member.count }
                else if member.keyIs("eval_duration") { eval = member.count }
                else if member.keyIs("load_duration") { load = member.count }
                else if member.keyIs("total_duration") { total = member.count }
                else if member.keyIs("prompt_eval_duration") { promptEval = member.count }
            }
        }
        guard valid, done, prompt != nil || completion != nil else { return nil }
        return TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0,
                          evalNanoseconds: eval, loadNanoseconds: load, totalNanoseconds: total,
                          promptEvalNanoseconds: promptEval)
    }

    /// OpenAI-compatible responses: a `usage` object with `prompt_tokens` and
    /// `completion_tokens`, in a whole JSON body or in the last SSE `data:` event that
    /// has one (sent when the client asked for `stream_options.include_usage`).
    public static func scanOpenAI(_ tail: [UInt8]) -> TokenUsage? {
        tail.withUnsafeBytes(openAI(in:))
    }

    private static func openAI(in tail: UnsafeRawBufferPointer) -> TokenUsage? {
        guard let last = lastMarker(countsMarker, in: tail) else { return nil }
        return lastDocument(in: tail, marker: countsMarker, lastMarker: last, openAIUsage)
            ?? lastUsageObject(in: tail).flatMap { promptCompletion($0) }
    }

    private static func openAIUsage(_ record: TailObject) -> TokenUsage? {
        if let decided = openAIUsageInOnePass(record.bytes) { return decided }
        return openAIUsageWalking(record)
    }

    /// An OpenAI record's usage by walks of its members (`TailObject`): what the one pass
    /// (`openAIUsageInOnePass`) leaves undecided, and its reference in the tests.
    static func openAIUsageWalking(_ record: TailObject) -> TokenUsage? {
        topLevelUsage(of: record)?.flatMap { promptCompletion($0) }
    }

    /// The part every count's name has in the OpenAI, Responses and Anthropic APIs
    /// (`prompt_tokens`, `input_tokens`, ...). A tail without it, or a `\u` escape that could
    /// spell it, has no usage: one search over the tail answers the stream that reports
    /// none (OpenAI's without `include_usage`), instead of a search for records and
    /// another for `usage` objects.
    private static let countsMarker: StaticString = "_tokens"

    /// OpenAI's Responses API: `usage` with `input_tokens` and `output_tokens`, at the top
    /// level of a whole response, or inside `response` of the last `response.completed`
    /// (or `.incomplete`, `.failed`) event of a stream.
    public static func scanResponses(_ tail: [UInt8]) -> TokenUsage? {
        tail.withUnsafeBytes(responses(in:))
    }

    private static func responses(in tail: UnsafeRawBufferPointer) -> TokenUsage? {
        guard let last = lastMarker(countsMarker, in: tail) else { return nil }
        return lastDocument(in: tail, marker: countsMarker, lastMarker: last) { record in
            var usage: TailObject.Member?, response: TailObject.Member?
            guard record.walk(maxDepth: maxDepth, { member in
                if member.keyIs("usage") { usage = member } else if member.keyIs("response") { response = member }
            }) else { return nil }
            if let usage { return usage.object.flatMap { inputOutput($0) } }
            return response?.object.flatMap { usageMember(of: $0) }?.object.flatMap { inputOutput($0) }
        } ?? lastUsageObject(in: tail).flatMap { inputOutput($0) }
    }

    /// Anthropic's Messages API: `usage` with `input_tokens` and `output_tokens` at the top
    /// level of a whole message and of a stream's final `message_delta` event. The delta's
    /// `input_tokens` is optional in Anthropic's API (Ollama sends it); without it the input
    /// count comes from the `message_start` event, when the tail still holds it.
    public static func scanAnthropic(_ tail: [UInt8]) -> TokenUsage? {
        tail.withUnsafeBytes(anthropic(in:))
    }

    private static func anthropic(in tail: UnsafeRawBufferPointer) -> TokenUsage? {
        guard let last = lastMarker(countsMarker, in: tail), var usage = lastDocument(in: tail, marker: countsMarker, lastMarker: last, { record in
            topLevelUsage(of: record)?.flatMap { inputOutput($0) }
        }) ?? lastUsageObject(in: tail).flatMap({ inputOutput($0) }) else {
            return nil
        }
        if usage.promptTokens == 0, let start = lastDocument(in: tail, marker: "_start", messageStartUsage) {
            usage.promptTokens = start.promptTokens
        }
        return usage
    }

    /// `message.usage` of a `message_start` event.
    private static func messageStartUsage(_ record: TailObject) -> TokenUsage? {
        var type: TailObject.Member?, message: TailObject.Member?
        guard record.walk(maxDepth: maxDepth, { member in
            if member.keyIs("type") { type = member } else if member.keyIs("message") { message = member }
        }), type?.isString("message_start") == true else { return nil }
        return message?.object.flatMap { usageMember(of: $0) }?.object.flatMap { inputOutput($0) }
    }

    /// The last top-level `usage` member's value as an object (`.some(nil)` when it is
    /// something else, such as `null`); nil when the record is malformed or has no `usage`.
    private static func topLevelUsage(of record: TailObject) -> TailObject??  {
        var usage: TailObject.Member?
        guard record.walk(maxDepth: maxDepth, { member in
            if member.keyIs("usage") { usage = member }
        }), let usage else { return nil }
        return .some(usage.object)
    }

    /// The last `usage` member of an object already checked as part of its record.
    private static func usageMember(of object: TailObject) -> TailObject.Member? {
        var usage: TailObject.Member?
        _ = object.walk { member in
            if member.keyIs("usage") { usage = member }
        }
        return usage
    }

    /// `prompt_tokens` / `completion_tokens` of a usage object; nil when it has neither.
    private static func promptCompletion(_ usage: TailObject) -> TokenUsage? {
        counts(of: usage, "prompt_tokens", "completion_tokens")
    }

    /// `input_tokens` / `output_tokens` of a usage object; nil when it has neither.
    private static func inputOutput(_ usage: TailObject) -> TokenUsage? {
        counts(of: usage, "input_tokens", "output_tokens")
    }

    private static func counts(of usage: TailObject, _ promptKey: StaticString, _ completionKey: StaticString) -> TokenUsage? {
        var prompt: Int?, completion: Int?
        _ = usage.walk { member in
            if member.keyIs(promptKey) { prompt = member.count } else if member.keyIs(completionKey) { completion = member.count }
        }
        guard prompt != nil || completion != nil else { return nil }
        return TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0)
    }

    /// The `sequence_number` of the last Responses event in the tail, so an error event Olla
    /// appends continues the numbering.
    public static func lastSequenceNumber(in tail: [UInt8]) -> Int? {
        tail.withUnsafeBytes { tail in
            let key: StaticString = #""sequence_number""#
            guard var index = ByteSearch.lastIndex(of: key.bytes, anchor: 9, in: tail, 0..<tail.count)
                .map({ $0 + key.utf8CodeUnitCount }) else { return nil }
            while index < tail.count, JSONByte.isWhitespace(tail[index]) || tail[index] == JSONByte.colon { index += 1 }
            var value = 0
            var digits = 0
            while index < tail.count, tail[index] >= JSONByte.zero, tail[index] <= JSONByte.nine, digits < 15 {
                value = value * 10 + Int(tail[index] - JSONByte.zero)
                digits += 1
                index += 1
            }
            return digits > 0 ? value : nil
        }
    }
}
