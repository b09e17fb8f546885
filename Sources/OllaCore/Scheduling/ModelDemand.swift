/// How much each model is wanted lately, fleet-wide: a request count that halves every
/// `SchedulerSettings.demandHalfLife`. It weighs what an eviction destroys: evicting a
/// model nobody asked for in minutes costs nothing; evicting the busiest one costs its
/// next user a load.
public struct ModelDemand: Sendable, Equatable {
    private var counts: [String: (value: Double, at: ContinuousClock.Instant)] = [:]
    private let halfLife: Double

    /// An empty record.
    public init(halfLife: Duration = SchedulerSettings.demandHalfLife) {
        self.halfLife = max(1e-3, halfLife.schedulingSeconds)
    }

    /// Counts one request for `model` (canonical name) at `now`.
    public mutating func requested(_ model: String, now: ContinuousClock.Instant) {
        counts[model] = (level(model, now: now) + 1, now)
        if counts.count > 4_096 { forgetFaded(now: now) }
    }

    /// The decayed request count of `model` at `now` (0 for a model never requested).
    public func level(_ model: String, now: ContinuousClock.Instant) -> Double {
        guard let entry = counts[model] else { return 0 }
        let elapsed = max(0, (now - entry.at).schedulingSeconds)
        return entry.value * Self.halving(elapsed / halfLife)
    }

    /// The request rate of `model` per second the decayed count stands for: a steady rate r
    /// keeps the count at r × half-life / ln 2.
    public func rate(_ model: String, now: ContinuousClock.Instant) -> Double {
        level(model, now: now) * 0.693_147_180_559_945_3 / halfLife
    }

    /// 2^-x without Foundation, accurate enough for weights.
    static func halving(_ x: Double) -> Double {
        guard x < 60 else { return 0 }
        var result = 1.0
        var remaining = x
        while remaining >= 1 { result *= 0.5; remaining -= 1 }
        // 2^-r for r in [0, 1): a short series of e^(-r ln 2).
        let t = -remaining * 0.693_147_180_559_945_3
        return result * (1 + t + t * t / 2 + t * t * t / 6 + t * t * t * t / 24)
    }

    private mutating func forgetFaded(now: ContinuousClock.Instant) {
        counts = counts.filter { level($0.key, now: now) > 0.01 }
    }

    /// Equal demand: the same half-life and the same decayed count per model.
    public static func == (a: ModelDemand, b: ModelDemand) -> Bool {
        a.halfLife == b.halfLife && a.counts.mapValues(\.value) == b.counts.mapValues(\.value)
    }
}
