/// One model an instance holds in memory, or is loading, as Olla believes it now.
public struct ResidentModel: Sendable, Equatable {
    /// Loading (Olla sent a request that needs it) or loaded.
    public enum Phase: Sendable, Equatable {
        /// Olla sent a request that loads it; the load is expected to end at `readyAt`.
        case loading(readyAt: ContinuousClock.Instant)
        /// In memory and serving.
        case loaded
    }

    /// The model's name as first seen (for display); the key is its canonical form.
    public var name: String
    /// Loading or loaded.
    public var phase: Phase
    /// When a request last used it: Ollama's eviction order (least recently used first).
    public var lastUsed: ContinuousClock.Instant
    /// When Ollama will unload it if unused (from `/api/ps`, else last use + keep-alive).
    public var expiresAt: ContinuousClock.Instant
    /// Bytes of GPU memory it holds (`size_vram` from `/api/ps`), when known.
    public var sizeVRAM: Int?
    /// Whether `/api/ps` listed it at least once (else it is only Olla's prediction).
    public var confirmed: Bool

    /// Creates a record.
    public init(name: String, phase: Phase, lastUsed: ContinuousClock.Instant, expiresAt: ContinuousClock.Instant,
                sizeVRAM: Int? = nil, confirmed: Bool = false) {
        self.name = name
        self.phase = phase
        self.lastUsed = lastUsed
        self.expiresAt = expiresAt
        self.sizeVRAM = sizeVRAM
        self.confirmed = confirmed
    }

    /// Whether the model is still loading at `now`.
    public func isLoading(now: ContinuousClock.Instant) -> Bool {
        if case .loading = phase { return true }
        return false
    }

    /// Seconds until the load is expected to end (0 once loaded or overdue).
    public func secondsUntilReady(now: ContinuousClock.Instant) -> Double {
        guard case .loading(let readyAt) = phase else { return 0 }
        return max(0, (readyAt - now).schedulingSeconds)
    }
}

/// One request Olla has sent to an instance and not seen finish.
public struct RunningRequest: Sendable, Equatable {
    /// The model it runs (canonical name).
    public var model: String
    /// When it was sent.
    public var dispatchedAt: ContinuousClock.Instant
    /// When its first response byte arrived (it then holds one of the model's slots).
    public var firstByteAt: ContinuousClock.Instant?
    /// Whether Olla expected it to load its model.
    public var expectedColdLoad: Bool
    /// The wait Olla estimated when it chose this instance, in seconds.
    public var estimatedWait: Double

    /// Creates a record.
    public init(model: String, dispatchedAt: ContinuousClock.Instant, expectedColdLoad: Bool, estimatedWait: Double) {
        self.model = model
        self.dispatchedAt = dispatchedAt
        self.expectedColdLoad = expectedColdLoad
        self.estimatedWait = estimatedWait
    }
}
