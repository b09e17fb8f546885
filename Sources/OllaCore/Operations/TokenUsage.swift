/// Token counts a backend reported for one response.
public struct TokenUsage: Sendable, Equatable {
    /// Tokens of the prompt the backend evaluated (Ollama `prompt_eval_count`, OpenAI
    /// `prompt_tokens`, Anthropic and Responses `input_tokens`). Ollama omits it when the
    /// prompt was cached; that counts as 0.
    public var promptTokens: Int
    /// Tokens generated (Ollama `eval_count`, OpenAI `completion_tokens`, Anthropic and
    /// Responses `output_tokens`).
    public var completionTokens: Int
    /// Generation time (Ollama `eval_duration`); nil for OpenAI responses, which do not report it.
    public var evalDuration: Duration?

    /// Time Ollama spent loading the model for this request (`load_duration`); nil when not reported.
    public var loadDuration: Duration?
    /// The whole request inside Ollama (`total_duration`); nil when not reported.
    public var totalDuration: Duration?
    /// Time Ollama spent evaluating the prompt (`prompt_eval_duration`); nil when not reported
    /// (OpenAI, Anthropic and Responses shapes; an Ollama answer whose prompt was cached whole).
    public var promptEvalDuration: Duration?
    /// Wall time from the answer's head to its end, set by the engine for a streamed answer
    /// whose API reports no timing (Anthropic Messages, OpenAI Responses and chat). Ollama
    /// writes a stream's head with its first token, so this is the time the rest took.
    public var streamDuration: Duration?

    /// Creates usage from a backend's counts; `streamDuration` is set later by the engine.
    public init(promptTokens: Int, completionTokens: Int, evalDuration: Duration? = nil,
                loadDuration: Duration? = nil, totalDuration: Duration? = nil, promptEvalDuration: Duration? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.evalDuration = evalDuration
        self.loadDuration = loadDuration
        self.totalDuration = totalDuration
        self.promptEvalDuration = promptEvalDuration
    }

    /// The timings the scheduler learns from; nil when the answer reported none. A streamed
    /// answer that reports only counts (Anthropic, OpenAI shapes) offers its output tokens over
    /// its `streamDuration` as the generation speed.
    public var timings: GenerationTimings? {
        guard loadDuration != nil || totalDuration != nil || evalDuration != nil else {
            guard let streamDuration, streamDuration > .zero, completionTokens > 1 else { return nil }
            // The first token came with the head: the stream carried the other ones.
            return GenerationTimings(evalCount: completionTokens - 1, evalDuration: streamDuration)
        }
        return GenerationTimings(loadDuration: loadDuration, totalDuration: totalDuration,
                                 evalCount: completionTokens, evalDuration: evalDuration,
                                 promptEvalDuration: promptEvalDuration)
    }
}
