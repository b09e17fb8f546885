extension ResidencyScheduler {
    /// Where a request for `model` (canonical) should go at `now`, among `candidates`
    /// (routable instances that have the model, in configuration order).
    ///
    /// 1. Each candidate gets an estimate: queue wait + load when not resident + eviction
    ///    penalty (`estimate`).
    /// 2. Tiers: the highest `priority` tier whose best estimate is within
    ///    `tier_max_wait` serves; a lower tier only when no higher one can (down, lacks the
    ///    model — then it is not a candidate — or too slow). When every tier is too slow,
    ///    the tier with the best estimate serves.
    /// 3. Within the tier the minimum cost wins; near-equal costs (within 50 ms) go to
    ///    the fewest requests in flight per unit of `weight`, then healthy before
    ///    unknown before busy, then configuration order.
    /// 4. When the winner can start the request now it is dispatched; otherwise it is held
    ///    (late binding) and decided again when something changes.
    ///
    /// The order returned is the failover order: the chosen tier, then the other tiers,
    /// highest priority first, each by cost.
    ///
    /// `waited`, `queuedBehind`: how long the request has been held already, and how many
    /// of its model are held behind it (see `estimate`).
    public func decide(_ model: String, candidates: [SchedulingCandidate], now: ContinuousClock.Instant,
                       waited: Double = 0, queuedBehind: Int = 0) -> Placement {
        let estimates = candidates.enumerated().map {
            (index: $0.offset, estimate: estimate(model, on: $0.element, now: now, waited: waited, queuedBehind: queuedBehind))
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
        return ordered[0].canStartNow ? .dispatch(ordered) : .hold(ordered)
    }

    /// The within-tier order: cost (50 ms granularity), load per weight, state, position.
    static func better(_ a: (index: Int, estimate: PlacementEstimate), _ b: (index: Int, estimate: PlacementEstimate)) -> Bool {
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
