/// One finished API request, as the fleet page's list of last requests shows it.
///
/// Built by the engine from the access record and the routing plan. Every string is either
/// Olla's own (route, decision, reason, endpoint names from the configuration) or bounded
/// (`model` is cut to `maxModelBytes`), so a ring of these has a fixed worst-case size.
public struct RecentRequest: Sendable, Equatable {
    /// The longest model name kept, in UTF-8 bytes; longer names are cut (clients choose them).
    public static let maxModelBytes = 200
    /// The `X-Olla-Request-ID` sent with the answer; nil for answers without one.
    public var requestID: String?
    /// The request's HTTP method.
    public var method: String
    /// The normalised API route (`/api/chat`, `/v1/chat/completions`), never a raw path.
    public var route: String
    /// The model the request named; nil when it named none. At most `maxModelBytes` bytes.
    public var model: String?
    /// The endpoint that answered; nil when Olla answered itself.
    public var endpoint: String?
    /// The HTTP status sent; 499 when the client left first, 0 when none was sent.
    public var status: Int
    /// From the request head to the backend's response head.
    public var timeToFirstByte: Duration?
    /// From the request head to the end of the answer.
    public var duration: Duration
    /// Token counts and timings from the end of the answer, when it reported them.
    public var usage: TokenUsage?
    /// The routing decision (`routed`, `fallback`, `fan-out`, `rejected`) and its reason,
    /// as sent in `X-Olla-Routing-Decision` and `X-Olla-Routing-Reason`.
    public var decision: String?
    /// Why the decision was made (`X-Olla-Routing-Reason`), or what Olla answered itself.
    public var reason: String?

    /// Creates a record; `model` is cut to `maxModelBytes` bytes (on a character boundary).
    @inlinable
    public init(
        requestID: String?, method: String, route: String, model: String?, endpoint: String?, status: Int,
        timeToFirstByte: Duration?, duration: Duration, usage: TokenUsage? = nil,
        decision: String? = nil, reason: String? = nil
    ) {
        // Inlined into the caller, which builds the record where it passes it (as a call, the
        // record was built in a temporary, copied out whole and the temporary destroyed).
        let kept = if let model, model.utf8.count > Self.maxModelBytes { Self.bounded(model) } else { model }
        self.requestID = requestID
        self.method = method
        self.route = route
        self.model = kept
        self.endpoint = endpoint
        self.status = status
        self.timeToFirstByte = timeToFirstByte
        self.duration = duration
        self.usage = usage
        self.decision = decision
        self.reason = reason
    }

    /// Failed the way `success_rate` counts failures: a 5xx status or none at all.
    public var failed: Bool { status < 100 || status >= 500 }

    /// The backend loaded the model for this request, as the scheduler counts it
    /// (`GenerationTimings.wasColdLoad`: `load_duration` ≥ `SchedulerSettings.coldLoadThreshold`).
    public var coldLoad: Bool { usage?.timings?.wasColdLoad ?? false }

    /// Completion tokens per second of generation time; nil unless both were reported.
    public var tokensPerSecond: Double? {
        guard let usage, let eval = usage.evalDuration, eval > .zero, usage.completionTokens > 0 else { return nil }
        return Double(usage.completionTokens) / eval.seconds
    }

    @usableFromInline
    static func bounded(_ name: String) -> String {
        var cut = ""
        for character in name {
            guard cut.utf8.count + character.utf8.count <= maxModelBytes else { break }
            cut.append(character)
        }
        return cut
    }
}
