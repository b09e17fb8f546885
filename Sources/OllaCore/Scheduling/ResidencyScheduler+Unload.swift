/// An unload Olla sends to make room for a load (`POST /api/generate` with
/// `{"model": model, "keep_alive": 0}`: Ollama's own way, server/routes.go).
public struct UnloadOrder: Sendable, Equatable {
    /// The endpoint's configured name.
    public var instance: String
    /// The model to unload, as the instance lists it.
    public var model: String
    /// The model the room is for (canonical).
    public var forModel: String

    /// Creates an order.
    public init(instance: String, model: String, forModel: String) {
        self.instance = instance
        self.model = model
        self.forModel = forModel
    }
}

extension ResidencyScheduler {
    /// Olla, not Ollama, chooses what a load evicts, when Ollama's choice would undo the
    /// placement plan.
    ///
    /// Ollama makes room by evicting an idle model — the shortest keep-alive first, then by
    /// name (server/sched.go findRunnerToUnload; the residency model predicts the least
    /// recently used) — and knows nothing of the fleet. The plan (`PlacementPlan`) keeps the
    /// most wanted models on an instance and lets the others take turns in its last slot;
    /// when Ollama's victim is a model the plan keeps there, the evicted model comes back (a
    /// reload) while the one whose turn it was stays; and recency is a poor guide to the next
    /// request. So, with `unload_victims` on, Olla ranks the idle models there with no request
    /// of Olla's running or held for them: one the plan does not keep there before one it
    /// keeps, then the least wanted (decayed demand: with independent requests the model
    /// wanted least is the least likely back soon — least frequently used, where Ollama's rule
    /// is least recently used). When its first is not Ollama's victim, and is not kept where
    /// Ollama's is, or is wanted less than `leastWantedMargin` of it, Olla unloads it
    /// (`keep_alive: 0`), waits for the answer, then sends the load. Its penalty and rent are
    /// weighed for that victim (`weighLastCopy`).
    func choosingVictim(_ estimate: inout PlacementEstimate, for model: String, plan: PlacementPlan?,
                        now: ContinuousClock.Instant) {
        guard settings.unloadVictims, let plan, estimate.residency == .cold, let shown = estimate.victim,
              let instance = self.instance(named: estimate.candidate.name), instance.mayUnload(now: now) else { return }
        let ollamas = ModelName.canonical(shown)
        let name = instance.name
        // Only Ollama's idle victim: when every model is busy, the load waits for one anyway.
        guard instance.predictedVictim(now: now, sparing: model) == ollamas else { return }
        // Olla's victim: an idle model the plan does not keep there before one it keeps, then
        // the one wanted least (decayed demand), then the least recently used.
        func rank(_ m: String) -> (Int, Double) { (plan.keeps(m, on: name) ? 1 : 0, demand.level(m, now: now)) }
        guard let chosen = instance.idleModels(sparing: model, now: now)
            .filter({ held[$0, default: 0] == 0 })
            .min(by: { rank($0) < rank($1) }), chosen != ollamas else { return }
        let (mine, theirs) = (rank(chosen), rank(ollamas))
        guard mine.0 < theirs.0 || (mine.0 == theirs.0 && mine.1 < Self.leastWantedMargin * theirs.1) else { return }
        estimate.victim = instance.models[chosen]?.name ?? chosen
        estimate.spared = shown
        estimate.unloadsVictim = true
        estimate.evictionPenalty = evictionPenalty(chosen, on: name, for: model, now: now)
        estimate.victimSaturated = (remainingUtilisation(chosen, except: name, now: now) ?? 0) >= 1
    }

    /// Olla unloads a model other than Ollama's victim only when it is wanted less than this
    /// share of the victim's demand (both kept, or both not kept by the plan).
    static let leastWantedMargin = 0.8

    /// The unload to send for `placement` at `now`, when its best estimate orders one
    /// (`PlacementEstimate.ordersUnload`): the residency model drops the victim at once and
    /// holds loads there until the answer (`unloadAnswered`). Nil otherwise, and when the
    /// victim has a request of Olla's running or held by now (never unloaded under a request).
    public mutating func orderUnload(_ placement: Placement, for model: String,
                                     now: ContinuousClock.Instant) -> UnloadOrder? {
        guard case .hold(let estimates) = placement, let best = estimates.first, best.ordersUnload,
              let shown = best.victim, let at = position(of: best.candidate.name, slot: best.candidate.slot),
              fleet[at].mayUnload(now: now) else { return nil }
        let victim = ModelName.canonical(shown)
        guard fleet[at].idleModels(sparing: model, now: now).contains(victim),
              held[victim, default: 0] == 0 else { return nil }
        let name = fleet[at].models[victim]?.name ?? shown
        fleet[at].unloadSent(victim, now: now)
        return UnloadOrder(instance: best.candidate.name, model: name, forModel: model)
    }

    /// The unload `order` was answered at `now` (`succeeded`: a 2xx status).
    public mutating func unloadAnswered(_ order: UnloadOrder, succeeded: Bool, now: ContinuousClock.Instant) {
        guard let at = position(of: order.instance) else { return }
        fleet[at].unloadAnswered(succeeded: succeeded, now: now)
    }
}
