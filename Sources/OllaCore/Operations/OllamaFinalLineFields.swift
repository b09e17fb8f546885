/// The members of Ollama's final line that make its `TokenUsage`, as the one-pass readers
/// (`ollamaUsageCompact`, `ollamaUsageInOnePass`) collect them: which key fills which field,
/// written once. Key names from Ollama's `api/types.go` (`Metrics`, `ChatResponse.Done`).
struct OllamaFinalLineFields {
    private var done = false
    private var prompt: Int?, completion: Int?, eval: Int?, load: Int?, total: Int?, promptEval: Int?

    /// Takes one member whose key is `keyLength` bytes long; `keyIs` tells whether the key
    /// spells a name. A repeated key keeps its last member, as Go's decoder does.
    @inline(__always)
    mutating func take(keyLength: Int, isTrue: Bool, count: Int?, keyIs: (StaticString) -> Bool) {
        switch keyLength {
        case 4: if keyIs("done") { done = isTrue }
        case 10: if keyIs("eval_count") { completion = count }
        case 13:
            if keyIs("eval_duration") { eval = count }
            else if keyIs("load_duration") { load = count }
        case 14: if keyIs("total_duration") { total = count }
        case 17: if keyIs("prompt_eval_count") { prompt = count }
        case 20: if keyIs("prompt_eval_duration") { promptEval = count }
        default: break
        }
    }

    /// The usage of a line that says `"done":true` and has a count; nil otherwise.
    var usage: TokenUsage? {
        guard done, prompt != nil || completion != nil else { return nil }
        return TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0,
                          evalNanoseconds: eval, loadNanoseconds: load, totalNanoseconds: total,
                          promptEvalNanoseconds: promptEval)
    }
}
