/// The `residency-aware` balancer's brain: a live residency model of every instance, the
/// costs learned per (instance, model), fleet-wide demand, and the decision by expected time
/// to first token.
///
/// Pure: no locks, no I/O, no clock. Every event carries `now`; the engine owns one behind
/// a mutex and feeds it what it sees (dispatches, first bytes, final chunks, `/api/ps`).
public struct ResidencyScheduler: Sendable, Equatable {
    /// Fleet-wide constants.
    public var settings: SchedulerSettings
    /// Every configured instance, in configuration order: an instance's position here is its
    /// `slot` in the routing snapshot built from the same configuration.
    ///
    /// An array, not a table by name: each request's events found their instance by hashing
    /// its name (four times per request), and reading a table's value copied the whole
    /// record out (a retain and a release of each of its tables, ~600 instructions).
    public internal(set) var fleet: [InstanceResidency] = []
    /// Each instance's position in `fleet`, by name.
    private(set) var positions: [String: Int] = [:]
    /// Recent demand per model (canonical name).
    public internal(set) var demand = ModelDemand()
    /// Which instance (its position in `fleet`) runs each dispatched request (a table by
    /// request id without SipHash: `RequestPlacements`).
    var placements = RequestPlacements()
    /// Requests Olla holds per model (canonical) while no instance can start them, as the
    /// owner of the hold queue last reported them: work already waiting for a model's copies.
    public var held: [String: Int] = [:]

    /// Every configured instance by name (status pages, tests): built on each call.
    public var instances: [String: InstanceResidency] {
        Dictionary(fleet.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The position in `fleet` of the instance called `name`, if configured: `slot` when the
    /// caller has it (a candidate's, from the routing snapshot) and it holds that name, else
    /// found by name (a hash). A slot from an older configuration fails the name check.
    public func position(of name: String, slot: Int? = nil) -> Int? {
        if let slot, fleet.indices.contains(slot), fleet[slot].name == name { return slot }
        // A small fleet is searched by name: the names a request carries share their storage
        // with the configuration's, so each comparison is a pointer check (~15 instructions),
        // where hashing the name cost ~310 (`learn`, on every scheduled request's path).
        if fleet.count <= Self.searchedFleetSize {
            for at in fleet.indices where fleet[at].name == name { return at }
            return nil
        }
        return positions[name]
    }

    /// Up to this many instances, `position(of:)` compares names instead of hashing one.
    static let searchedFleetSize = 8

    /// The instance called `name`, if configured (a copy).
    public func instance(named name: String) -> InstanceResidency? {
        position(of: name).map { fleet[$0] }
    }

    /// The instance request `id` was dispatched to, if it runs (or is about to).
    public func placement(of id: UInt64) -> String? { placements[id].map { fleet[$0].name } }

    /// One instance's configuration as the scheduler needs it.
    public struct InstanceConfig: Sendable, Equatable {
        /// The endpoint's configured name.
        public var name: String
        /// `num_parallel` from the configuration; nil: learned, starting at Ollama's default.
        public var numParallel: Int?
        /// `max_loaded_models` from the configuration; nil: learned from `/api/ps`.
        public var maxLoadedModels: Int?
        /// Whether the instance reports what it has loaded (`/api/ps`); false for OpenAI-compatible servers.
        public var reportsResidency: Bool

        /// Creates an instance configuration.
        public init(name: String, numParallel: Int? = nil, maxLoadedModels: Int? = nil, reportsResidency: Bool = true) {
            self.name = name
            self.numParallel = numParallel
            self.maxLoadedModels = maxLoadedModels
            self.reportsResidency = reportsResidency
        }
    }

    /// A scheduler for `instances`, nothing learned yet.
    public init(settings: SchedulerSettings = .defaults, instances: [InstanceConfig] = []) {
        self.settings = settings
        configure(instances)
    }

    /// Installs a new configuration (reload): instances whose capacity settings did not
    /// change keep what was learned about them; removed ones are forgotten.
    public mutating func configure(_ configs: [InstanceConfig]) {
        var next: [InstanceResidency] = []
        var nextPositions: [String: Int] = [:]
        for config in configs {
            let instance: InstanceResidency
            if let old = self.instance(named: config.name), old.configuredParallel == config.numParallel,
               old.configuredMaxLoaded == config.maxLoadedModels, old.reportsResidency == config.reportsResidency {
                instance = old
            } else {
                instance = InstanceResidency(name: config.name, numParallel: config.numParallel,
                                             maxLoadedModels: config.maxLoadedModels,
                                             reportsResidency: config.reportsResidency)
            }
            // A name configured twice: the last one wins, as it did in a table by name.
            if let position = nextPositions[config.name] {
                next[position] = instance
            } else {
                nextPositions[config.name] = next.count
                next.append(instance)
            }
        }
        // Running requests keep their instance at its new position; those of removed ones are forgotten.
        placements = placements.compactMapValues { nextPositions[fleet[$0].name] }
        fleet = next
        positions = nextPositions
    }

    // MARK: Costs

    /// Seconds to load `model` on `instance`: learned there, else the mean learned on other
    /// instances, else `default_load_time`. Learned: from `load_duration`, or before the
    /// first final chunk from the first answer of a copy (`LearnedCosts.expectedLoadTime`).
    public func loadTime(_ model: String, on instance: String) -> Double {
        if let own = position(of: instance).flatMap({ fleet[$0].costs[model]?.expectedLoadTime }) { return own }
        let elsewhere = fleet.compactMap { $0.costs[model]?.expectedLoadTime }
        if !elsewhere.isEmpty { return elsewhere.reduce(0, +) / Double(elsewhere.count) }
        return settings.defaultLoadTime.schedulingSeconds
    }

    /// Seconds one request of `model` holds a slot on `instance`: learned there, else
    /// elsewhere, else the mean of everything learned, else a default.
    public func generationTime(_ model: String, on instance: String) -> Double {
        if let own = position(of: instance).flatMap({ fleet[$0].costs[model]?.generationTime.value }) { return own }
        let elsewhere = fleet.compactMap { $0.costs[model]?.generationTime.value }
        if !elsewhere.isEmpty { return elsewhere.reduce(0, +) / Double(elsewhere.count) }
        let all = fleet.flatMap { $0.costs.values.compactMap(\.generationTime.value) }
        if !all.isEmpty { return all.reduce(0, +) / Double(all.count) }
        return SchedulerSettings.defaultGenerationTime
    }

    /// The expected cost of evicting `victim` from `instance` to load `model`: nothing when
    /// nobody wanted it lately.
    ///
    /// When no other instance keeps a copy, its next user pays a reload: the reload time,
    /// scaled by how much more it is wanted than `model` (its requests per request of
    /// `model`), at most `maxReloadsForALastCopy`. So a rarely used model does not evict a
    /// popular one, and a popular one evicts a rare one cheaply.
    ///
    /// When other copies stay, evicting this one costs its users queueing: the reload time
    /// scaled by how busy the remaining copies would be (`remainingUtilisation`), at most
    /// `maxReloadsForABusyCopy`.
    public func evictionPenalty(_ victim: String, on instance: String, for model: String,
                                now: ContinuousClock.Instant) -> Double {
        let wanted = demand.level(victim, now: now)
        guard wanted >= 0.05 || held[victim, default: 0] > 0 else { return 0 }
        let reload = loadTime(victim, on: instance)
        if let busy = remainingUtilisation(victim, except: instance, now: now) {
            return reload * min(Self.maxReloadsForABusyCopy, busy)
        }
        let ratio = wanted / max(demand.level(model, now: now), 0.05)
        return reload * min(Self.maxReloadsForALastCopy, ratio)
    }

    /// The most evicting a model's last copy is charged, in its reloads: a model wanted four
    /// times as much as the one that would evict it is as good as never evicted for it.
    /// This penalty ranks candidates (which instance, which victim); it never makes a
    /// request wait by itself, since a last copy is not a saturated one (`awaitsPayment`).
    public static let maxReloadsForALastCopy = 4.0

    /// The most evicting one of several copies is charged, in reloads: what the eviction
    /// physically costs the victim's users is the instance's time reloading it and the wait
    /// of the next request for it, two reloads. It bounds the rent a request pays by waiting
    /// before a busy copy is evicted for it (`PlacementEstimate.awaitsPayment`).
    public static let maxReloadsForABusyCopy = 2.0

    /// How busy the copies of `model` other than the one on `instance` would be serving its
    /// demand alone: its request rate × generation time ÷ their slots, plus the requests
    /// held for it now ÷ their slots (work already waiting). 1 or more: they could not keep
    /// up. Nil when no other instance holds it.
    public func remainingUtilisation(_ model: String, except instance: String, now: ContinuousClock.Instant) -> Double? {
        let others = otherCopies(model, except: instance)
        guard others.slots > 0 else { return nil }
        let rate = demand.rate(model, now: now, minWindow: loadTime(model, on: instance))
        return (rate * generationTime(model, on: instance) + Double(held[model, default: 0])) / Double(others.slots)
    }

    /// Instances other than `instance` holding (or loading) `model`.
    public func copies(of model: String, except instance: String) -> Int {
        fleet.filter { $0.name != instance && $0.reportsResidency && $0.models[model] != nil }.count
    }

    /// The copies of `model` other than the one on `instance`: their slots in all, and the
    /// requests per second they serve (slots ÷ generation time each).
    func otherCopies(_ model: String, except instance: String) -> (slots: Int, capacity: Double) {
        fleet.filter { $0.name != instance && $0.reportsResidency && $0.models[model] != nil }
            .reduce((0, 0.0)) { sum, copy in
                let slots = copy.slotsPerModel ?? 1
                return (sum.0 + slots, sum.1 + Double(slots) / max(0.001, generationTime(model, on: copy.name)))
            }
    }

    /// The estimate for `model` (canonical) on one candidate at `now`. `queuedBehind`:
    /// requests for the same model held behind this one, which an extra copy would serve too.
    public func estimate(_ model: String, on candidate: SchedulingCandidate, now: ContinuousClock.Instant,
                         queuedBehind: Int = 0) -> PlacementEstimate {
        // Found by the candidate's slot (no hash) and read where it lies.
        guard let at = position(of: candidate.name, slot: candidate.slot) else {
            return PlacementEstimate(candidate: candidate, residency: .cold, queueWait: 0,
                                     loadTime: loadTime(model, on: candidate.name), canStartNow: true)
        }
        var estimate = fleet[at].estimate(
            model, candidate: candidate, loadTime: { loadTime(model, on: candidate.name) },
            generationTime: { generationTime(model, on: candidate.name) }, now: now)
        weighFleet(&estimate, of: model, at: at, queuedBehind: queuedBehind, now: now)
        return estimate
    }

    /// `estimate`'s fleet-wide parts: the eviction penalty of its victim, and the queue an
    /// extra copy would relieve (changed in place: built and returned in one function, the
    /// estimate was copied out and destroyed once more).
    private func weighFleet(_ estimate: inout PlacementEstimate, of model: String, at: Int, queuedBehind: Int,
                            now: ContinuousClock.Instant) {
        let instance = fleet[at].name
        if let victim = estimate.victim {
            estimate.evictionPenalty = evictionPenalty(victim, on: instance, for: model, now: now)
            estimate.victimSaturated = (remainingUtilisation(victim, except: instance, now: now) ?? 0) >= 1
            estimate.victim = fleet[at].models[victim]?.name ?? victim
        }
        // Only a cold estimate needs the other copies (a scan of every instance).
        guard estimate.residency == .cold, fleet[at].reportsResidency else { return }
        let others = otherCopies(model, except: instance)
        guard others.slots > 0 else { return }
        // An extra copy takes work off the other copies' queue: the requests held behind
        // this one, and the demand they cannot keep up with while it loads. Each would
        // otherwise wait one more generation (theirs) per slot there. Demand they can serve is
        // not counted, so a burst they absorb does not buy a copy.
        let excess = max(0, demand.rate(model, now: now, minWindow: estimate.loadTime) - others.capacity)
        let relieved = Double(queuedBehind) + excess * estimate.loadTime
        estimate.queueRelief = relieved / max(0.001, others.capacity)
    }
}

extension ResidencyScheduler {
    /// Join the shortest expected delay when nothing can beat it: whether a request for
    /// `model` that `decide` would hold goes into its best instance's own queue at once.
    ///
    /// Late binding pays off when another instance may free up first; it costs a round trip
    /// (the slot frees, Olla hears of it, sends the request, the instance reads it) when the
    /// request ends up where it would have queued anyway. Behind a load in progress that is
    /// known in advance: the request is sent at once when its best instance is loading the
    /// model (predicted, or the request Olla sent to load it has no answer yet: `/api/ps`
    /// lists a model from the start of its load), so its wait is the load and what is queued
    /// behind it, not a slot that may free any moment; the wait is within `tier_max_wait`; the
    /// instance is not refusing requests (503); and no other instance of the tier could start
    /// it sooner even at best — a busy holder may free any moment, another loading one is
    /// ready only after its load, one without the model only after a load. Requests waiting
    /// for a busy loaded model stay in Olla's queue, bounded by `queue_length` and `queue_timeout`.
    public func joinsQueue(_ model: String, _ estimates: [PlacementEstimate], now: ContinuousClock.Instant) -> Bool {
        guard let best = estimates.first, best.residency != .cold, !best.canStartNow, !best.awaitsPayment,
              best.expectedWait <= settings.tierMaxWait.schedulingSeconds,
              let at = position(of: best.candidate.name, slot: best.candidate.slot) else { return false }
        let instance = fleet[at]
        guard best.residency == .loading || Self.isLoading(model, on: instance) else { return false }
        if let busyUntil = instance.busyUntil, busyUntil > now { return false }
        let rivals = estimates.dropFirst().filter { $0.candidate.priority == best.candidate.priority }
        return rivals.allSatisfy { best.expectedWait < earliestStart(model, $0, now: now) }
    }

    /// Whether the request Olla sent to load `model` on `instance` has no answer yet, and no
    /// other request has had one from that copy: the first byte of any request of the model
    /// there says the load is over (two requests sent at once to a loading instance may reach
    /// it in either order; the one sent to load may be the second to start).
    static func isLoading(_ model: String, on instance: InstanceResidency) -> Bool {
        if let resident = instance.models.index(forKey: model), instance.models.values[resident].answered { return false }
        return instance.running.values.contains { $0.model == model && $0.expectedColdLoad && $0.firstByteAt == nil }
    }

    /// The soonest `estimate`'s instance could surely not beat: after a load when it lacks
    /// the model, after the rest of its load when it is loading with a slot free, and at once
    /// when its slots are taken (a generation's length is not known in advance: it may free
    /// any moment after its load).
    func earliestStart(_ model: String, _ estimate: PlacementEstimate, now: ContinuousClock.Instant) -> Double {
        switch estimate.residency {
        case .cold: return estimate.loadTime
        case .loading, .loaded:
            guard estimate.canStartNow else { return 0 }
            let at = position(of: estimate.candidate.name, slot: estimate.candidate.slot)
            return at.flatMap { fleet[$0].models[model]?.secondsUntilReady(now: now) } ?? 0
        }
    }
}
