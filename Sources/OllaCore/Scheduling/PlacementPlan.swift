/// Which models should live where, fleet-wide: every wanted model gets one home among the
/// instances that offer it, packed so that the fleet reloads as little as it can.
///
/// A single decision sees one request and one instance; it cannot tell which models should
/// share which instance. The plan does, from the decayed demand (`ModelDemand`): it places
/// the models one by one, most wanted first, each where it adds the least expected loss. An
/// instance whose placed models fit (`capacity`, Ollama's `OLLAMA_MAX_LOADED_MODELS`) keeps
/// them all; one with more keeps its most wanted `capacity − 1` (**kept**) and lets the rest
/// take turns in its last slot (the **rotation**). The loss of an instance is what its
/// rotation costs: its loads per second, R − Σ r² ÷ R for rotating models wanted at rates r
/// summing to R (each request finds its model gone with the chance that another rotating
/// model was used last), times a load's seconds, plus the wait of the kept models'
/// requests that arrive during a load, r_kept × load ÷ 2 each. That wait is an upper bound:
/// Ollama loads one model at a time and admits in arrival order, so a kept model's request
/// waits only when it queues behind a request for the loading model; the kept models go on
/// serving beside a load nobody waits on (server/sched.go). Moving a model away from the instance that holds
/// it costs its reload, counted as one load per demand half-life, so the plan does not
/// churn on small changes of demand; and, ordering an instance's models for its kept slots,
/// a resident model counts `residentWeight` times its demand, so two near-equal models do not
/// swap places on every request.
///
/// The scheduler asks it when a load must happen and would evict a model's last copy
/// (`ResidencyScheduler.weighLastCopy`): a model the plan keeps on that instance costs at
/// least a reload and rents; one taking its turn beside a kept model, wanted no more than the
/// model that needs the room, owes no rent.
/// Pure: a value computed from its inputs; no clock.
public struct PlacementPlan: Sendable, Equatable {
    /// One model as the plan sees it.
    public struct Wanted: Sendable, Equatable {
        /// Canonical name.
        public var model: String
        /// Requests per second (`ModelDemand.rate`).
        public var rate: Double
        /// Instances that offer it, in configuration order.
        public var homes: [String]
        /// Instances that hold it (resident or loading) now.
        public var residentOn: Set<String>

        /// Creates an entry.
        public init(model: String, rate: Double, homes: [String], residentOn: Set<String> = []) {
            self.model = model
            self.rate = rate
            self.homes = homes
            self.residentOn = residentOn
        }
    }

    /// Per instance: the models placed there, in the order they claim its slots (the first
    /// `capacity − 1` are kept when they do not all fit).
    public private(set) var placed: [String: [String]] = [:]
    /// Per instance: the models the plan keeps resident there.
    public private(set) var kept: [String: Set<String>] = [:]
    /// Per model: the instance it is placed on.
    public private(set) var home: [String: String] = [:]

    /// How much more a resident model weighs than its demand when an instance's models are
    /// ordered for its kept slots: near-equal models keep their places.
    public static let residentWeight = 1.5
    /// The most models planned (the most wanted); the rest have no home and keep nothing.
    public static let maxModels = 256

    /// An empty plan: keeps nothing.
    public init() {}

    /// Plans `wanted` into instances of `capacity` (models that fit at once, by name; an
    /// instance not listed is not planned). `loadTime`: seconds a load takes; `halfLife`:
    /// seconds over which a move's reload is counted (the demand's half-life).
    ///
    /// Greedy, most wanted first, each model where it adds the least loss; then up to
    /// `improvementRounds` rounds of moving one model to another of its homes, or swapping
    /// two models' homes (fleets of up to `maxModelsSwapped` models), while that lowers the
    /// fleet's loss: the greedy pass cannot see that the busiest instance should keep two
    /// models and leave the rotation to a quieter one.
    public init(_ wanted: [Wanted], capacity: [String: Int], loadTime: Double, halfLife: Double) {
        let order = Array(wanted.filter { $0.rate > 0 }
            .sorted { ($0.rate, $1.model) > ($1.rate, $0.model) }
            .prefix(Self.maxModels))
        let packing = Packing(order, capacity: capacity, loadTime: loadTime, moveCost: loadTime / max(1, halfLife))
        for (instance, indices) in packing.members {
            let models = indices.map { order[$0] }
            let ordered = Self.claimOrder(models, on: instance)
            placed[instance] = ordered.map(\.model)
            let room = capacity[instance]!
            kept[instance] = Set(ordered.prefix(ordered.count <= room ? ordered.count : max(0, room - 1)).map(\.model))
            for model in models { home[model.model] = instance }
        }
    }

    /// Rounds of improving the greedy packing, at most.
    public static let improvementRounds = 4
    /// Fleets with more wanted models than this are improved by moves only (swaps are quadratic).
    public static let maxModelsSwapped = 32

    /// The assignment being built: which models (indices into the wanted list) each instance holds.
    struct Packing {
        let models: [Wanted]
        let capacity: [String: Int]
        let loadTime: Double
        let moveCost: Double
        var members: [String: [Int]] = [:]
        var homeOf: [Int: String] = [:]

        init(_ models: [Wanted], capacity: [String: Int], loadTime: Double, moveCost: Double) {
            self.models = models
            self.capacity = capacity
            self.loadTime = loadTime
            self.moveCost = moveCost
            for index in models.indices { placeGreedily(index) }
            for _ in 0..<PlacementPlan.improvementRounds {
                if !improve() { break }
            }
        }

        /// The instances that offer model `index` and are planned.
        func homes(_ index: Int) -> [String] { models[index].homes.filter { capacity[$0] != nil } }

        /// The loss of `instance` holding `indices`.
        func loss(_ instance: String, _ indices: [Int]) -> Double {
            PlacementPlan.loss(indices.map { models[$0] }, capacity: capacity[instance] ?? 0, loadTime: loadTime)
        }

        /// What placing model `index` on `instance` costs by moving it: one reload per half-life
        /// when it is resident on another of its homes and not here.
        func move(_ index: Int, to instance: String) -> Double {
            let model = models[index]
            guard !model.residentOn.contains(instance) else { return 0 }
            return homes(index).contains(where: model.residentOn.contains) ? moveCost : 0
        }

        mutating func placeGreedily(_ index: Int) {
            var best: (home: String, rank: (Double, Int, Double, Int))?
            for (position, home) in homes(index).enumerated() {
                let now = members[home] ?? []
                let added = loss(home, now + [index]) - loss(home, now) + move(index, to: home)
                let resident = models[index].residentOn.contains(home) ? 0 : 1
                let rank = ((added * 1e9).rounded() / 1e9, resident, now.reduce(0) { $0 + models[$1].rate }, position)
                if best.map({ rank < $0.rank }) ?? true { best = (home, rank) }
            }
            guard let chosen = best?.home else { return }
            members[chosen, default: []].append(index)
            homeOf[index] = chosen
        }

        /// One round of moves and swaps that lower the loss; whether any was made.
        mutating func improve() -> Bool {
            var changed = false
            for index in homeOf.keys.sorted() {
                let from = homeOf[index]!
                for to in homes(index) where to != from {
                    let before = loss(from, members[from]!) + loss(to, members[to] ?? []) + move(index, to: from)
                    let after = loss(from, members[from]!.filter { $0 != index }) + loss(to, (members[to] ?? []) + [index])
                        + move(index, to: to)
                    if after < before - 1e-9 { relocate(index, to: to); changed = true; break }
                }
            }
            guard homeOf.count <= PlacementPlan.maxModelsSwapped else { return changed }
            let placed = homeOf.keys.sorted()
            for (i, first) in placed.enumerated() {
                for second in placed[(i + 1)...] {
                    let (a, b) = (homeOf[first]!, homeOf[second]!)
                    guard a != b, homes(first).contains(b), homes(second).contains(a) else { continue }
                    let before = loss(a, members[a]!) + loss(b, members[b]!) + move(first, to: a) + move(second, to: b)
                    let swappedA = members[a]!.filter { $0 != first } + [second]
                    let swappedB = members[b]!.filter { $0 != second } + [first]
                    let after = loss(a, swappedA) + loss(b, swappedB) + move(first, to: b) + move(second, to: a)
                    if after < before - 1e-9 { relocate(first, to: b); relocate(second, to: a); changed = true }
                }
            }
            return changed
        }

        mutating func relocate(_ index: Int, to instance: String) {
            if let from = homeOf[index] { members[from]?.removeAll { $0 == index } }
            members[instance, default: []].append(index)
            homeOf[index] = instance
        }
    }

    /// Whether the plan keeps `model` resident on `instance`.
    public func keeps(_ model: String, on instance: String) -> Bool {
        kept[instance]?.contains(model) ?? false
    }

    /// Whether `model` rotates on `instance`: placed there, not kept.
    public func rotates(_ model: String, on instance: String) -> Bool {
        home[model] == instance && !keeps(model, on: instance)
    }

    /// Models in the order they claim an instance's slots: demand, a resident one's weighed
    /// `residentWeight` times; then by name.
    static func claimOrder(_ models: [Wanted], on instance: String) -> [Wanted] {
        func weight(_ m: Wanted) -> Double { m.rate * (m.residentOn.contains(instance) ? residentWeight : 1) }
        return models.sorted { (weight($0), $1.model) > (weight($1), $0.model) }
    }

    /// Seconds lost per second by an instance of `capacity` holding `models`: its rotation's
    /// loads, each a load's wait for the request that finds its model gone and for the kept
    /// models' requests that arrive during it (half a load each, on average).
    public static func loss(_ models: [Wanted], capacity: Int, loadTime: Double) -> Double {
        guard models.count > capacity else { return 0 }
        let ordered = models.sorted { ($0.rate, $1.model) > ($1.rate, $0.model) }
        let keptCount = max(0, capacity - 1)
        let keptRate = ordered.prefix(keptCount).reduce(0) { $0 + $1.rate }
        let rotating = ordered.dropFirst(keptCount)
        let total = rotating.reduce(0) { $0 + $1.rate }
        guard total > 0 else { return 0 }
        let loads = total - rotating.reduce(0) { $0 + $1.rate * $1.rate } / total
        return loads * loadTime * (1 + keptRate * loadTime / 2)
    }
}
