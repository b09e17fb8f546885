extension ResidencyScheduler {
    /// A request for `model` (canonical) arrived: counts towards its demand, with the
    /// requests for it it found held (`held`, as the hold queue last reported them), and the
    /// instances that could serve it (`offeredBy`, for the placement plan; nil: unchanged).
    public mutating func requested(_ model: String, offeredBy candidates: [SchedulingCandidate]? = nil,
                                   now: ContinuousClock.Instant) {
        demand.requested(model, now: now, waiting: held[model, default: 0], offeredBy: candidates)
    }

    /// Request `id` for `model` is (now) being sent to `instance`. A request that was
    /// running elsewhere (failover) moves. Repeating the same placement changes nothing.
    /// - Returns: the model predicted evicted, if any.
    /// `slot`: the instance's position when the caller has it (its candidate's), else found by name.
    @discardableResult
    public mutating func dispatched(_ id: UInt64, model: String, displayName: String, to instance: String,
                                    slot: Int? = nil, estimatedWait: Double, now: ContinuousClock.Instant) -> String? {
        // Instances are found by position and changed where they lie (`instances[name]?.f()`
        // moved the whole `InstanceResidency` out of the table and back: ~2.5 K instructions
        // and several allocations per call, on every request's path).
        guard let at = position(of: instance, slot: slot) else {
            if let current = placements.removeValue(forKey: id) { fleet[current].ended(id, now: now) }
            return nil
        }
        if let current = placements[id] {
            if current == at { return nil }
            fleet[current].ended(id, now: now)
        }
        placements[id] = at
        // The load time matters only when the model must be loaded there (a cold dispatch).
        // `holds(model)` spelled out on the two fields it reads: called on `fleet[at]` inside
        // this mutating method, it copied the whole `InstanceResidency` out (each of its
        // tables retained, then released: ~0.55 K per request).
        // The model's entry is found here once and handed down (`InstanceResidency.dispatched`
        // looked it up again: a second hash of its name per request).
        let entry = fleet[at].models.index(forKey: model)
        let resident = !fleet[at].reportsResidency || entry != nil
        let load = resident ? 0 : loadTime(model, on: instance)
        return fleet[at].dispatched(id, model: model, displayName: displayName, loadTime: load,
                                    estimatedWait: estimatedWait, now: now, resident: entry)
    }

    /// The response head of request `id` arrived (`succeeded`: a 2xx status).
    public mutating func firstByte(_ id: UInt64, succeeded: Bool, now: ContinuousClock.Instant) {
        guard let at = placements[id] else { return }
        fleet[at].firstByte(id, succeeded: succeeded, now: now)
    }

    /// Request `id` ended on whatever instance it ran: its slot is free.
    /// - Returns: where it ran and its record.
    @discardableResult
    public mutating func ended(_ id: UInt64, now: ContinuousClock.Instant) -> (instance: String, request: RunningRequest)? {
        guard let at = placements.removeValue(forKey: id), let request = fleet[at].ended(id, now: now) else { return nil }
        return (fleet[at].name, request)
    }

    /// A final chunk from `instance` reported `timings` for `model` (canonical).
    public mutating func learn(_ model: String, displayName: String, on instance: String, timings: GenerationTimings,
                               observedSeconds: Double?, expectedColdLoad: Bool = true, now: ContinuousClock.Instant) {
        guard let at = position(of: instance) else { return }
        fleet[at].learn(model, displayName: displayName, timings: timings, observedSeconds: observedSeconds,
                        expectedColdLoad: expectedColdLoad, now: now)
    }

    /// `/api/ps` of `instance` listed `listed` at `now`.
    public mutating func observed(_ listed: [InstanceResidency.Listed], on instance: String, now: ContinuousClock.Instant) {
        guard let at = position(of: instance) else { return }
        fleet[at].observed(listed, now: now)
    }

    /// Olla sent an unload of `model` to `instance`.
    public mutating func unloaded(_ model: String, on instance: String) {
        guard let at = position(of: instance) else { return }
        fleet[at].unloaded(model)
    }

    /// `instance` answered 503 "server busy".
    public mutating func refusedBusy(_ instance: String, now: ContinuousClock.Instant) {
        guard let at = position(of: instance) else { return }
        fleet[at].refusedBusy(now: now)
    }
}
