/// How much each model is wanted lately, fleet-wide: a request count that halves every
/// `SchedulerSettings.demandHalfLife`. It weighs what an eviction destroys: evicting a
/// model nobody asked for in minutes costs nothing; evicting the busiest one costs its
/// next user a load.
///
/// Beside the count it keeps, decayed alike, how many requests each arrival found already
/// held for its model: their ratio is the queue the model's requests met lately
/// (`queueFound`), which tells demand its copies cannot keep up with from a burst they absorb.
///
/// And where each model can be served: the instances its last request was offered to
/// (`homes`), which a fleet-wide placement plan needs for every model, not only the one asked for.
public struct ModelDemand: Sendable, Equatable {
    /// Per model: the decayed request count, the decayed sum of the requests each of them
    /// found held, when both were last updated, and the instances its last request could be
    /// served by, in configuration order (nil: never told).
    /// (`at` and `since` as `StoredInstant`: a table entry holding a `ContinuousClock.Instant`
    /// was copied through run-time value witnesses at every lookup, on every request's path.
    /// The offers live in the same entry so a request hashes the model's name once, not once
    /// per table.)
    private var counts: [String: Entry] = [:]
    private let halfLife: Double
    /// The first request counted: how long demand has been watched.
    private var since: StoredInstant?

    /// One model's record (see `counts`).
    private struct Entry: Sendable {
        var value: Double
        var queued: Double
        var at: StoredInstant
        var offers: [String]?

        /// Decays the record to `now` and counts one request that found `found` held.
        mutating func count(found: Double, now: ContinuousClock.Instant, halfLife: Double) {
            // `now` stored once and the elapsed time taken between stored instants (exactly
            // `now - at.instant`): the resilient instant's arithmetic is two calls more.
            let stamp = StoredInstant(now)
            let decay = ModelDemand.halving(max(0, stamp.since(at).schedulingSeconds) / halfLife)
            value = value * decay + 1
            queued = queued * decay + found
            at = stamp
        }

        /// Records `candidates` as the model's offers (kept as they are when unchanged).
        mutating func offer(_ candidates: [SchedulingCandidate]) {
            // Compared by index, each candidate's name read in place: `elementsEqual` over the
            // candidates copied each one out (its name retained and released, ~0.3 K per request).
            if let offers, offers.count == candidates.count, Self.sameNames(offers, candidates) { return }
            offers = candidates.map { $0.name }
        }

        private static func sameNames(_ names: [String], _ candidates: [SchedulingCandidate]) -> Bool {
            for index in names.indices where names[index] != candidates[index].name { return false }
            return true
        }
    }

    /// An empty record.
    public init(halfLife: Duration = SchedulerSettings.demandHalfLife) {
        self.halfLife = max(1e-3, halfLife.schedulingSeconds)
    }

    /// Counts one request for `model` (canonical name) at `now`, which found `waiting`
    /// requests for it already held (Olla's queue); `offeredBy`: the instances that could
    /// serve it (the request's candidates), or nil to leave what is known of them unchanged.
    public mutating func requested(_ model: String, now: ContinuousClock.Instant, waiting: Int = 0,
                                   offeredBy candidates: [SchedulingCandidate]? = nil) {
        // The model's entry is found once (a String hash) and changed where it lies: reading,
        // copying and storing it back cost four hashes on every request's path.
        let found = Double(max(0, waiting))
        if let index = counts.index(forKey: model) {
            counts.values[index].count(found: found, now: now, halfLife: halfLife)
            if let candidates { counts.values[index].offer(candidates) }
        } else {
            counts[model] = Entry(value: 1, queued: found, at: StoredInstant(now), offers: candidates?.map { $0.name })
        }
        if since == nil { since = StoredInstant(now) }
        if counts.count > 4_096 { forgetFaded(now: now) }
    }

    /// The instances that could serve `model` when it was last requested, in configuration
    /// order (empty when never told).
    public func homes(_ model: String) -> [String] { counts[model]?.offers ?? [] }

    /// Every model with a recorded request, by name.
    public var models: [String] { counts.keys.sorted() }

    /// The decayed request count of `model` at `now` (0 for a model never requested).
    public func level(_ model: String, now: ContinuousClock.Instant) -> Double {
        guard let entry = counts[model] else { return 0 }
        let elapsed = max(0, (now - entry.at.instant).schedulingSeconds)
        return entry.value * Self.halving(elapsed / halfLife)
    }

    /// The mean number of requests for `model` each of its recent requests found already
    /// held (weighted as the count is: halving every half-life): the queue its requests met
    /// lately. 0 for a model never requested.
    public func queueFound(_ model: String) -> Double {
        guard let entry = counts[model], entry.value > 0 else { return 0 }
        return entry.queued / entry.value
    }

    /// The request rate of `model` per second the decayed count stands for, over at least
    /// `minWindow` seconds. A steady rate r keeps the count at r × half-life / ln 2 — once
    /// demand has been watched for several half-lives. Before that the count has had less
    /// time to build up: the rate divides by the decayed length of the time watched,
    /// half-life / ln 2 × (1 − 2^(−watched / half-life)), so it is right from the first
    /// minute after a start (the warm-up correction of any exponentially weighted average).
    /// `minWindow` keeps one request a moment ago from reading as a huge rate: a caller
    /// weighing demand over a model load passes the load time.
    public func rate(_ model: String, now: ContinuousClock.Instant, minWindow: Double = 1) -> Double {
        let level = level(model, now: now)
        guard level > 0, let since else { return 0 }
        let watched = max(minWindow, (now - since.instant).schedulingSeconds, 1e-3)
        let window = halfLife / Self.ln2 * (1 - Self.halving(watched / halfLife))
        return window > 0 ? level / window : 0
    }

    static let ln2 = 0.693_147_180_559_945_3

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

    /// Equal demand: the same half-life and the same decayed counts per model.
    public static func == (a: ModelDemand, b: ModelDemand) -> Bool {
        a.halfLife == b.halfLife && a.since == b.since && a.counts.mapValues(\.value) == b.counts.mapValues(\.value)
            && a.counts.mapValues(\.queued) == b.counts.mapValues(\.queued)
            && a.counts.compactMapValues(\.offers) == b.counts.compactMapValues(\.offers)
    }
}
