extension Balancer {
    /// `modelAware`, the default: sort key =
    /// (state rank [healthy < unknown < busy], model loaded ? 0 : 1, inFlight/weight,
    /// -priority, input order), the load compared exactly (`a.inFlight * b.weight` vs
    /// `b.inFlight * a.weight`).
    ///
    /// Why this order, for LLM backends:
    /// 1. State: a busy endpoint was recently slow or answered 503 (queue full); anything
    ///    else is a better bet, loaded model or not.
    /// 2. Loaded model: an endpoint that already holds the model in memory answers in
    ///    milliseconds; a cold one first spends seconds to minutes loading it (and may
    ///    evict another model someone else is using).
    /// 3. Load: Ollama runs `OLLAMA_NUM_PARALLEL` requests per model at once (1 by
    ///    default) and queues the rest, so every request already in flight can mean a full
    ///    generation's wait. Weight scales the capacity each endpoint is credited with.
    /// 4. Priority: between otherwise equal endpoints, the operator's preference decides.
    /// 5. Input (configuration) order: deterministic final tie-break.
    func orderModelAware(_ items: [Ranked]) -> [Ranked] {
        items.sorted { a, b in
            let (rankA, rankB) = (a.candidate.state.preferenceRank, b.candidate.state.preferenceRank)
            if rankA != rankB { return rankA < rankB }
            if a.candidate.modelLoaded != b.candidate.modelLoaded { return a.candidate.modelLoaded }
            let (loadA, loadB) = (a.candidate.load, b.candidate.load)
            if loadA != loadB { return loadA < loadB }
            if a.candidate.priority != b.candidate.priority { return a.candidate.priority > b.candidate.priority }
            return a.index < b.index
        }
    }
}
