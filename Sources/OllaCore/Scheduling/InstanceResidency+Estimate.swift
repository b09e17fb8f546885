extension InstanceResidency {
    /// What a request for `model` (canonical) would wait here at `now`, before any eviction
    /// penalty (the fleet-wide part, added by `ResidencyScheduler`).
    ///
    /// - loaded or loading with a free slot: the rest of the load, or of another model's
    ///   load while a request waits on it (`secondsAdmissionHeldUp`: Ollama admits in
    ///   arrival order);
    /// - all slots taken: until the oldest request frees one, plus a generation per round of
    ///   requests still ahead;
    /// - cold: a load (`loadTime`), after any load in progress, and after a running model
    ///   finishes when every resident model is busy and no more fit.
    ///
    /// `loadTime` and `generationTime` (seconds) are asked for only where the answer depends
    /// on them: a loaded model with a free slot, the usual case, needs neither.
    func estimate(_ model: String, candidate: SchedulingCandidate, loadTime: () -> Double, generationTime: () -> Double,
                  now: ContinuousClock.Instant) -> PlacementEstimate {
        let busy = busyUntil.map { max(0, ($0 - now).schedulingSeconds) } ?? 0
        // The model's entry is found once (a String hash) and read where it lies (`holds`, then
        // `models[model]`, hashed twice and copied the entry out).
        let resident = models.index(forKey: model)
        if !reportsResidency || resident != nil {  // `holds(model)`
            // Another model's load holds up a resident model only when a request waits on it.
            let blocked = secondsAdmissionHeldUp(now: now, except: model)
            let ready = resident.map { models.values[$0].secondsUntilReady(now: now) } ?? 0
            let residency: PlacementEstimate.Residency = ready > 0 ? .loading : .loaded
            let count = runningCount(model)
            guard let slots = slotsPerModel, count >= slots else {
                let wait = max(busy, ready, blocked)
                return PlacementEstimate(candidate: candidate, residency: residency, queueWait: wait, loadTime: 0,
                                         canStartNow: busy == 0 && blocked == 0)
            }
            if count == slots, residency == .loaded, maySendSlotProbe(model), busy == 0, blocked == 0 {
                // Slots only learned, not confirmed: one request beyond them finds out whether
                // more run at once (Ollama's default is 1, but many set OLLAMA_NUM_PARALLEL).
                return PlacementEstimate(candidate: candidate, residency: residency,
                                         queueWait: SchedulerSettings.slotProbeWait, loadTime: 0, canStartNow: true)
            }
            let rounds = Double((count - slots) / slots)
            let generationTime = generationTime()
            let wait = max(busy, ready, blocked, secondsUntilSlotFrees(model, generationTime: generationTime, now: now)
                + rounds * generationTime)
            return PlacementEstimate(candidate: candidate, residency: residency, queueWait: wait, loadTime: 0,
                                     canStartNow: false)
        }
        // A new load starts after any load in progress.
        let blocked = secondsUntilLoadsEnd(now: now, except: model)
        let idleVictim = predictedVictim(now: now, sparing: model)
        let full = reportsResidency && models.count >= maxLoadedModels && idleVictim == nil
        let waitForRoom = full ? secondsUntilAnySlotFrees(generationTime: generationTime(), now: now) : 0
        let wait = max(busy, blocked, waitForRoom)
        // When full with every model busy, the load evicts the model that goes idle first
        // (the oldest running request's): it is charged now, so waiting for a busy instance
        // never looks cheaper than evicting an idle one only because its victim is not known yet.
        let victim = idleVictim ?? (full ? firstToGoIdle() : nil)
        // An unload Olla sent to make room: the load goes once it is answered.
        let unloading = awaitsUnload(now: now)
        var estimate = PlacementEstimate(candidate: candidate, residency: .cold, queueWait: wait, loadTime: loadTime(),
                                         victim: victim, canStartNow: busy == 0 && blocked == 0 && !full && !unloading)
        estimate.afterUnloading = roomMadeBy
        return estimate
    }

    /// Seconds until the oldest running request of `model` is expected to finish; never
    /// below a tenth of a generation (an overdue request is still running).
    private func secondsUntilSlotFrees(_ model: String, generationTime: Double, now: ContinuousClock.Instant) -> Double {
        let started = running.values.filter { $0.model == model }.map { $0.firstByteAt ?? $0.dispatchedAt }
        guard let oldest = started.min() else { return 0 }
        return max(0.1 * generationTime, generationTime - (now - oldest).schedulingSeconds)
    }

    /// The model of the oldest running request here: the first expected to go idle.
    private func firstToGoIdle() -> String? {
        running.values.min { ($0.firstByteAt ?? $0.dispatchedAt) < ($1.firstByteAt ?? $1.dispatchedAt) }?.model
    }

    /// Seconds until any running request here is expected to finish (a model goes idle).
    private func secondsUntilAnySlotFrees(generationTime: Double, now: ContinuousClock.Instant) -> Double {
        let started = running.values.map { $0.firstByteAt ?? $0.dispatchedAt }
        guard let oldest = started.min() else { return 0 }
        return max(0.1 * generationTime, generationTime - (now - oldest).schedulingSeconds)
    }
}
