extension Balancer {
    /// `leastConnections`: sort key = (-priority, state rank [healthy < unknown < busy],
    /// inFlight/weight, input order).
    ///
    /// Priority still comes first: an operator who gives a local GPU priority over a remote
    /// fallback means it, even when the fallback is idle. (Go Olla ignores priority here;
    /// that is treated as a bug.) Dividing by weight lets a machine of weight 2 carry twice
    /// the requests of a weight-1 machine before it looks equally loaded.
    func orderLeastConnections(_ items: [Ranked]) -> [Ranked] {
        items.sorted { a, b in
            if a.candidate.priority != b.candidate.priority { return a.candidate.priority > b.candidate.priority }
            let (rankA, rankB) = (a.candidate.state.preferenceRank, b.candidate.state.preferenceRank)
            if rankA != rankB { return rankA < rankB }
            let (loadA, loadB) = (a.candidate.load, b.candidate.load)
            if loadA != loadB { return loadA < loadB }
            return a.index < b.index
        }
    }
}
