import Testing
import OllaCore

/// The scheduler's rules against churn (copies made for a burst and torn down, a rare model
/// evicting a busy model's copy for one request), on an injected clock: no sockets.
@Suite("Scheduler: demand rates, extra copies, rent or buy")
struct SchedulerHysteresisTests {
    let t0 = ContinuousClock.now
    let llama = ModelName.canonical("llama3")
    let qwen = ModelName.canonical("qwen")
    let phi = ModelName.canonical("phi")

    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .schedulingSeconds(seconds) }

    /// Instances with one slot and one model each; `llama3` learned on `learnedOn`: 1.5 s
    /// loads, 0.5 s generations.
    func fleet(_ names: [String], learnedOn: String) -> ResidencyScheduler {
        var scheduler = ResidencyScheduler(settings: .init(defaultLoadTime: .seconds(2)), instances: names.map {
            .init(name: $0, numParallel: 1, maxLoadedModels: 1)
        })
        scheduler.learn(llama, displayName: "llama3", on: learnedOn,
                        timings: .init(loadDuration: .milliseconds(1500), totalDuration: .seconds(2)),
                        observedSeconds: nil, now: t0)
        return scheduler
    }

    /// `model` requested `perSecond` times a second from `from` to `to` seconds.
    func steady(_ scheduler: inout ResidencyScheduler, _ model: String, perSecond: Double, from: Double, to: Double) {
        var t = from
        while t < to {
            scheduler.requested(model, now: at(t))
            t += 1 / perSecond
        }
    }

    @Test func aDemandRateIsRightFromTheFirstMinute() {
        var demand = ModelDemand()
        for second in 0..<30 { demand.requested(llama, now: at(Double(second))) }
        // 30 requests in 30 s: about one a second, though the decayed count (~25) is far
        // below the steady count of one a second (~87).
        let rate = demand.rate(llama, now: at(30))
        #expect(abs(rate - 1) < 0.1, "rate \(rate)")
        // Long after, the count is steady and the rate is the same without correction.
        var steadyDemand = ModelDemand()
        for second in 0..<600 { steadyDemand.requested(llama, now: at(Double(second))) }
        #expect(abs(steadyDemand.rate(llama, now: at(600)) - 1) < 0.05)
        // One request a moment ago is one per `minWindow`, not thousands a second.
        var once = ModelDemand()
        once.requested(qwen, now: t0)
        #expect(once.rate(qwen, now: at(0.001), minWindow: 2) <= 0.51)
        #expect(once.rate(phi, now: at(1)) == 0)
    }

    @Test func aBurstTheOtherCopyAbsorbsBuysNoCopyButADeepQueueDoes() {
        var scheduler = fleet(["a", "b"], learnedOn: "a")
        scheduler.observed([.init(model: qwen, name: "qwen")], on: "b", now: t0)
        // llama3 is wanted about once every two seconds: one copy (0.5 s a request) keeps up.
        // (qwen is not asked for: evicting a wanted last copy costs a reload, SchedulerLastCopyTests.)
        steady(&scheduler, llama, perSecond: 0.5, from: 0, to: 60)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: at(60))
        scheduler.firstByte(1, succeeded: true, now: at(60))
        let candidates: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b")]
        // Two held: the last would wait two generations (~0.9 s) on a, less than a load on b
        // and evicting qwen: both wait for a.
        let burst = scheduler.decide(llama, candidates: candidates, now: at(60.1), queuedBehind: 1)
        guard case .hold(let order) = burst else { Issue.record("expected a hold, got \(burst)"); return }
        #expect(order.first?.candidate.name == "a")
        // Six held: the last would wait ~2.9 s on a; a copy on b pays.
        let deep = scheduler.decide(llama, candidates: candidates, now: at(60.1), queuedBehind: 5)
        guard case .dispatch(let copy) = deep else { Issue.record("expected a dispatch, got \(deep)"); return }
        #expect(copy.first?.candidate.name == "b")
        #expect(copy.first?.queueRelief == 2.5)  // five held behind, 0.5 s each, one slot on a
    }

    @Test func demandTheOtherCopiesCannotServeBuysACopy() {
        var scheduler = fleet(["a", "b"], learnedOn: "a")
        scheduler.observed([.init(model: qwen, name: "qwen")], on: "b", now: t0)
        // Four a second against one copy serving two a second: it falls behind.
        steady(&scheduler, llama, perSecond: 4, from: 0, to: 30)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: at(30))
        scheduler.firstByte(1, succeeded: true, now: at(30))
        let estimate = scheduler.estimate(llama, on: .init(name: "b"), now: at(30.1))
        // About 2 requests a second beyond a's capacity arrive during the 1.5 s load: 3 × 0.5 s relieved.
        #expect(abs(estimate.queueRelief - 1.5) < 0.2, "relief \(estimate.queueRelief)")
        let placement = scheduler.decide(llama, candidates: [.init(name: "a"), .init(name: "b")], now: at(30.1))
        #expect(placement.estimates.first?.candidate.name == "b")
    }

    @Test func aRareModelWaitsUntilItsWaitPaysForEvictingASaturatedCopy() {
        var scheduler = fleet(["a", "b", "c"], learnedOn: "a")
        for name in ["a", "b", "c"] { scheduler.observed([.init(model: llama, name: "llama3")], on: name, now: t0) }
        // llama3 keeps three copies busy: five a second, 0.5 s each. phi is wanted one
        // request per five of llama3's: not rare beside it, so no batch rule applies
        // (`SchedulerBatchTests`: a rare model loads when the queue runs dry).
        steady(&scheduler, llama, perSecond: 5, from: 0, to: 30)
        steady(&scheduler, phi, perSecond: 1, from: 0, to: 30)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: at(30))
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "b", estimatedWait: 0, now: at(30))
        let candidates: [SchedulingCandidate] = [.init(name: "c")]
        // c is idle: phi could start there now, but two copies could not serve llama3's demand.
        let first = scheduler.decide(phi, candidates: candidates, now: at(30.1))
        guard case .hold(let order) = first else { Issue.record("expected a hold, got \(first)"); return }
        let evict = try! #require(order.first)
        #expect(evict.candidate.name == "c" && evict.victimSaturated && evict.awaitsPayment)
        #expect(first.reason.hasPrefix("held until the wait pays for evicting llama3: cold on c"))
        // Once the requests held for phi have waited as long as the eviction costs, it goes.
        let paid = scheduler.decide(phi, candidates: candidates, now: at(30.1), heldWaiting: evict.evictionPenalty)
        guard case .dispatch(let go) = paid else { Issue.record("expected a dispatch, got \(paid)"); return }
        #expect(go.first?.candidate.name == "c")
    }

    @Test func waitingPaysOffNoEvictionWhileACopyCanServe() {
        var scheduler = fleet(["a", "b"], learnedOn: "a")
        scheduler.observed([.init(model: qwen, name: "qwen")], on: "b", now: t0)
        steady(&scheduler, qwen, perSecond: 1, from: 0, to: 30)
        steady(&scheduler, llama, perSecond: 0.5, from: 0, to: 30)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: at(30))
        scheduler.firstByte(1, succeeded: true, now: at(30))
        // llama3 held a long time behind a busy copy: the copy will free, so the time waited
        // does not buy an eviction of qwen.
        let placement = scheduler.decide(llama, candidates: [.init(name: "a"), .init(name: "b")], now: at(30.1),
                                         heldWaiting: 100)
        #expect(placement.estimates.first(where: { $0.candidate.name == "b" })?.penaltyCredit == 0)
        #expect(placement.estimates.first?.candidate.name == "a")
    }
}
