extension Balancer {
    /// `priority`: sort key = (-priority, state rank [healthy < unknown < busy], input
    /// order). The operator's ranking rules; health only reorders within a tier.
    func orderByPriority(_ items: [Ranked]) -> [Ranked] {
        items.sorted { a, b in
            if a.candidate.priority != b.candidate.priority { return a.candidate.priority > b.candidate.priority }
            let (rankA, rankB) = (a.candidate.state.preferenceRank, b.candidate.state.preferenceRank)
            if rankA != rankB { return rankA < rankB }
            return a.index < b.index
        }
    }
}
