/// The fleet-wide constants of the `residency-aware` balancer (`proxy.scheduler` in the
/// configuration), plus the facts about Ollama it assumes when an endpoint says nothing.
public struct SchedulerSettings: Sendable, Equatable {
    /// `default_load_time`: what loading a model is assumed to cost on an instance before
    /// Olla has seen one load there (or of that model anywhere). Default 5s.
    public var defaultLoadTime: Duration
    /// `queue_length`: requests Olla holds per model while no instance can start them;
    /// one more is refused with 503 and `Retry-After`. Default 512 (Ollama's `OLLAMA_MAX_QUEUE`).
    public var queueLength: Int
    /// `queue_timeout`: the longest a request is held before it is refused with 503. Default 5m.
    public var queueTimeout: Duration
    /// `tier_max_wait`: a lower `priority` tier serves a model only when every instance of
    /// the higher tier expects a longer wait than this. Default 30s.
    public var tierMaxWait: Duration
    /// `unload_victims`: before a load into a full instance whose idle model Ollama would
    /// evict (least recently used) is one the placement plan keeps there, or one wanted
    /// clearly more than another idle model there, Olla unloads that other model
    /// (`keep_alive: 0`), waits for the answer, then sends the load
    /// (`ResidencyScheduler+Unload.swift`). Default true.
    public var unloadVictims: Bool
    /// `batch_max_wait`: the longest the oldest request held for a model waits for others
    /// of its model before Olla loads it over a model that has requests held: the bound of
    /// the batch wait (`ResidencyScheduler.weighBatch`), which is otherwise learned (two
    /// reloads of the model it evicts). `0` = never wait for a batch. Default 10s.
    public var batchMaxWait: Duration

    /// The valid range of `queue_length`.
    public static let queueLengthRange = 1...100_000

    /// Ollama's `OLLAMA_NUM_PARALLEL` default (envconfig/config.go): one request per model at a time.
    public static let ollamaNumParallel = 1
    /// Ollama's `OLLAMA_MAX_LOADED_MODELS` default on one GPU or CPU (envconfig/config.go, server/sched.go).
    public static let ollamaMaxLoadedModels = 3
    /// Ollama's `OLLAMA_KEEP_ALIVE` default: a model stays resident this long after its last use.
    public static let ollamaKeepAlive = Duration.seconds(300)
    /// A final chunk whose `load_duration` reaches this means the model was loaded for
    /// that request (a resident model reports a few milliseconds at most).
    public static let coldLoadThreshold = Duration.milliseconds(200)
    /// How fast demand for a model is forgotten: a request counts half after this long.
    public static let demandHalfLife = Duration.seconds(60)
    /// What one generation is assumed to occupy a slot before any was observed.
    public static let defaultGenerationTime = 5.0
    /// The wait charged for sending one request beyond an instance's learned (unconfirmed)
    /// slots, so that a truly free instance still wins.
    public static let slotProbeWait = 0.1
    /// After Ollama answers 503 "server busy", the instance is treated as full this long.
    public static let busyBackoff = Duration.seconds(1)

    /// Creates settings; every parameter defaults to the documented default.
    public init(defaultLoadTime: Duration = .seconds(5), queueLength: Int = 512,
                queueTimeout: Duration = .seconds(300), tierMaxWait: Duration = .seconds(30), unloadVictims: Bool = true,
                batchMaxWait: Duration = .seconds(10)) {
        self.defaultLoadTime = defaultLoadTime
        self.queueLength = queueLength
        self.queueTimeout = queueTimeout
        self.tierMaxWait = tierMaxWait
        self.unloadVictims = unloadVictims
        self.batchMaxWait = batchMaxWait
    }

    /// The settings used when `proxy.scheduler` is absent.
    public static let defaults = SchedulerSettings()
}

extension Duration {
    /// The duration in (fractional) seconds, the unit of every scheduling estimate.
    /// `secondsAndAttoseconds`: `components`' values without its 128-bit division for the
    /// times of a request (~190 instructions each, several per finished request).
    public var schedulingSeconds: Double {
        let (whole, attoseconds) = secondsAndAttoseconds
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// `seconds` (fractional) as a duration; negative and non-finite values become zero.
    public static func schedulingSeconds(_ seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        return .nanoseconds(Int64(min(seconds, 1e9) * 1e9))
    }
}
