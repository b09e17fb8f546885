extension ResidencyScheduler {
    /// Where a request for `model` (canonical) should go at `now`, among `candidates`
    /// (routable instances that have the model, in configuration order).
    ///
    /// 1. Each candidate gets an estimate: queue wait + load when not resident + eviction
    ///    penalty (`estimate`), with the victim Olla unloads itself when Ollama's would be
    ///    one the placement plan keeps (`choosingVictim`),
    ///    weighed for the last copies it would evict and the copies
    ///    it would add (`weighLastCopy`), and for the queue of the model it would evict
    ///    (`weighBatch`). When no candidate holds the model, waiting cannot
    ///    end by itself, and the time the model's held requests have waited (`heldWaiting`)
    ///    pays the penalty off.
    /// 2. Tiers: the highest `priority` tier whose best estimate is within
    ///    `tier_max_wait` serves; a lower tier only when no higher one can (down, lacks the
    ///    model — then it is not a candidate — or too slow). When every tier is too slow,
    ///    the tier with the best estimate serves.
    /// 3. Within the tier the minimum cost wins; near-equal costs (within 50 ms) go to
    ///    the fewest requests in flight per unit of `weight`, then healthy before
    ///    unknown before busy, then configuration order.
    /// 4. When the winner can start the request now it is dispatched; otherwise it is held
    ///    (late binding) and decided again when something changes. An eviction of a
    ///    saturated victim, or of a wanted last copy, not yet paid for is held too (rent or
    ///    buy, `awaitsPayment`), and so is a load that waits for Olla's unload of its
    ///    victim (`ordersUnload`: the caller sends it, the request goes after its answer).
    ///
    /// The order returned is the failover order: the chosen tier, then the other tiers,
    /// highest priority first, each by cost.
    ///
    /// `heldWaiting`, `queuedBehind`: seconds the requests held for this model have waited
    /// in all, and how many of them are held behind this one (see `estimate`);
    /// `oldestWaiting`: seconds the oldest of them has waited (`weighBatch`; nil: `heldWaiting`,
    /// which it is when one is held).
    public func decide(_ model: String, candidates: [SchedulingCandidate], now: ContinuousClock.Instant,
                       heldWaiting: Double = 0, queuedBehind: Int = 0, oldestWaiting: Double? = nil) -> Placement {
        let oldest = oldestWaiting ?? heldWaiting
        if candidates.count == 1 {
            // One candidate is one tier of one: the same steps without the grouping and sorts.
            var only = estimate(model, on: candidates[0], now: now, queuedBehind: queuedBehind)
            let heldNowhere = only.residency == .cold
            if heldNowhere { only.penaltyCredit = max(0, heldWaiting) }
            let plan = only.victim == nil ? nil : plan(now: now)
            choosingVictim(&only, for: model, plan: plan, now: now)
            weighLastCopy(&only, for: model, heldNowhere: heldNowhere, plan: plan, now: now)
            weighBatch(&only, for: model, heldNowhere: heldNowhere, oldestWaiting: oldest, held: queuedBehind + 1, now: now)
            // Moved into the array (`[only]` copied it and destroyed the local: ~0.24 K).
            if only.startsNow { return .dispatch([consume only]) }
            return .hold([consume only])
        }
        var estimates = candidates.enumerated().map {
            (index: $0.offset, estimate: estimate(model, on: $0.element, now: now, queuedBehind: queuedBehind))
        }
        let heldNowhere = !estimates.contains(where: { $0.estimate.residency != .cold })
        if heldNowhere {
            for i in estimates.indices { estimates[i].estimate.penaltyCredit = max(0, heldWaiting) }
        }
        // The plan only matters to a load that evicts: computed once, when one does.
        let plan = estimates.contains { $0.estimate.victim != nil } ? plan(now: now) : nil
        for i in estimates.indices {
            choosingVictim(&estimates[i].estimate, for: model, plan: plan, now: now)
            weighLastCopy(&estimates[i].estimate, for: model, heldNowhere: heldNowhere, plan: plan, now: now)
            weighBatch(&estimates[i].estimate, for: model, heldNowhere: heldNowhere, oldestWaiting: oldest,
                       held: queuedBehind + 1, nextChance: heldNowhere ? Self.nextChance(besides: i, estimates) : nil,
                       now: now)
        }
        let tiers = Dictionary(grouping: estimates, by: \.estimate.candidate.priority)
            .sorted { $0.key > $1.key }
            .map { $0.value.sorted(by: Self.better) }
        guard !tiers.isEmpty else { return .hold([]) }
        let bound = settings.tierMaxWait.schedulingSeconds
        let chosen = tiers.firstIndex { $0[0].estimate.expectedWait <= bound }
            ?? tiers.indices.min { tiers[$0][0].estimate.cost < tiers[$1][0].estimate.cost }!
        let ordered = (tiers[chosen] + tiers.enumerated().filter { $0.offset != chosen }.flatMap(\.element))
            .map(\.estimate)
        return ordered[0].startsNow ? .dispatch(ordered) : .hold(ordered)
    }

    /// Seconds until a candidate of the same tier other than `estimates[index]` could start
    /// a load (its `queueWait`): the next chance a deferred batch gets. Nil when there is none.
    static func nextChance(besides index: Int, _ estimates: [(index: Int, estimate: PlacementEstimate)]) -> Double? {
        let tier = estimates[index].estimate.candidate.priority
        var soonest: Double?
        for other in estimates.indices where other != index && estimates[other].estimate.candidate.priority == tier {
            let wait = estimates[other].estimate.queueWait
            soonest = min(soonest ?? wait, wait)
        }
        return soonest
    }

    /// The within-tier order: speculative copies and copies that yield to a queue last, then cost (50 ms granularity), load
    /// per weight, state, position.
    static func better(_ a: (index: Int, estimate: PlacementEstimate), _ b: (index: Int, estimate: PlacementEstimate)) -> Bool {
        let (lastA, lastB) = (a.estimate.speculative || a.estimate.yieldsToQueue, b.estimate.speculative || b.estimate.yieldsToQueue)
        if lastA != lastB { return lastB }
        let (costA, costB) = (Int((a.estimate.cost * 20).rounded()), Int((b.estimate.cost * 20).rounded()))
        if costA != costB { return costA < costB }
        let (x, y) = (a.estimate.candidate, b.estimate.candidate)
        let (loadA, loadB) = (LoadRatio(inFlight: max(0, x.inFlight), weight: max(1, x.weight)),
                              LoadRatio(inFlight: max(0, y.inFlight), weight: max(1, y.weight)))
        if loadA != loadB { return loadA < loadB }
        if x.state.preferenceRank != y.state.preferenceRank { return x.state.preferenceRank < y.state.preferenceRank }
        return a.index < b.index
    }
}
