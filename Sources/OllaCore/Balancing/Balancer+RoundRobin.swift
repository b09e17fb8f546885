extension Balancer {
    /// `roundRobin`: weighted rotation, tier by tier.
    ///
    /// Candidates are grouped by priority tier (highest first) and, within a tier, by
    /// state rank (healthy, then unknown, then busy: busy endpoints are tried only after
    /// the others, as in every strategy). In each group the endpoint chosen on `turn` by
    /// `SmoothWeightedRotation` comes first, followed by the rest of the group in rotation
    /// order (input order, cyclically, starting after the chosen one), so failover also
    /// spreads across the group instead of always hitting the same neighbour.
    func orderRoundRobin(_ items: [Ranked], turn: UInt64) -> [Ranked] {
        tiers(items).flatMap { tier in
            stateGroups(tier).flatMap { group in rotated(group, turn: turn) }
        }
    }

    /// Splits a tier by state rank, best first, each group in input order.
    private func stateGroups(_ tier: [Ranked]) -> [[Ranked]] {
        let ranks = Set(tier.map(\.candidate.state.preferenceRank)).sorted()
        return ranks.map { rank in tier.filter { $0.candidate.state.preferenceRank == rank } }
    }

    /// `group` starting at the endpoint chosen on `turn`, then cyclically onwards.
    private func rotated(_ group: [Ranked], turn: UInt64) -> [Ranked] {
        guard group.count > 1 else { return group }
        let start = SmoothWeightedRotation.chosen(weights: group.map(\.candidate.effectiveWeight), turn: turn)
        return Array(group[start...] + group[..<start])
    }
}
