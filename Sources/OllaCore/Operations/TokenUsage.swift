/// Token counts a backend reported for one response.
public struct TokenUsage: Sendable, Equatable {
    /// Tokens of the prompt the backend evaluated (Ollama `prompt_eval_count`, OpenAI
    /// `prompt_tokens`). Ollama omits it when the prompt was cached; that counts as 0.
    public var promptTokens: Int
    /// Tokens generated (Ollama `eval_count`, OpenAI `completion_tokens`).
    public var completionTokens: Int
    /// Generation time (Ollama `eval_duration`); nil for OpenAI responses, which do not report it.
    public var evalDuration: Duration?

    /// Time Ollama spent loading the model for this request (`load_duration`); nil when not reported.
    public var loadDuration: Duration?
    /// The whole request inside Ollama (`total_duration`); nil when not reported.
    public var totalDuration: Duration?

    public init(promptTokens: Int, completionTokens: Int, evalDuration: Duration? = nil,
                loadDuration: Duration? = nil, totalDuration: Duration? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.evalDuration = evalDuration
        self.loadDuration = loadDuration
        self.totalDuration = totalDuration
    }

    /// The timings the scheduler learns from; nil when the answer reported none (OpenAI shapes).
    public var timings: GenerationTimings? {
        guard loadDuration != nil || totalDuration != nil || evalDuration != nil else { return nil }
        return GenerationTimings(loadDuration: loadDuration, totalDuration: totalDuration,
                                 evalCount: completionTokens, evalDuration: evalDuration)
    }
}
