extension ResidencyScheduler {
    /// Serves a model that must load over another model's queue in batches, and gives a
    /// freed slot to the model resident there while its requests are held.
    ///
    /// A load that evicts a model V while requests for V are held takes a slot V's queue
    /// was about to use: its requests wait a round longer there, and V's next users pay the
    /// reload that takes the instance back. Made for one request, that trade is paid once per
    /// request; made for several at once, once per batch. And in a closed loop (users wait
    /// for their answers) a user whose request is held does not send another meanwhile, so
    /// the wait of the model that loads is not lost to the queue it would have joined. So:
    ///
    /// - **A batch before a load over a queue** (`model` held nowhere and wanted at most
    ///   `rareBesideAQueue` times as much as V, the load evicts V with requests held): the load
    ///   waits until the oldest request held for `model` has waited `batchReloads` reloads of V
    ///   (what the eviction costs V's users), at most `batch_max_wait`, or until `batchSize`
    ///   requests for `model` are held, whichever comes first; the requests held meanwhile
    ///   share the load. This wait replaces a busy copy's rent (`victimSaturated`), which
    ///   prices the same eviction. And a queue loses one instance at a time: while another
    ///   instance that offers V does not hold it (`offHomes`), the load waits for that one
    ///   (`yieldsToQueue`), until the oldest has waited `batch_max_wait`.
    /// - **The queue of the model resident there first** (an extra copy of `model` that would
    ///   evict the last copy of V, V rare beside `model`, while requests for V are held): V's
    ///   requests start on that copy when its slot frees, so the copy is not made
    ///   (`yieldsToQueue`): a batch, once loaded, is served before the instance goes back.
    ///
    /// First come, first served within a model is kept; what changes is which model's queue a
    /// freed instance serves. `oldestWaiting`: seconds the oldest request held for `model`
    /// has waited; `held`: how many are held for it, this one included.
    func weighBatch(_ estimate: inout PlacementEstimate, for model: String, heldNowhere: Bool,
                    oldestWaiting: Double, held count: Int, now: ContinuousClock.Instant) {
        guard let shown = estimate.victim else { return }
        let victim = ModelName.canonical(shown)
        guard held[victim, default: 0] > 0 else { return }
        let instance = estimate.candidate.name
        if heldNowhere {
            // Only a model rare beside the one whose queue it would take waits: two models
            // wanted alike share the instances as the other rules weigh them.
            guard demand.level(model, now: now) <= Self.rareBesideAQueue * demand.level(victim, now: now) else { return }
            let reload = loadTime(victim, on: instance)
            let wait = min(Self.batchReloads * reload, settings.batchMaxWait.schedulingSeconds)
            guard wait > 0 else { return }
            // The batch prices this eviction in place of a busy copy's rent (both wait two
            // reloads of the victim; the rent counts every held request's wait, so a batch of
            // two would still owe it).
            estimate.victimSaturated = false
            if offHomes(of: victim, except: instance) > 0,
               oldestWaiting < settings.batchMaxWait.schedulingSeconds {
                estimate.yieldsToQueue = true
            }
            guard count < Self.batchSize else { return }
            estimate.batchWait = wait
            estimate.oldestWaited = max(0, oldestWaiting)
        } else if estimate.residency == .cold, copies(of: victim, except: instance) == 0,
                  copies(of: model, except: instance) > 0,
                  demand.level(victim, now: now) <= Self.rareBesideAQueue * demand.level(model, now: now) {
            // A batch of a model rare beside this one: finished before the instance goes back.
            estimate.yieldsToQueue = true
        }
    }

    /// Requests held for a model that make a batch at once: with a second one the load is
    /// shared, and waiting longer would lengthen the oldest's wait for less than it saves.
    public static let batchSize = 2

    /// The batch wait of a load over a queue, in reloads of the model it evicts: what that
    /// eviction costs the evicted model's users (its instance reloading it, its next user
    /// waiting for that), as a busy copy's rent (`maxReloadsForABusyCopy`).
    public static let batchReloads = maxReloadsForABusyCopy

    /// The instances other than `instance` that offer `model` (as its last request found
    /// them) and do not hold it now: instances a batch (or anything else) has taken off it.
    func offHomes(of model: String, except instance: String) -> Int {
        demand.homes(model).reduce(0) { count, home in
            guard home != instance, let at = position(of: home), fleet[at].reportsResidency else { return count }
            return fleet[at].models[model] == nil ? count + 1 : count
        }
    }
}
