/// What serving one model on one instance costs, learned from the final chunks Olla
/// already reads for token counts (no extra requests).
public struct LearnedCosts: Sendable, Equatable {
    /// Seconds a cold load took (`load_duration` of responses that loaded the model).
    public var loadTime = DecayingAverage()
    /// Seconds from sending the request that loaded the model to the first answer of that
    /// copy (its load, then prompt evaluation and a first token), measured at the first byte
    /// before any final chunk reported a `load_duration`: a load's cost is known seconds
    /// earlier than from the stream's end, and far better than `default_load_time`. Only
    /// stands in while `loadTime` has no observation (`expectedLoadTime`).
    public var firstAnswerLoadTime: Double?
    /// Seconds one request occupies a slot once the model is resident
    /// (`prompt_eval_duration + eval_duration`; else `total_duration - load_duration`, which
    /// includes any wait for a busy slot; else the observed stream).
    public var generationTime = DecayingAverage()
    /// Generated tokens per second (`eval_count / eval_duration`).
    public var tokensPerSecond = DecayingAverage()

    /// No observations yet.
    public init() {}

    /// The load time to expect: learned from `load_duration`, else measured at the first
    /// answer (`firstAnswerLoadTime`); nil before either.
    public var expectedLoadTime: Double? { loadTime.value ?? firstAnswerLoadTime }
}

/// The timings an Ollama final chunk reports (all nanoseconds in the JSON; Ollama's
/// api/types.go `Metrics`), as read by `TokenScanner`.
public struct GenerationTimings: Sendable, Equatable {
    /// `load_duration`: time spent loading the model for this request.
    public var loadDuration: Duration?
    /// `total_duration`: the whole request inside Ollama, load included.
    public var totalDuration: Duration?
    /// `eval_count`: tokens generated.
    public var evalCount: Int?
    /// `eval_duration`: time spent generating them.
    public var evalDuration: Duration?
    /// `prompt_eval_duration`: time spent evaluating the prompt, once the request had a slot.
    public var promptEvalDuration: Duration?

    /// Creates timings; missing fields are nil.
    public init(loadDuration: Duration? = nil, totalDuration: Duration? = nil, evalCount: Int? = nil,
                evalDuration: Duration? = nil, promptEvalDuration: Duration? = nil) {
        self.loadDuration = loadDuration
        self.totalDuration = totalDuration
        self.evalCount = evalCount
        self.evalDuration = evalDuration
        self.promptEvalDuration = promptEvalDuration
    }

    /// Whether the request paid for a model load (`load_duration` ≥ the cold threshold).
    public var wasColdLoad: Bool {
        (loadDuration ?? .zero) >= SchedulerSettings.coldLoadThreshold
    }
}
