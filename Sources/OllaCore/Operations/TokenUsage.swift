/// Token counts a backend reported for one response.
public struct TokenUsage: Sendable, Equatable {
    /// Tokens of the prompt the backend evaluated (Ollama `prompt_eval_count`, OpenAI
    /// `prompt_tokens`). Ollama omits it when the prompt was cached; that counts as 0.
    public var promptTokens: Int
    /// Tokens generated (Ollama `eval_count`, OpenAI `completion_tokens`).
    public var completionTokens: Int
    /// Generation time (Ollama `eval_duration`); nil for OpenAI responses, which do not report it.
    public var evalDuration: Duration?

    public init(promptTokens: Int, completionTokens: Int, evalDuration: Duration? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.evalDuration = evalDuration
    }
}
