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
    public var phase: Phase {
        get { readyAt.map { .loading(readyAt: $0.instant) } ?? .loaded }
        set {
            if case .loading(let readyAt) = newValue { self.readyAt = StoredInstant(readyAt) } else { readyAt = nil }
        }
    }
    /// When a request last used it: Ollama's eviction order (least recently used first).
    public var lastUsed: ContinuousClock.Instant {
        get { lastUse.instant }
        set { lastUse = StoredInstant(newValue) }
    }
    /// When Ollama will unload it if unused (from `/api/ps`, else last use + keep-alive).
    public var expiresAt: ContinuousClock.Instant {
        get { expiry.instant }
        set { expiry = StoredInstant(newValue) }
    }
    /// Bytes of GPU memory it holds (`size_vram` from `/api/ps`), when known.
    public var sizeVRAM: Int?
    /// Whether `/api/ps` listed it at least once (else it is only Olla's prediction).
    public var confirmed: Bool
    /// Whether a request Olla sent has had its first byte from this copy: its load is over,
    /// whatever the request sent to load it shows (`ResidencyScheduler.isLoading`).
    public var answered = false

    // The instants above, stored with a fixed layout (`StoredInstant`): this record is copied
    // several times per request (read out of its instance's table), and with instants stored
    // every copy and destroy went through run-time value witnesses. `readyAt`: nil once loaded.
    private var readyAt: StoredInstant?
    private var lastUse: StoredInstant
    private var expiry: StoredInstant

    /// Creates a record.
    public init(name: String, phase: Phase, lastUsed: ContinuousClock.Instant, expiresAt: ContinuousClock.Instant,
                sizeVRAM: Int? = nil, confirmed: Bool = false) {
        self.name = name
        if case .loading(let readyAt) = phase { self.readyAt = StoredInstant(readyAt) }
        self.lastUse = StoredInstant(lastUsed)
        self.expiry = StoredInstant(expiresAt)
        self.sizeVRAM = sizeVRAM
        self.confirmed = confirmed
    }

    /// Whether the model is still loading at `now`.
    public func isLoading(now: ContinuousClock.Instant) -> Bool {
        readyAt != nil
    }

    /// Seconds until the load is expected to end (0 once loaded or overdue).
    public func secondsUntilReady(now: ContinuousClock.Instant) -> Double {
        guard let readyAt else { return 0 }
        return max(0, (readyAt.instant - now).schedulingSeconds)
    }

    /// Marks it loaded (`phase = .loaded`, without building a `Phase`, whose layout is known only at run time).
    public mutating func markLoaded() {
        readyAt = nil
    }

    /// A request's successful first byte from this copy at `now`: answered, loaded, used now.
    /// - Returns: whether it is the copy's first answer (`answered` was false).
    mutating func answer(at now: ContinuousClock.Instant) -> Bool {
        let first = !answered
        answered = true
        readyAt = nil
        lastUse = StoredInstant(now)
        return first
    }

    /// Extends its expiry to at least `expiry` (`expiresAt = max(expiresAt, expiry)`), compared as stored.
    public mutating func keepUntilAtLeast(_ expiry: ContinuousClock.Instant) {
        self.expiry = max(self.expiry, StoredInstant(expiry))
    }
}

/// One request Olla has sent to an instance and not seen finish.
public struct RunningRequest: Sendable, Equatable {
    /// The model it runs (canonical name).
    public var model: String
    /// When it was sent.
    public var dispatchedAt: ContinuousClock.Instant {
        get { dispatched.instant }
        set { dispatched = StoredInstant(newValue) }
    }
    /// When its first response byte arrived (it then holds one of the model's slots).
    public var firstByteAt: ContinuousClock.Instant? {
        get { firstByte?.instant }
        set { firstByte = newValue.map(StoredInstant.init) }
    }
    /// Whether its first response byte arrived (`firstByteAt != nil`, read as stored).
    public var hasFirstByte: Bool { firstByte != nil }
    /// Whether Olla expected it to load its model.
    public var expectedColdLoad: Bool
    /// The wait Olla estimated when it chose this instance, in seconds.
    public var estimatedWait: Double

    // The instants above, stored with a fixed layout (`StoredInstant`, as in `ResidentModel`):
    // the running requests' table is read and changed at every event of every request.
    private var dispatched: StoredInstant
    private var firstByte: StoredInstant?

    /// Stamps its first byte at `now`, stored as it lies (`firstByteAt = now` went through an
    /// optional `ContinuousClock.Instant`, whose layout is known only at run time).
    mutating func stampFirstByte(at now: ContinuousClock.Instant) {
        firstByte = StoredInstant(now)
    }

    /// Creates a record.
    public init(model: String, dispatchedAt: ContinuousClock.Instant, expectedColdLoad: Bool, estimatedWait: Double) {
        self.model = model
        self.dispatched = StoredInstant(dispatchedAt)
        self.expectedColdLoad = expectedColdLoad
        self.estimatedWait = estimatedWait
    }
}
