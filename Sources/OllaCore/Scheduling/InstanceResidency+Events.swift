extension InstanceResidency {
    /// Olla sent request `id` for `model` (canonical; `displayName` as the client wrote it)
    /// here. A model that is not resident starts loading, expected ready after `loadTime`
    /// seconds (after any load already in progress: Ollama loads one at a time). When the
    /// instance is full, the least recently used idle model is predicted evicted.
    /// - Returns: the model predicted evicted, if any.
    @discardableResult
    public mutating func dispatched(_ id: UInt64, model: String, displayName: String, loadTime: Double,
                                    estimatedWait: Double, now: ContinuousClock.Instant) -> String? {
        dispatched(id, model: model, displayName: displayName, loadTime: loadTime, estimatedWait: estimatedWait,
                   now: now, resident: models.index(forKey: model))
    }

    /// `dispatched` with the model's entry in `models` already found by the caller
    /// (`resident`, nil: not resident), so its name is hashed once per dispatch, not twice.
    mutating func dispatched(_ id: UInt64, model: String, displayName: String, loadTime: Double,
                             estimatedWait: Double, now: ContinuousClock.Instant,
                             resident: [String: ResidentModel].Index?) -> String? {
        // The model's entry is found once (a String hash): `holds` and the update below looked it up twice.
        let cold = reportsResidency && resident == nil  // `!holds(model)`
        var evicted: String? = nil
        if cold {
            evicted = predictedVictim(now: now, sparing: model)
            if let evicted {
                models[evicted] = nil
                predictedEvictions.insert(evicted)
            }
            lastUnload?.roomTaken = true
            let start = secondsUntilLoadsEnd(now: now, except: model)
            models[model] = ResidentModel(
                name: displayName, phase: .loading(readyAt: now + .schedulingSeconds(start + loadTime)),
                lastUsed: now, expiresAt: now + SchedulerSettings.ollamaKeepAlive)
        } else if let index = resident {
            // Changed where it lies (a copy out and the setter back cost two more hashes).
            models.values[index].lastUsed = now
            models.values[index].keepUntilAtLeast(now + SchedulerSettings.ollamaKeepAlive)
        }
        // The probe's cheap condition first: `runningCount` scans every running request (all
        // models), and with slots configured or confirmed there is never a probe to send.
        if !cold, maySendSlotProbe(model), let slots = slotsPerModel, runningCount(model) >= slots {
            slotProbe = (id, false)
        }
        let replaced = running.updateValue(
            RunningRequest(model: model, dispatchedAt: now, expectedColdLoad: cold && reportsResidency,
                           estimatedWait: estimatedWait), forKey: id)
        if let replaced { Self.uncount(&runningPerModel, replaced) }
        Self.countRunning(&runningPerModel, model, 1)
        return evicted
    }

    /// The first response byte of request `id` arrived. A successful answer means its model
    /// is loaded and the request holds a slot: as many requests of one model streaming at
    /// once as seen here is how many slots the model has (when not configured).
    public mutating func firstByte(_ id: UInt64, succeeded: Bool, now: ContinuousClock.Instant) {
        // Both entries are found once (a hash each) and changed where they lie: copying the
        // request and the model out and storing them back cost ~2.5 K per request.
        guard let index = running.index(forKey: id), let model = Self.markFirstByte(&running.values[index], at: now)
        else { return }
        guard succeeded else { return }
        // Changed in one call where it lies (reading `answered` through `models.values[resident]`
        // copied the whole record out). `learnLoadAtFirstAnswer` reads no model record, so the
        // record may change before it.
        if let resident = models.index(forKey: model), models.values[resident].answer(at: now) {
            learnLoadAtFirstAnswer(model, now: now)
        }
        if configuredParallel == nil {
            // Counted in place (`filter` built an array of the matching requests per answer).
            var streaming = 0
            for request in running.values where request.hasFirstByte && request.model == model { streaming += 1 }
            if let probe = slotProbe, probe.id == id {
                // The probe had to wait for another request to end: the learned slots are the bound.
                if streaming <= learnedParallel && probe.sawEnd { parallelConfirmed = true }
                slotProbe = nil
            }
            learnedParallel = max(learnedParallel, streaming)
        }
    }

    /// The first answer of a copy of `model` that Olla sent a request to load
    /// (`expectedColdLoad`, sent only when the load could start at once): the time since that
    /// request was sent is the load plus prompt evaluation and a first token, an upper bound
    /// of the load known long before the final chunk's `load_duration`. Kept as
    /// `firstAnswerLoadTime` while no `load_duration` was learned here: before it every
    /// estimate used `default_load_time` (5 s), so at start-up an empty instance stayed idle
    /// beside a queue, and requests joined a loaded copy's queue as if a load took 5 s. Under
    /// `coldLoadThreshold` the model was already resident (a stale belief): nothing is learned.
    private mutating func learnLoadAtFirstAnswer(_ model: String, now: ContinuousClock.Instant) {
        guard costs[model]?.loadTime.value == nil else { return }
        var sent: ContinuousClock.Instant?
        for request in running.values where request.model == model && request.expectedColdLoad {
            sent = min(sent ?? request.dispatchedAt, request.dispatchedAt)
        }
        guard let sent else { return }
        let seconds = (now - sent).schedulingSeconds
        guard seconds >= SchedulerSettings.coldLoadThreshold.schedulingSeconds else { return }
        costs[model, default: LearnedCosts()].firstAnswerLoadTime = seconds
    }

    /// Stamps `request`'s first byte at `now` in place; its model, or nil when it had one already.
    private static func markFirstByte(_ request: inout RunningRequest, at now: ContinuousClock.Instant) -> String? {
        guard !request.hasFirstByte else { return nil }
        request.stampFirstByte(at: now)
        return request.model
    }

    /// Request `id` ended (answered, failed or abandoned): its slot is free again.
    /// - Returns: the request, if it was running here.
    @discardableResult
    public mutating func ended(_ id: UInt64, now: ContinuousClock.Instant) -> RunningRequest? {
        guard let request = running.removeValue(forKey: id) else { return nil }
        Self.uncount(&runningPerModel, request)
        if let probe = slotProbe {
            if probe.id == id {
                slotProbe = nil
            } else if let other = running[probe.id], other.model == request.model, other.firstByteAt == nil {
                slotProbe = (probe.id, true)
            }
        }
        // The model's entry is found once (a String hash) and changed where it lies.
        if let index = models.index(forKey: request.model) {
            if !request.hasFirstByte, models.values[index].isLoading(now: now), runningCount(request.model) == 0 {
                // Ended before any answer (refused, cancelled): the load may never have started.
                models.remove(at: index)
            } else {
                models.values[index].lastUsed = now
                models.values[index].keepUntilAtLeast(now + SchedulerSettings.ollamaKeepAlive)
            }
        }
        return request
    }

    /// A final chunk reported `timings` for `model` (canonical) here: learns the load time
    /// when it loaded, the slot time and the generation speed. `observedSeconds` is the
    /// stream's duration as Olla saw it, used when Ollama reports no `total_duration`.
    ///
    /// Ollama measures `load_duration` from arrival until the model was ready for the
    /// request (server/routes.go), so it includes time queued inside Ollama: it is learned as
    /// a load time only when Olla sent the request expecting a load (`expectedColdLoad`),
    /// which it does only when the load can start at once.
    public mutating func learn(_ model: String, displayName: String, timings: GenerationTimings,
                               observedSeconds: Double?, expectedColdLoad: Bool = true, now: ContinuousClock.Instant) {
        if timings.wasColdLoad { coldLoads += 1 }
        // Both entries are found once (a String hash each) and changed where they lie; a
        // default is built only when the model has none.
        Self.observe(timings, observedSeconds: observedSeconds, expectedColdLoad: expectedColdLoad,
                     into: &costs[model, default: LearnedCosts()])
        if reportsResidency {
            models[model, default: ResidentModel(
                name: displayName, phase: .loaded, lastUsed: now, expiresAt: now + SchedulerSettings.ollamaKeepAlive)
            ].markLoaded()
        }
    }

    /// What a final chunk's `timings` teach about a model's costs (see `learn`).
    private static func observe(_ timings: GenerationTimings, observedSeconds: Double?, expectedColdLoad: Bool,
                                into learned: inout LearnedCosts) {
        let load = timings.loadDuration?.schedulingSeconds ?? 0
        if timings.wasColdLoad, expectedColdLoad { learned.loadTime.observe(load) }
        if let prompt = timings.promptEvalDuration?.schedulingSeconds, let eval = timings.evalDuration?.schedulingSeconds {
            // The slot's own time: `total_duration - load_duration` also counts the wait for a
            // busy slot of a request that joined a queue (Ollama's load_duration ends when the
            // model is ready, its slot wait comes after).
            learned.generationTime.observe(prompt + eval)
        } else if let total = timings.totalDuration?.schedulingSeconds {
            learned.generationTime.observe(max(0, total - load))
        } else if let observedSeconds {
            learned.generationTime.observe(observedSeconds)
        }
        if let count = timings.evalCount, let eval = timings.evalDuration?.schedulingSeconds, eval > 0 {
            learned.tokensPerSecond.observe(Double(count) / eval)
        }
    }

    /// Olla sent an unload (`keep_alive: 0`) for `model` here.
    public mutating func unloaded(_ model: String) {
        models[model] = nil
    }

    /// The instance answered 503 "server busy" (its queue, `OLLAMA_MAX_QUEUE`, is full).
    public mutating func refusedBusy(now: ContinuousClock.Instant) {
        busyUntil = now + SchedulerSettings.busyBackoff
    }

    /// One model as `/api/ps` lists it.
    public struct Listed: Sendable, Equatable {
        /// Canonical name.
        public var model: String
        /// The name as listed.
        public var name: String
        /// Time left until `expires_at`, when it was reported and readable.
        public var expiresIn: Duration?
        /// `size_vram` in bytes.
        public var sizeVRAM: Int?

        /// Creates an entry.
        public init(model: String, name: String, expiresIn: Duration? = nil, sizeVRAM: Int? = nil) {
            self.model = model
            self.name = name
            self.expiresIn = expiresIn
            self.sizeVRAM = sizeVRAM
        }
    }

    /// `/api/ps` listed `listed` at `now`: the truth replaces predictions, except for models
    /// Olla's own requests are using or loading (the poll may predate them) and a model Olla
    /// has just unloaded (`listingRacedUnload`). A model that
    /// vanished before its expiry was evicted for room, so at most as many as are listed
    /// now fit (when `max_loaded_models` is not configured); more listed than believed to
    /// fit raises the bound.
    public mutating func observed(_ listed: [Listed], now: ContinuousClock.Instant) {
        guard reportsResidency else { return }
        let names = Set(listed.map(\.model))
        var evictedEarly = false
        for (model, resident) in models where !names.contains(model) && runningCount(model) == 0 {
            if resident.confirmed, resident.expiresAt > now + .seconds(1) { evictedEarly = true }
            models[model] = nil
        }
        for entry in listed where !listingRacedUnload(entry.model, now: now) {
            var resident = models[entry.model] ?? ResidentModel(
                name: entry.name, phase: .loaded,
                lastUsed: entry.expiresIn.map { now + $0 - SchedulerSettings.ollamaKeepAlive } ?? now,
                expiresAt: now + SchedulerSettings.ollamaKeepAlive)
            resident.phase = .loaded
            resident.confirmed = true
            if let expiresIn = entry.expiresIn { resident.expiresAt = now + expiresIn }
            resident.sizeVRAM = entry.sizeVRAM ?? resident.sizeVRAM
            models[entry.model] = resident
        }
        // A model predicted evicted may still be listed by a poll that raced the eviction:
        // that is no evidence that more models fit.
        let racedEviction = !predictedEvictions.isDisjoint(with: names)
        predictedEvictions = []
        guard configuredMaxLoaded == nil else { return }
        if names.count > learnedMaxLoaded, !racedEviction { learnedMaxLoaded = names.count }
        if evictedEarly, !names.isEmpty, names.count < learnedMaxLoaded { learnedMaxLoaded = names.count }
    }
}
