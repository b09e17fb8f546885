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
    @discardableResult
    public mutating func dispatched(_ id: UInt64, model: String, displayName: String, to instance: String,
                                    estimatedWait: Double, now: ContinuousClock.Instant) -> String? {
        // Instances are read and changed in place through their index (`instances[name]?.f()`
        // moved the whole `InstanceResidency` out of the table and back: ~2.5 K instructions
        // and several allocations per call, on every request's path).
        if let current = placements[id] {
            if current == instance { return nil }
            if let index = instances.index(forKey: current) { instances.values[index].ended(id, now: now) }
        }
        guard let index = instances.index(forKey: instance) else { placements[id] = nil; return nil }
        placements[id] = instance
        // The load time matters only when the model must be loaded there (a cold dispatch).
        let load = instances.values[index].holds(model) ? 0 : loadTime(model, on: instance)
        return instances.values[index].dispatched(id, model: model, displayName: displayName, loadTime: load,
                                                  estimatedWait: estimatedWait, now: now)
    }

    /// The response head of request `id` arrived (`succeeded`: a 2xx status).
    public mutating func firstByte(_ id: UInt64, succeeded: Bool, now: ContinuousClock.Instant) {
        guard let instance = placements[id], let index = instances.index(forKey: instance) else { return }
        instances.values[index].firstByte(id, succeeded: succeeded, now: now)
    }

    /// Request `id` ended on whatever instance it ran: its slot is free.
    /// - Returns: where it ran and its record.
    @discardableResult
    public mutating func ended(_ id: UInt64, now: ContinuousClock.Instant) -> (instance: String, request: RunningRequest)? {
        guard let instance = placements.removeValue(forKey: id), let index = instances.index(forKey: instance),
              let request = instances.values[index].ended(id, now: now) else { return nil }
        return (instance, request)
    }

    /// A final chunk from `instance` reported `timings` for `model` (canonical).
    public mutating func learn(_ model: String, displayName: String, on instance: String, timings: GenerationTimings,
                               observedSeconds: Double?, expectedColdLoad: Bool = true, now: ContinuousClock.Instant) {
        guard let index = instances.index(forKey: instance) else { return }
        instances.values[index].learn(model, displayName: displayName, timings: timings, observedSeconds: observedSeconds,
                                      expectedColdLoad: expectedColdLoad, now: now)
    }

    /// `/api/ps` of `instance` listed `listed` at `now`.
    public mutating func observed(_ listed: [InstanceResidency.Listed], on instance: String, now: ContinuousClock.Instant) {
        instances[instance]?.observed(listed, now: now)
    }

    /// Olla sent an unload of `model` to `instance`.
    public mutating func unloaded(_ model: String, on instance: String) {
        instances[instance]?.unloaded(model)
    }

    /// `instance` answered 503 "server busy".
    public mutating func refusedBusy(_ instance: String, now: ContinuousClock.Instant) {
        instances[instance]?.refusedBusy(now: now)
    }
}
