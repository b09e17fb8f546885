import Testing
import OllaCore

/// The residency model of one instance and the fleet scheduler's decisions, on an injected
/// clock: no sockets, no sleeping.
@Suite("Scheduler: residency and decisions")
struct SchedulerResidencyTests {
    let t0 = ContinuousClock.now
    let llama = ModelName.canonical("llama3")
    let qwen = ModelName.canonical("qwen")
    let phi = ModelName.canonical("phi")

    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .schedulingSeconds(seconds) }

    func fleet(_ names: [String], parallel: Int? = 1, maxLoaded: Int? = 1,
               settings: SchedulerSettings = .init(defaultLoadTime: .seconds(2))) -> ResidencyScheduler {
        ResidencyScheduler(settings: settings, instances: names.map {
            .init(name: $0, numParallel: parallel, maxLoadedModels: maxLoaded)
        })
    }

    @Test func aLoadIsPredictedAtDispatchAndConfirmedByTheFirstByteAndPs() throws {
        var scheduler = fleet(["a"])
        scheduler.requested(llama, now: t0)
        let first = scheduler.decide(llama, candidates: [.init(name: "a")], now: t0)
        #expect(first == .dispatch([PlacementEstimate(candidate: .init(name: "a"), residency: .cold, queueWait: 0,
                                                      loadTime: 2, canStartNow: true)]))
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 2, now: t0)
        // Predicted: loading, ready in about 2 s.
        let loading = try #require(scheduler.instances["a"]?.models[llama])
        #expect(loading.phase == .loading(readyAt: at(2)))
        #expect(!loading.confirmed)
        let whileLoading = scheduler.estimate(llama, on: .init(name: "a"), now: at(0.5))
        #expect(whileLoading.residency == .loading)
        #expect(!whileLoading.canStartNow)  // its one slot is taken by request 1
        // Confirmed: the first byte says it is loaded, then /api/ps lists it.
        scheduler.firstByte(1, succeeded: true, now: at(1.8))
        #expect(scheduler.instances["a"]?.models[llama]?.phase == .loaded)
        scheduler.observed([.init(model: llama, name: "llama3:latest", expiresIn: .seconds(299), sizeVRAM: 4_000)],
                           on: "a", now: at(1.9))
        #expect(scheduler.instances["a"]?.models[llama]?.confirmed == true)
        #expect(scheduler.instances["a"]?.models[llama]?.sizeVRAM == 4_000)
        scheduler.ended(1, now: at(3))
        let free = scheduler.estimate(llama, on: .init(name: "a"), now: at(3))
        #expect(free.residency == .loaded && free.queueWait == 0 && free.canStartNow)
    }

    @Test func anEvictionIsPredictedLeastRecentlyUsedIdleFirst() {
        var scheduler = fleet(["a"], maxLoaded: 2)
        scheduler.observed([.init(model: llama, name: "llama3"), .init(model: qwen, name: "qwen")], on: "a", now: t0)
        scheduler.dispatched(1, model: qwen, displayName: "qwen", to: "a", estimatedWait: 0, now: at(1))
        scheduler.ended(1, now: at(2))
        // llama3 was used least recently and is idle: loading phi evicts it.
        #expect(scheduler.estimate(phi, on: .init(name: "a"), now: at(3)).victim == "llama3")
        let evicted = scheduler.dispatched(2, model: phi, displayName: "phi", to: "a", estimatedWait: 2, now: at(3))
        #expect(evicted == llama)
        #expect(Set(scheduler.instances["a"]!.models.keys) == [qwen, phi])
    }

    @Test func noIdleModelMeansTheLoadWaitsAndEvictsTheFirstToGoIdle() {
        var scheduler = fleet(["a"])
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: t0)
        scheduler.firstByte(1, succeeded: true, now: at(2))
        #expect(scheduler.instances["a"]?.predictedVictim(now: at(2), sparing: qwen) == nil)
        let estimate = scheduler.estimate(qwen, on: .init(name: "a"), now: at(2))
        // Nothing can be evicted now; llama3, running, will be once it goes idle (and is charged for).
        #expect(estimate.victim == "llama3")
        #expect(!estimate.canStartNow)
        #expect(estimate.queueWait > 0)
    }

    /// Ollama admits in arrival order, and only a request waiting on a load holds up the line:
    /// the load's own request does not (server/sched.go), so a resident model beside another
    /// model's load starts at once until a second request for the loading model is sent.
    @Test func anotherModelsLoadHoldsUpAResidentModelOnlyWhileARequestWaitsOnIt() {
        var scheduler = fleet(["a"], maxLoaded: 2)
        scheduler.observed([.init(model: llama, name: "llama3")], on: "a", now: t0)
        scheduler.dispatched(1, model: qwen, displayName: "qwen", to: "a", estimatedWait: 2, now: t0)
        let beside = scheduler.estimate(llama, on: .init(name: "a"), now: at(0.5))
        #expect(beside.residency == .loaded && beside.queueWait == 0 && beside.canStartNow)
        // A third model still loads after qwen's load (one load at a time).
        let cold = scheduler.estimate(phi, on: .init(name: "a"), now: at(0.5))
        #expect(!cold.canStartNow && abs(cold.queueWait - 1.5) < 1e-6)
        // A second qwen request waits on the load, and llama3's requests behind it.
        scheduler.dispatched(2, model: qwen, displayName: "qwen", to: "a", estimatedWait: 1.5, now: at(0.5))
        let behind = scheduler.estimate(llama, on: .init(name: "a"), now: at(1))
        #expect(!behind.canStartNow && abs(behind.queueWait - 1) < 1e-6)
        // The load ends (the first request's first byte): the line moves.
        scheduler.firstByte(1, succeeded: true, now: at(1.9))
        #expect(scheduler.estimate(llama, on: .init(name: "a"), now: at(1.9)).canStartNow)

        // A load that must wait for room holds up the line with its own request alone: room for
        // one model, llama3 busy (one of its two slots), qwen sent anyway.
        var full = fleet(["b"], parallel: 2, maxLoaded: 1)
        full.observed([.init(model: llama, name: "llama3")], on: "b", now: t0)
        full.dispatched(1, model: llama, displayName: "llama3", to: "b", estimatedWait: 0, now: t0)
        #expect(full.estimate(llama, on: .init(name: "b"), now: at(0.1)).canStartNow)
        full.dispatched(2, model: qwen, displayName: "qwen", to: "b", estimatedWait: 2, now: at(0.1))
        #expect(!full.estimate(llama, on: .init(name: "b"), now: at(0.2)).canStartNow)
    }

    @Test func aHotModelEarnsASecondCopyWhenItsQueueCostsMoreThanALoad() {
        var scheduler = fleet(["a", "b"])
        // llama3 resident on a and learned: 1 s loads, 4 s generations; b holds a rarely used model.
        scheduler.learn(llama, displayName: "llama3", on: "a",
                        timings: .init(loadDuration: .seconds(1), totalDuration: .seconds(5)), observedSeconds: nil, now: t0)
        scheduler.observed([.init(model: qwen, name: "qwen")], on: "b", now: t0)
        scheduler.requested(qwen, now: t0)
        for _ in 0..<10 { scheduler.requested(llama, now: at(10)) }
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: at(10))
        scheduler.firstByte(1, succeeded: true, now: at(10))
        let candidates: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b")]
        let placement = scheduler.decide(llama, candidates: candidates, now: at(10.5))
        guard case .dispatch(let order) = placement else { Issue.record("expected a dispatch, got \(placement)"); return }
        #expect(order.first?.candidate.name == "b")
        #expect(order.first?.residency == .cold)
        #expect(placement.reason.hasPrefix("cold on b ~1.0 s, evicts qwen; loaded on a, queue ~3.5 s"))
    }

    @Test func aQueueHeldBehindSharesTheLoadOfAnExtraCopy() {
        var scheduler = fleet(["a", "b"])
        scheduler.observed([.init(model: llama, name: "llama3")], on: "a", now: t0)
        scheduler.observed([.init(model: qwen, name: "qwen")], on: "b", now: t0)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: t0)
        scheduler.firstByte(1, succeeded: true, now: t0)
        let candidates: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b")]
        // A first request of llama3 ended on a: 5 s a request is learned, not the default's
        // guess (no extra copy is made on a guess: SchedulerLastCopyTests).
        scheduler.learn(llama, displayName: "llama3", on: "a", timings: .init(totalDuration: .seconds(5)),
                        observedSeconds: nil, now: t0)
        // Five more held behind the head: a copy on b serves them too, so its load is shared.
        // (qwen is not asked for: evicting it costs nothing, see SchedulerLastCopyTests.)
        scheduler.requested(llama, now: at(0.5))
        let alone = scheduler.estimate(llama, on: .init(name: "b"), now: at(0.5))
        let queued = scheduler.estimate(llama, on: .init(name: "b"), now: at(0.5), queuedBehind: 5)
        // Each of the five would otherwise wait one more generation (5 s) on a.
        #expect(abs((queued.queueRelief - alone.queueRelief) - 25) < 1e-9)
        #expect(queued.cost < alone.cost)
        #expect(scheduler.decide(llama, candidates: candidates, now: at(0.5), queuedBehind: 5).estimates.first?.candidate.name == "b")
    }

    @Test func aRareModelDoesNotEvictAPopularOneButWaitsInstead() {
        var scheduler = fleet(["a"])
        scheduler.observed([.init(model: llama, name: "llama3")], on: "a", now: t0)
        for second in 0..<20 { scheduler.requested(llama, now: at(Double(second))) }
        scheduler.requested(phi, now: at(20))
        let estimate = scheduler.estimate(phi, on: .init(name: "a"), now: at(20))
        #expect(estimate.victim == "llama3")
        #expect(estimate.evictionPenalty == 8)  // four reloads of 2 s: capped
        // With no copy of phi anywhere to wait for, the time its held requests waited pays
        // the penalty off: it waits for a while, not for ever.
        let after3 = scheduler.decide(phi, candidates: [.init(name: "a")], now: at(20), heldWaiting: 3)
        #expect(after3.estimates.first?.uncoveredPenalty == 5)
        let after8 = scheduler.decide(phi, candidates: [.init(name: "a")], now: at(20), heldWaiting: 8)
        #expect(after8.estimates.first?.uncoveredPenalty == 0)
        // A popular model evicting a rare one pays little.
        scheduler.observed([.init(model: phi, name: "phi")], on: "a", now: at(21))
        let reverse = scheduler.estimate(llama, on: .init(name: "a"), now: at(21))
        #expect(reverse.evictionPenalty < 0.2)
    }

    @Test func aLowerTierServesOnlyWhenTheHigherTierCannot() {
        var scheduler = fleet(["gpu", "laptop"], settings: .init(defaultLoadTime: .seconds(2), tierMaxWait: .seconds(10)))
        scheduler.observed([.init(model: llama, name: "llama3")], on: "laptop", now: t0)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "gpu", estimatedWait: 0, now: t0)
        scheduler.firstByte(1, succeeded: true, now: t0)
        let candidates: [SchedulingCandidate] = [.init(name: "gpu", priority: 100), .init(name: "laptop", priority: 10)]
        // The laptop has it loaded and free, the GPU box is busy for a few seconds: the tier holds.
        let held = scheduler.decide(llama, candidates: candidates, now: at(1))
        guard case .hold(let order) = held else { Issue.record("expected a hold, got \(held)"); return }
        #expect(order.map(\.candidate.name) == ["gpu", "laptop"])
        // Beyond the tier's bound the laptop serves.
        for id in 2...4 as ClosedRange<UInt64> {
            scheduler.dispatched(id, model: llama, displayName: "llama3", to: "gpu", estimatedWait: 0, now: at(1))
        }
        let spilled = scheduler.decide(llama, candidates: candidates, now: at(1))
        #expect(spilled.estimates.first?.candidate.name == "laptop")
        // Without the GPU box (down: not a candidate), the laptop serves at once.
        #expect(scheduler.decide(llama, candidates: [candidates[1]], now: at(1)).estimates.first?.canStartNow == true)
    }

    @Test func weightSharesLoadAmongEquallyGoodInstances() {
        let scheduler = fleet(["a", "b"], parallel: 8)
        let candidates: [SchedulingCandidate] = [.init(name: "a", weight: 4, inFlight: 3), .init(name: "b", weight: 1, inFlight: 1)]
        #expect(scheduler.decide(llama, candidates: candidates, now: t0).estimates.first?.candidate.name == "a")
    }

    @Test func anEstimateIsLearnedFromAFinalChunk() throws {
        let chunk = Array(#"{"model":"llama3","done":true,"total_duration":3500000000,"load_duration":1500000000,"prompt_eval_count":10,"eval_count":100,"eval_duration":1000000000}"#.utf8)
        let usage = try #require(TokenScanner.scanOllama(chunk))
        let timings = try #require(usage.timings)
        #expect(timings.wasColdLoad)
        var scheduler = fleet(["a"])
        #expect(scheduler.loadTime(llama, on: "a") == 2)
        scheduler.learn(llama, displayName: "llama3", on: "a", timings: timings, observedSeconds: nil, now: t0)
        #expect(scheduler.loadTime(llama, on: "a") == 1.5)
        #expect(scheduler.generationTime(llama, on: "a") == 2)
        #expect(scheduler.instances["a"]?.costs[llama]?.tokensPerSecond.value == 100)
        #expect(scheduler.instances["a"]?.coldLoads == 1)
        // Another instance without its own observation borrows it.
        var two = fleet(["a", "b"])
        two.learn(llama, displayName: "llama3", on: "a", timings: timings, observedSeconds: nil, now: t0)
        #expect(two.loadTime(llama, on: "b") == 1.5)
    }

    @Test func parallelSlotsAreLearnedFromConcurrentStreams() {
        var scheduler = fleet(["a"], parallel: nil, maxLoaded: nil)
        #expect(scheduler.instances["a"]?.slotsPerModel == 1)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: t0)
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: t0)
        scheduler.firstByte(1, succeeded: true, now: at(1))
        scheduler.firstByte(2, succeeded: true, now: at(1.1))
        #expect(scheduler.instances["a"]?.slotsPerModel == 2)
    }

    @Test func oneRequestBeyondLearnedSlotsFindsTheBound() {
        var scheduler = fleet(["a"], parallel: nil, maxLoaded: nil)
        scheduler.observed([.init(model: llama, name: "llama3")], on: "a", now: t0)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: t0)
        scheduler.firstByte(1, succeeded: true, now: at(0.1))
        // Slot taken but only learned: one more may go, to find out.
        let probe = scheduler.estimate(llama, on: .init(name: "a"), now: at(0.2))
        #expect(probe.canStartNow && probe.queueWait == SchedulerSettings.slotProbeWait)
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "a", estimatedWait: 0.1, now: at(0.2))
        #expect(!scheduler.estimate(llama, on: .init(name: "a"), now: at(0.3)).canStartNow)  // one probe at a time
        // It starts only after request 1 ended: one slot is the bound, and no more probes go.
        scheduler.ended(1, now: at(3))
        scheduler.firstByte(2, succeeded: true, now: at(3.1))
        #expect(scheduler.instances["a"]?.parallelConfirmed == true)
        #expect(scheduler.instances["a"]?.slotsPerModel == 1)
        #expect(!scheduler.estimate(llama, on: .init(name: "a"), now: at(3.2)).canStartNow)
    }

    @Test func maxLoadedModelsIsLearnedFromAnEarlyEviction() {
        var scheduler = fleet(["a"], parallel: nil, maxLoaded: nil)
        #expect(scheduler.instances["a"]?.maxLoadedModels == 3)
        scheduler.observed([.init(model: llama, name: "llama3", expiresIn: .seconds(300))], on: "a", now: t0)
        // qwen replaced llama3 long before llama3's expiry: only one fits.
        scheduler.observed([.init(model: qwen, name: "qwen", expiresIn: .seconds(300))], on: "a", now: at(5))
        #expect(scheduler.instances["a"]?.maxLoadedModels == 1)
    }

    @Test func theHoldQueueIsBoundedInLengthAndWaitAndForgetsLeavers() throws {
        var queue = HoldQueue<Int>(maxLength: 2, maxWait: .seconds(10))
        try queue.hold(1, model: llama, now: t0)
        try queue.hold(2, model: llama, now: at(1))
        do {
            try queue.hold(3, model: llama, now: at(1))
            Issue.record("a third request was held beyond the bound of 2")
        } catch {
            #expect(error == .full)
        }
        try queue.hold(4, model: qwen, now: at(2))  // another model has its own bound
        let removed = queue.remove(2)
        #expect(removed)
        #expect(queue.first(llama)?.id == 1)
        let expired = queue.expire(now: at(10.5))
        #expect(expired == [1])
        #expect(queue.count(llama) == 0)
        let next = queue.removeFirst(qwen)
        #expect(next?.id == 4)
        #expect(queue.isEmpty)
    }
}

/// docs/routing.md "A worked example", as written: the numbers in, the choice out.
@Suite("Scheduler: the documented worked example")
struct SchedulerWorkedExampleTests {
    let llama = "llama3.2:latest"
    let qwen = "qwen2.5:latest"
    let mistral = "mistral:latest"
    let candidates = ["gpu-a", "gpu-b", "gpu-c"].map { SchedulingCandidate(name: $0) }

    /// The example's fleet at the moment the request arrives; `llamaFound`: requests for
    /// llama3.2 held when each of its 12 recent requests arrived.
    func example(llamaFound: Int = 0) -> (ResidencyScheduler, ContinuousClock.Instant) {
        let t0 = ContinuousClock.now
        var scheduler = ResidencyScheduler(
            settings: SchedulerSettings(defaultLoadTime: .milliseconds(1500)),
            instances: ["gpu-a", "gpu-b", "gpu-c"].map { .init(name: $0, numParallel: 1, maxLoadedModels: 1) })
        // Learned: llama3.2 loads in 1.5 s and holds a slot for 4 s.
        scheduler.learn(llama, displayName: "llama3.2", on: "gpu-a",
                        timings: .init(loadDuration: .milliseconds(1500), totalDuration: .milliseconds(5500)),
                        observedSeconds: nil, now: t0)
        scheduler.observed([.init(model: qwen, name: "qwen2.5")], on: "gpu-b", now: t0)
        scheduler.observed([.init(model: mistral, name: "mistral")], on: "gpu-c", now: t0)
        // Demand has been watched for ten minutes (the rates need no warm-up correction).
        for model in [llama, qwen, mistral] { scheduler.requested(model, now: t0) }
        let start = t0 + .seconds(600)
        scheduler.dispatched(1, model: llama, displayName: "llama3.2", to: "gpu-a", estimatedWait: 0, now: start)
        scheduler.firstByte(1, succeeded: true, now: start)
        let now = start + .milliseconds(1200)
        for (model, count) in [(llama, 12), (qwen, 3), (mistral, 6)] {
            scheduler.held = model == llama ? [llama: llamaFound] : [:]
            for _ in 0..<count { scheduler.requested(model, now: now) }
        }
        scheduler.held = [:]
        return (scheduler, now)
    }

    @Test func routingDocsWorkedExample() {
        let (scheduler, now) = example()
        let placement = scheduler.decide(llama, candidates: candidates, now: now)
        let costs = placement.estimates.map { ($0.candidate.name, ($0.cost * 1000).rounded() / 1000) }
        // An extra copy is charged at least one whole reload of the last copy it evicts:
        // qwen2.5's 1.5 × 3/12 = 0.375 s and mistral's 1.5 × 6/12 = 0.75 s become 1.5 s.
        #expect(costs.map(\.0) == ["gpu-a", "gpu-b", "gpu-c"])
        #expect(costs.map(\.1) == [2.8, 3.0, 3.0])
        guard case .hold = placement else { Issue.record("gpu-a's slot is busy: \(placement)"); return }
        #expect(placement.reason == "held for a free slot: loaded on gpu-a, queue ~2.8 s; cold on gpu-b ~1.5 s, evicts qwen2.5")
        // llama3.2's rate, ~0.139 requests/s, is below what gpu-a serves (one per 4 s): no relief.
        #expect(abs(scheduler.demand.rate(llama, now: now) - 0.139) < 0.001)
        #expect(placement.estimates[1].queueRelief == 0)
        // Two held behind it would each wait 4 s more on gpu-a: 8 s relieved (qwen2.5, wanted
        // about once every 29 s, is not back before the copy has served them).
        let queued = scheduler.decide(llama, candidates: candidates, now: now, queuedBehind: 2)
        #expect(queued.estimates.map { ($0.cost * 1000).rounded() / 1000 } == [-5.0, -5.0, 2.8])
        guard case .dispatch = queued else { Issue.record("gpu-b can start now: \(queued)"); return }
        #expect(queued.reason == "cold on gpu-b ~1.5 s, evicts qwen2.5; cold on gpu-c ~1.5 s, evicts mistral")
    }

    @Test func routingDocsWorkedExampleWithAStandingQueue() {
        // Had llama3.2's requests found two held on average (a standing queue: more than
        // gpu-a's one slot), its demand would have outgrown its copy: no whole reload, gpu-b at 1.875 s.
        let (outgrown, now) = example(llamaFound: 2)
        #expect(outgrown.outgrowsCopies(llama, except: "gpu-b"))
        let copy = outgrown.decide(llama, candidates: candidates, now: now)
        #expect(copy.estimates.map { ($0.cost * 1000).rounded() / 1000 } == [1.875, 2.25, 2.8])
        guard case .dispatch = copy else { Issue.record("gpu-b can start now: \(copy)"); return }
    }
}
