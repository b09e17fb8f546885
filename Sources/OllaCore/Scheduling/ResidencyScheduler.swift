/// The `residency-aware` balancer's brain: a live residency model of every instance, the
/// costs learned per (instance, model), fleet-wide demand, and the decision by expected time
/// to first token.
///
/// Pure: no locks, no I/O, no clock. Every event carries `now`; the engine owns one behind
/// a mutex and feeds it what it sees (dispatches, first bytes, final chunks, `/api/ps`).
public struct ResidencyScheduler: Sendable, Equatable {
    /// Fleet-wide constants.
    public var settings: SchedulerSettings
    /// Every configured instance by name.
    public internal(set) var instances: [String: InstanceResidency] = [:]
    /// Recent demand per model (canonical name).
    public internal(set) var demand = ModelDemand()
    /// Which instance runs each dispatched request.
    var placements: [UInt64: String] = [:]

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
        var next: [String: InstanceResidency] = [:]
        for config in configs {
            if let old = instances[config.name], old.configuredParallel == config.numParallel,
               old.configuredMaxLoaded == config.maxLoadedModels, old.reportsResidency == config.reportsResidency {
                next[config.name] = old
            } else {
                next[config.name] = InstanceResidency(name: config.name, numParallel: config.numParallel,
                                                      maxLoadedModels: config.maxLoadedModels,
                                                      reportsResidency: config.reportsResidency)
            }
        }
        instances = next
        placements = placements.filter { next[$0.value] != nil }
    }

    // MARK: Costs

    /// Seconds to load `model` on `instance`: learned there, else the mean learned on other
    /// instances, else `default_load_time`.
    public func loadTime(_ model: String, on instance: String) -> Double {
        if let own = instances[instance]?.costs[model]?.loadTime.value { return own }
        let elsewhere = instances.values.compactMap { $0.costs[model]?.loadTime.value }
        if !elsewhere.isEmpty { return elsewhere.reduce(0, +) / Double(elsewhere.count) }
        return settings.defaultLoadTime.schedulingSeconds
    }

    /// Seconds one request of `model` holds a slot on `instance`: learned there, else
    /// elsewhere, else the mean of everything learned, else a default.
    public func generationTime(_ model: String, on instance: String) -> Double {
        if let own = instances[instance]?.costs[model]?.generationTime.value { return own }
        let elsewhere = instances.values.compactMap { $0.costs[model]?.generationTime.value }
        if !elsewhere.isEmpty { return elsewhere.reduce(0, +) / Double(elsewhere.count) }
        let all = instances.values.flatMap { $0.costs.values.compactMap(\.generationTime.value) }
        if !all.isEmpty { return all.reduce(0, +) / Double(all.count) }
        return SchedulerSettings.defaultGenerationTime
    }

    /// The expected cost of evicting `victim` from `instance` to load `model`: nothing when
    /// another instance keeps a copy or nobody wanted it lately; otherwise its reload time,
    /// scaled by how much more it is wanted than `model` (at most four reloads). So a rarely
    /// used model does not evict a popular one, and a popular one evicts a rare one cheaply.
    ///
    /// When other copies of `victim` stay, evicting this one costs its users queueing: the
    /// reload time scaled by how busy the remaining copies would be (its request rate ×
    /// generation time ÷ remaining copies), also at most four reloads.
    public func evictionPenalty(_ victim: String, on instance: String, for model: String,
                                now: ContinuousClock.Instant) -> Double {
        let otherCopies = copies(of: victim, except: instance)
        let wanted = demand.level(victim, now: now)
        guard wanted >= 0.05 else { return 0 }
        let reload = loadTime(victim, on: instance)
        if otherCopies > 0 {
            let busy = demand.rate(victim, now: now) * generationTime(victim, on: instance) / Double(otherCopies)
            return reload * min(4, busy)
        }
        let ratio = wanted / max(demand.level(model, now: now), 0.05)
        return reload * min(4, ratio)
    }

    /// Instances other than `instance` holding (or loading) `model`.
    public func copies(of model: String, except instance: String) -> Int {
        instances.values.filter { $0.name != instance && $0.reportsResidency && $0.models[model] != nil }.count
    }

    /// The estimate for `model` (canonical) on one candidate at `now`, for a request that has
    /// been held `waited` seconds already: the eviction penalty it is charged shrinks by twice
    /// that, so a rarely used model waits for a popular one's instance for a while, never
    /// long. `queuedBehind`: requests for the same model held behind this one, which an
    /// extra copy would serve too.
    public func estimate(_ model: String, on candidate: SchedulingCandidate, now: ContinuousClock.Instant,
                         waited: Double = 0, queuedBehind: Int = 0) -> PlacementEstimate {
        guard let instance = instances[candidate.name] else {
            return PlacementEstimate(candidate: candidate, residency: .cold, queueWait: 0,
                                     loadTime: loadTime(model, on: candidate.name), canStartNow: true)
        }
        var estimate = instance.estimate(model, candidate: candidate, loadTime: loadTime(model, on: candidate.name),
                                         generationTime: generationTime(model, on: candidate.name), now: now)
        if let victim = estimate.victim {
            estimate.evictionPenalty = max(0, evictionPenalty(victim, on: candidate.name, for: model, now: now) - 2 * waited)
            estimate.victim = instance.models[victim]?.name ?? victim
        }
        if estimate.residency == .cold, instance.reportsResidency, copies(of: model, except: candidate.name) > 0 {
            // An extra copy of a model in demand serves the requests already held behind this
            // one and those that keep arriving, not only this one: its load is shared by them.
            estimate.sharedBy = 1 + Double(queuedBehind) + demand.rate(model, now: now) * estimate.loadTime
        }
        return estimate
    }
}
