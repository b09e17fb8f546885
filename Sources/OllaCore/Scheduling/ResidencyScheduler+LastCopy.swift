extension ResidencyScheduler {
    /// Keeps each wanted model's last resident copy where its users find it, as a static
    /// model→instance map does, without giving up the copies a busy model earns.
    ///
    /// A model whose only resident copy is evicted is reloaded by its next request: one
    /// load for the instance and a load's wait for that user, nearly always (keep-alive is
    /// minutes, a wanted model's next request comes sooner). So, for an estimate that evicts
    /// the last copy of a model with recent demand:
    ///
    /// - **Rent before buying** (`model` held nowhere): the eviction waits until the
    ///   requests held for `model` have waited, in all, the victim's reload time (or the
    ///   eviction penalty, when lower); twice that while requests for the victim are held
    ///   too, since they start on it first. Requests of the victim that arrive meanwhile
    ///   are served without a load, and requests for `model` that arrive share the load
    ///   that follows: the two models alternate less (the ski-rental bound keeps the cost
    ///   within twice the best choice made knowing the future).
    ///   Except by the fleet-wide `plan` (`PlacementPlan`): a victim it keeps on that
    ///   instance costs at least one whole reload (it comes back there) and rents; a victim
    ///   taking its turn in the last slot beside a model the plan keeps, wanted no more than
    ///   `model`, owes no rent (its turn is to make room; a rarer model still rents). Turns
    ///   on an instance that keeps nothing still rent: measured on bench-routing's (a), they
    ///   alternated more without it.
    /// - **An extra copy pays the reload it causes** (`model` resident elsewhere): the load
    ///   is optional, and the victim's next user pays a whole reload for it, so the penalty
    ///   is at least one reload (the demand-ratio discount of `evictionPenalty` is for a
    ///   model that must load somewhere). And the copy is torn down again by that request,
    ///   expected 1 ÷ the victim's request rate from now: it relieves at most the queue it
    ///   can serve until then, so its `queueRelief` is capped at that time less its own
    ///   wait and load.
    /// - **Unless `model`'s demand has outgrown its copies** (`outgrowsCopies`): its requests
    ///   met, on average over the last minutes, a queue of at least one request per slot of
    ///   its copies. Then the copy is not optional — the queue it relieves does not empty by
    ///   itself — and it is weighed as any load: the demand-ratio penalty, the whole relief.
    ///   The floor and the cap stay for a copy a burst asks for (a queue that comes and goes).
    /// - **A rare model's idle copy gives way to a queue** (`givesWayToAQueue`): on an
    ///   instance with room for one model, serving nobody while requests for `model` are held,
    ///   a victim wanted rarely beside `model` and not expected back before the copy has
    ///   served one of its reloads. Keeping it would leave the instance idle beside the queue
    ///   until its next request; so the copy is weighed as one the queue needs (no whole
    ///   reload) and relieves the queue until the victim is expected back, not only the
    ///   requests held behind this one: in a closed loop, where users wait for their answers,
    ///   the demand a model's copies cannot serve shows as its queue, not as a higher rate.
    ///
    /// And an extra copy judged before `model`'s generation time was learned anywhere is
    /// `speculative`: the queue it would relieve is a guess (start-up defaults), so the
    /// copies that hold `model` serve first, and the guess is replaced by what they show —
    /// unless it goes into free room on an idle instance while a queue is held
    /// (`fillsIdleRoom`): then it evicts nothing and delays no one, and a guess that was wrong
    /// costs only a load nobody waited for.
    func weighLastCopy(_ estimate: inout PlacementEstimate, for model: String, heldNowhere: Bool,
                       plan: PlacementPlan? = nil, now: ContinuousClock.Instant) {
        let instance = estimate.candidate.name
        let extraCopy = !heldNowhere && estimate.residency == .cold && copies(of: model, except: instance) > 0
        if extraCopy, !generationLearned(model), !fillsIdleRoom(estimate, for: model) {
            estimate.speculative = true
            return
        }
        guard let shown = estimate.victim, estimate.evictionPenalty > 0, !estimate.victimSaturated else { return }
        let victim = ModelName.canonical(shown)
        guard copies(of: victim, except: instance) == 0, demand.level(victim, now: now) >= 0.05 else { return }
        let reload = loadTime(victim, on: instance)
        if heldNowhere {
            // One rare batch after another: no rent (`chainsBatches`).
            if chainsBatches(victim, on: instance, for: model, now: now) { return }
            // The fleet-wide plan, for a load that must happen somewhere: a victim it keeps
            // there comes back there, so its eviction costs at least its reload, and rent; one
            // it does not keep (it takes turns in the instance's last slot, or lives
            // elsewhere) beside a model it keeps, and wanted no more than `model`, owes no
            // rent: that turn is the plan. Turns on
            // an instance that keeps nothing, and a victim the plan does not know (no request
            // said where it is offered), rent as before.
            if let plan, plan.home[victim] != nil {
                if plan.keeps(victim, on: instance) {
                    estimate.evictionPenalty = max(estimate.evictionPenalty, reload)
                } else if !(plan.kept[instance]?.isEmpty ?? true),
                          demand.level(victim, now: now) <= demand.level(model, now: now) {
                    return
                }
            }
            estimate.lastCopyRent = held[victim, default: 0] > 0
                ? Self.rentWhileVictimHeld * reload : min(estimate.evictionPenalty, reload)
        } else if extraCopy {
            let rate = demand.rate(victim, now: now, minWindow: reload)
            let returnsIn = rate > 0 ? 1 / rate : .infinity
            // What the copy can serve before the victim's next request tears it down.
            let serves = max(0, returnsIn - estimate.queueWait - estimate.loadTime)
            if givesWayToAQueue(victim, on: instance, for: model, serving: returnsIn - estimate.loadTime,
                                reload: reload, now: now) {
                estimate.queueRelief = max(estimate.queueRelief, serves)
                // Back to a queue of `backToAQueue` or more: the copy is made now (it ranks
                // as a free slot would); the request whose turn it serves takes it (`loadTaker`).
                if held[model, default: 0] >= Self.backToAQueue {
                    estimate.queueRelief = max(estimate.queueRelief, estimate.loadTime + estimate.evictionPenalty)
                }
            } else if !outgrowsCopies(model, except: instance) {
                estimate.evictionPenalty = max(estimate.evictionPenalty, reload)
                estimate.queueRelief = min(estimate.queueRelief, serves)
            }
        }
    }

    /// Whether the idle last copy of a rare `victim` on `instance` gives way to a queue for
    /// `model` (an extra copy of `model` there; see `weighLastCopy`): requests for `model` are
    /// held (its copies cannot start them now), none for `victim` is held, and nothing runs on
    /// `instance`, which has room for one model — it serves nobody while requests wait;
    /// `victim` is wanted at most `rareBesideAQueue` times as much as `model`; and the copy,
    /// once loaded, would serve (`serving` seconds, until `victim` is expected back) at least
    /// one `reload` of `victim`, the reload its next user will pay — or `backToAQueue`
    /// requests for `model` are held (the instance goes back to the queue it left for a
    /// batch, and the copy is then made at once: `weighLastCopy`).
    func givesWayToAQueue(_ victim: String, on instance: String, for model: String, serving: Double,
                          reload: Double, now: ContinuousClock.Instant) -> Bool {
        guard serving >= reload || held[model, default: 0] >= Self.backToAQueue,
              held[model, default: 0] > 0, held[victim, default: 0] == 0,
              let at = position(of: instance), fleet[at].maxLoadedModels == 1, fleet[at].running.isEmpty
        else { return false }
        return demand.level(victim, now: now) <= Self.rareBesideAQueue * demand.level(model, now: now)
    }

    /// Whether a load of `model` (held nowhere) over the last copy of `victim` on `instance`
    /// is one rare batch after another, and owes no last copy's rent: `instance` has room for
    /// one model and offers a model V (as V's last request found it) that both `model` and
    /// `victim` are rare beside (`rareBesideAQueue`), and no request for `victim` is held (its
    /// batch is over). The instance left V for rare batches; serving `model`'s batch now costs
    /// one load, where going back to V first would cost V's reload and then another eviction
    /// of V for `model` — and `victim`'s next user reloads it either way. The policy lab's
    /// `chain=1` (docs/benchmarks.md, "What a policy can reach"; without it the second rare
    /// model's requests waited for the rent or the deadline, the tail of (b)).
    func chainsBatches(_ victim: String, on instance: String, for model: String, now: ContinuousClock.Instant) -> Bool {
        guard held[victim, default: 0] == 0, let at = position(of: instance), fleet[at].maxLoadedModels == 1 else { return false }
        let rarest = max(demand.level(victim, now: now), demand.level(model, now: now))
        guard rarest > 0 else { return false }
        for queued in demand.models where queued != model && queued != victim {
            if rarest <= Self.rareBesideAQueue * demand.level(queued, now: now), demand.homes(queued).contains(instance) {
                return true
            }
        }
        return false
    }

    /// Requests held for a model that bring an instance back to it from a rare model's idle
    /// copy at once, however soon that model is expected back (`givesWayToAQueue`): the
    /// instance left the queue for a batch, and with two waiting (one would take the next
    /// slot of the copies it has) the queue it returns to serves the load. The policy lab's
    /// `back=2` (docs/benchmarks.md, "What a policy can reach").
    public static let backToAQueue = 2

    /// How rare a model must be, in requests per request of the model queued beside its idle
    /// last copy, for that copy to give way to the queue (`givesWayToAQueue`), and for its
    /// loads over that model's queue to be batched (`weighBatch`): one in six. A few users of
    /// a rare model then pay a reload so that many of the queued model's wait less; measured
    /// on bench-routing, a model wanted a quarter as much (its (a)'s rarest beside its most
    /// wanted) gave way too often: more loads and a longer tail. One in eight, as first set,
    /// lapsed by chance: (b)'s rare models are wanted about one request per eleven of the hot
    /// model's, but a decayed count of some fifteen requests moves by a quarter, and a traced
    /// run read 0.136 for twenty seconds, in which the rules were off (an instance idled on
    /// a rare model beside three held hot requests). In the policy lab's `greedy` routing over
    /// twenty seeds, loads of a model wanted at most one sixth as much as its victim: 238 of
    /// 646 on (b), 9 of 1187 on (a), 47 of 1068 on (d).
    public static let rareBesideAQueue = 1.0 / 6

    /// `rareBesideAQueue` on instances with room for several models (`holdsOneModel`): one in
    /// eight, as first set. At one in six, measured same-run on bench-routing's (d) (K=2,
    /// eight models by Zipf: the sixth and seventh became rare beside the first), the batch
    /// rule fired on them and cost loads (117 against 104 on seeds 1–4) and the median
    /// (0.497 against 0.438 s).
    public static let rareBesideAQueueOfSeveral = 1.0 / 8

    /// The rent, in reloads of the victim, owed before evicting a wanted last copy while
    /// requests for it are held: they would start on it at once, so the eviction would cost
    /// them a reload on top of the next user's.
    public static let rentWhileVictimHeld = 2.0

    /// Whether `model`'s demand has outgrown its copies other than the one on `instance`:
    /// its recent requests found, on average, at least one request held per slot of those
    /// copies (`ModelDemand.queueFound`) — a standing queue, each request waiting a whole
    /// round of generations, not a burst the copies absorbed. Averaged over the demand's
    /// half-life, so one burst does not make it true, and a queue an extra copy has just
    /// emptied does not make it false at once.
    public func outgrowsCopies(_ model: String, except instance: String) -> Bool {
        let slots = otherCopies(model, except: instance).slots
        return slots > 0 && demand.queueFound(model) >= Double(slots)
    }

    /// Whether a load of `model` on `estimate`'s instance fills free room on an idle
    /// instance for a queue: it can start now, evicts nothing, nothing of Olla's runs there,
    /// and `batchSize` or more requests for `model` are held. At start-up, before any request
    /// has ended, a queue of several (users starting together, bench-routing's (b)) otherwise
    /// waited for one copy while empty instances idled, until the first generation was learned
    /// (~2.5 s there): the users' first requests were the tail.
    func fillsIdleRoom(_ estimate: PlacementEstimate, for model: String) -> Bool {
        guard estimate.victim == nil, estimate.canStartNow, held[model, default: 0] >= Self.batchSize,
              let at = position(of: estimate.candidate.name, slot: estimate.candidate.slot) else { return false }
        return fleet[at].running.isEmpty && fleet[at].reportsResidency
    }

    /// Whether one request of `model` has been seen to end anywhere (its slot time is learned).
    func generationLearned(_ model: String) -> Bool {
        fleet.contains { $0.costs[model]?.generationTime.value != nil }
    }
}
