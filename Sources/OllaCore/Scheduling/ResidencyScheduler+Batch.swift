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
    /// - **A rare model's batch beside a queue that keeps other copies** (on an instance with
    ///   room for one model, `holdsOneModel`: `model` held nowhere and wanted at most
    ///   `rareBesideAQueue` times as much as V, the load evicts V, and V keeps a resident copy
    ///   on another instance): the load is not made at once. It
    ///   is *due* when V's queue runs dry (no request for V held: the slot would serve nobody
    ///   else; then no busy copy's rent is owed either), or when the oldest request held for
    ///   `model` would otherwise pass its **deadline**: its wait so far, plus the time until
    ///   another instance frees (`nextChance`: the next instance a batch could take), plus
    ///   its load, reaches `batchDeadline` — its own load and `batchReloads` reloads of V
    ///   (what evicting a busy copy is priced at: the busy copy's rent this wait replaces).
    ///   At most `batch_max_wait` of the oldest's wait. The requests held meanwhile share the load: each visit of a
    ///   rare model to a queue's instance costs two loads (it in, V back), paid once per
    ///   batch. And a queue loses one instance at a time: while another instance that offers
    ///   V does not hold it (`offHomes`), the load waits for that one (`yieldsToQueue`),
    ///   until the oldest has waited `batch_max_wait`.
    /// - **A batch before a load over a last copy's queue** (V has no other resident copy, or
    ///   the instance has room for several models and `model` is wanted at most
    ///   `rareBesideAQueueOfSeveral` times as much as V; and requests for V are held): the
    ///   load waits until the oldest request
    ///   held for `model` has waited `batchReloads` reloads of V, at most `batch_max_wait`, or
    ///   until `batchSize` requests for `model` are held, whichever comes first. Both waits
    ///   replace a busy copy's rent (`victimSaturated`), which prices the same eviction.
    /// - **The queue of the model resident there first** (an extra copy of `model` that would
    ///   evict the last copy of V, V rare beside `model`, while requests for V are held): V's
    ///   requests start on that copy when its slot frees, so the copy is not made
    ///   (`yieldsToQueue`): a batch, once loaded, is served before the instance goes back.
    ///   Once V's queue is empty the instance goes back to `model`'s queue
    ///   (`givesWayToAQueue`, `weighLastCopy`).
    ///
    /// First come, first served within a model is kept; what changes is which model's queue a
    /// freed instance serves. `oldestWaiting`: seconds the oldest request held for `model`
    /// has waited; `held`: how many are held for it, this one included; `nextChance`: seconds
    /// until another candidate of the tier could start a load (nil: no other candidate; one
    /// slot time of the victim is assumed).
    func weighBatch(_ estimate: inout PlacementEstimate, for model: String, heldNowhere: Bool,
                    oldestWaiting: Double, held count: Int, nextChance: Double? = nil,
                    now: ContinuousClock.Instant) {
        guard let shown = estimate.victim else { return }
        let victim = ModelName.canonical(shown)
        let instance = estimate.candidate.name
        let single = holdsOneModel(instance)
        let rare = single ? Self.rareBesideAQueue : Self.rareBesideAQueueOfSeveral
        if heldNowhere {
            // Only a model rare beside the one whose copy it would take waits: two models
            // wanted alike share the instances as the other rules weigh them.
            guard demand.level(model, now: now) <= rare * demand.level(victim, now: now) else { return }
            let maxWait = settings.batchMaxWait.schedulingSeconds
            guard maxWait > 0 else { return }
            if single, copies(of: victim, except: instance) > 0 {
                // The batch prices this eviction in place of a busy copy's rent.
                estimate.victimSaturated = false
                if offHomes(of: victim, except: instance) > 0, oldestWaiting < maxWait {
                    estimate.yieldsToQueue = true
                }
                // The victim's queue ran dry: due now.
                guard held[victim, default: 0] > 0 else { return }
                let deadline = batchDeadline(model, over: victim, on: instance)
                let next = nextChance ?? generationTime(victim, on: instance)
                estimate.batchWait = min(maxWait, max(0, deadline - next - estimate.loadTime))
                estimate.oldestWaited = max(0, oldestWaiting)
                return
            }
            guard held[victim, default: 0] > 0 else { return }
            let reload = loadTime(victim, on: instance)
            let wait = min(Self.batchReloads * reload, maxWait)
            estimate.victimSaturated = false
            if offHomes(of: victim, except: instance) > 0, oldestWaiting < maxWait {
                estimate.yieldsToQueue = true
            }
            guard count < Self.batchSize else { return }
            estimate.batchWait = wait
            estimate.oldestWaited = max(0, oldestWaiting)
        } else if held[victim, default: 0] > 0, estimate.residency == .cold, copies(of: victim, except: instance) == 0,
                  copies(of: model, except: instance) > 0,
                  demand.level(victim, now: now) <= rare * demand.level(model, now: now) {
            // A batch of a model rare beside this one: finished before the instance goes back.
            estimate.yieldsToQueue = true
        }
    }

    /// Whether `instance` has room for one model only (`max_loaded_models` 1, configured or
    /// learned): there every visit of a rare model evicts the queue's copy outright and costs
    /// two loads (it in, the queue's model back), and the rules for a rare model beside a
    /// queue that keeps other copies (the deadline and the queue running dry, `weighBatch`;
    /// one batch after another, `chainsBatches`; back to the queue, `givesWayToAQueue`) apply,
    /// with `rareBesideAQueue`. Elsewhere the batch rule of a last copy's queue applies, with
    /// `rareBesideAQueueOfSeveral`.
    func holdsOneModel(_ instance: String) -> Bool {
        position(of: instance).map { fleet[$0].maxLoadedModels == 1 } ?? false
    }

    /// The deadline of a rare model's batch beside a queue with other copies, in seconds
    /// from its oldest request's arrival to the start of its generation: its own load on
    /// `instance` and `batchReloads` reloads of `victim` there — the price of evicting a busy
    /// copy (the instance's time reloading it, its next user's wait), which the rare request
    /// pays in waiting instead of the victim's users paying it in reloads. What the tail may
    /// bear: least-connections sends a rare request at once into a queue, where it waits for
    /// the requests ahead and its load, and the hot model then reloads behind it; on
    /// bench-routing's (b) this deadline is 1.5 + 2 × 1.5 = 4.5 s, least-connections' p99
    /// there 5.2–5.8 s (the policy lab's deadline `B`, docs/benchmarks.md "What a policy can
    /// reach": 4.6 s gives a p99 below least-connections', 5.4 s a median 0.02 s lower and
    /// a p99 at least-connections').
    public func batchDeadline(_ model: String, over victim: String, on instance: String) -> Double {
        loadTime(model, on: instance) + Self.batchReloads * loadTime(victim, on: instance)
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
