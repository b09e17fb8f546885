/// Token counts a backend reported for one response.
///
/// The five timings are stored as whole nanoseconds in an `Int64` each (`absent` for nil),
/// what Ollama reports and what the engine measures: five `Duration?` made the value ~130
/// bytes, copied by `memcpy` calls (about thirty instructions each) at every step of a
/// finished request (the scan, the access record, the metrics, the fleet activity, the
/// scheduler's lesson); as 56 bytes it moves in registers. A `Duration` given with a finer
/// part is kept to the nanosecond (toward zero); one beyond ±292 years is saturated.
public struct TokenUsage: Sendable, Equatable {
    /// Tokens of the prompt the backend evaluated (Ollama `prompt_eval_count`, OpenAI
    /// `prompt_tokens`, Anthropic and Responses `input_tokens`). Ollama omits it when the
    /// prompt was cached; that counts as 0.
    public var promptTokens: Int
    /// Tokens generated (Ollama `eval_count`, OpenAI `completion_tokens`, Anthropic and
    /// Responses `output_tokens`).
    public var completionTokens: Int

    private var evalNanoseconds: Int64
    private var loadNanoseconds: Int64
    private var totalNanoseconds: Int64
    private var promptEvalNanoseconds: Int64
    private var streamNanoseconds: Int64

    /// Generation time (Ollama `eval_duration`); nil for OpenAI responses, which do not report it.
    public var evalDuration: Duration? {
        get { Self.duration(evalNanoseconds) }
        set { evalNanoseconds = Self.stored(newValue) }
    }

    /// Time Ollama spent loading the model for this request (`load_duration`); nil when not reported.
    public var loadDuration: Duration? {
        get { Self.duration(loadNanoseconds) }
        set { loadNanoseconds = Self.stored(newValue) }
    }
    /// The whole request inside Ollama (`total_duration`); nil when not reported.
    public var totalDuration: Duration? {
        get { Self.duration(totalNanoseconds) }
        set { totalNanoseconds = Self.stored(newValue) }
    }
    /// Time Ollama spent evaluating the prompt (`prompt_eval_duration`); nil when not reported
    /// (OpenAI, Anthropic and Responses shapes; an Ollama answer whose prompt was cached whole).
    public var promptEvalDuration: Duration? {
        get { Self.duration(promptEvalNanoseconds) }
        set { promptEvalNanoseconds = Self.stored(newValue) }
    }
    /// Wall time from the answer's head to its end, set by the engine for a streamed answer
    /// whose API reports no timing (Anthropic Messages, OpenAI Responses and chat). Ollama
    /// writes a stream's head with its first token, so this is the time the rest took.
    public var streamDuration: Duration? {
        get { Self.duration(streamNanoseconds) }
        set { streamNanoseconds = Self.stored(newValue) }
    }

    /// Creates usage from a backend's counts; `streamDuration` is set later by the engine.
    public init(promptTokens: Int, completionTokens: Int, evalDuration: Duration? = nil,
                loadDuration: Duration? = nil, totalDuration: Duration? = nil, promptEvalDuration: Duration? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        evalNanoseconds = Self.stored(evalDuration)
        loadNanoseconds = Self.stored(loadDuration)
        totalNanoseconds = Self.stored(totalDuration)
        promptEvalNanoseconds = Self.stored(promptEvalDuration)
        streamNanoseconds = Self.absent
    }

    /// Creates usage from a final line's counts, its timings in nanoseconds as the line
    /// gives them (what `.nanoseconds(_:)` of each would make, without the `Duration`).
    init(promptTokens: Int, completionTokens: Int, evalNanoseconds eval: Int?, loadNanoseconds load: Int?,
         totalNanoseconds total: Int?, promptEvalNanoseconds promptEval: Int?) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        evalNanoseconds = Self.stored(eval)
        loadNanoseconds = Self.stored(load)
        totalNanoseconds = Self.stored(total)
        promptEvalNanoseconds = Self.stored(promptEval)
        streamNanoseconds = Self.absent
    }

    /// The stored value of a missing timing: no reading is `Int64.min` nanoseconds (a
    /// negative count saturates one above it).
    private static let absent = Int64.min

    private static func duration(_ nanoseconds: Int64) -> Duration? {
        nanoseconds == absent ? nil : .nanoseconds(nanoseconds)
    }

    private static func stored(_ nanoseconds: Int?) -> Int64 {
        guard let nanoseconds else { return absent }
        return nanoseconds == Int.min ? absent &+ 1 : Int64(nanoseconds)
    }

    /// `duration` in whole nanoseconds (toward zero), saturated one above `absent`; `absent`
    /// for nil.
    private static func stored(_ duration: Duration?) -> Int64 {
        guard let duration else { return absent }
        let nanoseconds = duration.saturatedNanoseconds
        return nanoseconds == absent ? absent &+ 1 : nanoseconds
    }

    /// `timings?.wasColdLoad ?? false` read from the stored load time, without building the
    /// timings: the fleet page's timeline asks it of every finished request.
    var wasColdLoad: Bool {
        // `absent` is below any threshold: no load time reported is no cold load.
        loadNanoseconds >= Self.coldLoadNanoseconds
    }

    /// `SchedulerSettings.coldLoadThreshold` in nanoseconds.
    private static let coldLoadNanoseconds = SchedulerSettings.coldLoadThreshold.saturatedNanoseconds

    /// `(evalDuration ?? .zero).saturatedNanoseconds`, read as stored.
    var evalNanosecondsOrZero: Int64 {
        evalNanoseconds == Self.absent ? 0 : evalNanoseconds
    }

    /// The timings the scheduler learns from; nil when the answer reported none. A streamed
    /// answer that reports only counts (Anthropic, OpenAI shapes) offers its output tokens over
    /// its `streamDuration` as the generation speed.
    public var timings: GenerationTimings? {
        guard loadNanoseconds != Self.absent || totalNanoseconds != Self.absent || evalNanoseconds != Self.absent else {
            guard let streamDuration, streamDuration > .zero, completionTokens > 1 else { return nil }
            // The first token came with the head: the stream carried the other ones.
            return GenerationTimings(evalCount: completionTokens - 1, evalDuration: streamDuration)
        }
        return GenerationTimings(loadDuration: loadDuration, totalDuration: totalDuration,
                                 evalCount: completionTokens, evalDuration: evalDuration,
                                 promptEvalDuration: promptEvalDuration)
    }
}
