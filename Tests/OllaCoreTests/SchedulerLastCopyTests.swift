import Testing
import OllaCore

/// The rules that keep a wanted model's last resident copy where its users find it (rent
/// before evicting it, a copy lives until the victim returns, no copy on guesses), on an
/// injected clock: no sockets.
@Suite("Scheduler: last copies, rent before evicting, no speculative copies")
struct SchedulerLastCopyTests {
    let t0 = ContinuousClock.now
    let llama = ModelName.canonical("llama3")
    let mistral = ModelName.canonical("mistral")
    let gemma = ModelName.canonical("gemma")
    let phi = ModelName.canonical("phi")
    let qwen = ModelName.canonical("qwen")

    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .schedulingSeconds(seconds) }

    /// Instances with one slot and one resident model each (2 s default load).
    func fleet(_ names: [String]) -> ResidencyScheduler {
        ResidencyScheduler(settings: .init(defaultLoadTime: .seconds(2)), instances: names.map {
            .init(name: $0, numParallel: 1, maxLoadedModels: 1)
        })
    }

    func steady(_ scheduler: inout ResidencyScheduler, _ model: String, perSecond: Double, from: Double, to: Double) {
        var t = from
        while t < to {
            scheduler.requested(model, now: at(t))
            t += 1 / perSecond
        }
    }

    /// `c` holds mistral, wanted 0.4 times a second; it was learned to load in 1.2 s there.
    /// gemma, wanted 0.3 times a second, is resident nowhere.
    func sharedInstance() -> ResidencyScheduler {
        var scheduler = fleet(["c", "d"])
        scheduler.learn(mistral, displayName: "mistral", on: "c",
                        timings: .init(loadDuration: .milliseconds(1200), totalDuration: .milliseconds(1800)),
                        observedSeconds: nil, now: t0)
        steady(&scheduler, mistral, perSecond: 0.4, from: 0, to: 30)
        steady(&scheduler, gemma, perSecond: 0.3, from: 0, to: 30)
        return scheduler
    }

    @Test func aRareModelRentsBeforeEvictingAWantedLastCopy() throws {
        let scheduler = sharedInstance()
        let candidates: [SchedulingCandidate] = [.init(name: "c")]
        let first = scheduler.decide(gemma, candidates: candidates, now: at(30))
        guard case .hold(let order) = first else { Issue.record("expected a hold, got \(first)"); return }
        let evict = try #require(order.first)
        // The rent is the victim's learned reload (1.2 s), less than the penalty (1.2 × 4/3).
        #expect(evict.victim == "mistral" && evict.awaitsPayment)
        #expect(abs(evict.lastCopyRent - 1.2) < 1e-9, "rent \(evict.lastCopyRent)")
        #expect(evict.evictionPenalty > evict.lastCopyRent)
        #expect(first.reason.hasPrefix("held until the wait pays for evicting mistral: cold on c"))
        // Held requests for gemma that waited 1 s in all have not paid; 1.2 s have.
        let early = scheduler.decide(gemma, candidates: candidates, now: at(30.5), heldWaiting: 1.0)
        #expect(early.estimates.first?.awaitsPayment == true)
        let paid = scheduler.decide(gemma, candidates: candidates, now: at(31), heldWaiting: 1.2)
        guard case .dispatch(let go) = paid else { Issue.record("expected a dispatch, got \(paid)"); return }
        #expect(go.first?.candidate.name == "c")
    }

    @Test func aRareModelEvictsAModelNobodyWantsAtOnce() {
        var scheduler = sharedInstance()
        // d holds phi, not asked for in a long time: gemma goes there now, mistral stays.
        scheduler.observed([.init(model: phi, name: "phi")], on: "d", now: at(30))
        let placement = scheduler.decide(gemma, candidates: [.init(name: "c"), .init(name: "d")], now: at(30))
        guard case .dispatch(let order) = placement else { Issue.record("expected a dispatch, got \(placement)"); return }
        #expect(order.first?.candidate.name == "d" && order.first?.lastCopyRent == 0)
    }

    @Test func aVictimWithRequestsHeldCostsTwoReloadsOfRent() {
        var scheduler = sharedInstance()
        scheduler.held = [mistral: 1, gemma: 1]
        let candidates: [SchedulingCandidate] = [.init(name: "c")]
        let placement = scheduler.decide(gemma, candidates: candidates, now: at(30), heldWaiting: 1.2)
        #expect(placement.estimates.first.map { abs($0.lastCopyRent - 2.4) < 1e-9 } == true)
        #expect(placement.estimates.first?.awaitsPayment == true)
        let paid = scheduler.decide(gemma, candidates: candidates, now: at(31), heldWaiting: 2.4)
        guard case .dispatch = paid else { Issue.record("expected a dispatch, got \(paid)"); return }
    }

    /// a serves llama3 (learned: 1.5 s loads, 0.5 s a request, four requests a second: more
    /// than a's two); b holds qwen.
    /// `llamaFound`: requests for llama3 held when each of its requests arrived (from
    /// `burstFrom` seconds on: before that none).
    func busyCopy(qwenPerSecond: Double, llamaFound: Int = 0, burstFrom: Double = 0) -> ResidencyScheduler {
        var scheduler = fleet(["a", "b"])
        scheduler.learn(llama, displayName: "llama3", on: "a",
                        timings: .init(loadDuration: .milliseconds(1500), totalDuration: .seconds(2)),
                        observedSeconds: nil, now: t0)
        scheduler.observed([.init(model: qwen, name: "qwen")], on: "b", now: t0)
        steady(&scheduler, llama, perSecond: 4, from: 0, to: burstFrom)
        scheduler.held = [llama: llamaFound]
        steady(&scheduler, llama, perSecond: 4, from: burstFrom, to: 30)
        scheduler.held = [:]
        steady(&scheduler, qwen, perSecond: qwenPerSecond, from: 0, to: 30)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: at(30))
        scheduler.firstByte(1, succeeded: true, now: at(30))
        return scheduler
    }

    @Test func anExtraCopyRelievesOnlyUntilTheVictimReturns() throws {
        let candidates: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b")]
        // qwen is back within 1.25 s, before a copy of llama3 would even have loaded: the
        // copy relieves nothing, and the requests wait for a.
        let soon = busyCopy(qwenPerSecond: 0.8)
        let stay = soon.decide(llama, candidates: candidates, now: at(30.1), queuedBehind: 5)
        let copy = try #require(stay.estimates.first { $0.candidate.name == "b" })
        #expect(copy.queueRelief == 0 && copy.victim == "qwen")
        // qwen's 2 s reload × (0.8 ÷ 4 requests a second) = 0.4 s, raised to one whole reload.
        #expect(abs(copy.evictionPenalty - 2.0) < 1e-9, "penalty \(copy.evictionPenalty)")
        #expect(stay.estimates.first?.candidate.name == "a")
        // qwen wanted once in 20 s: the copy serves the queue long before qwen returns.
        let rarely = busyCopy(qwenPerSecond: 0.05)
        let earned = rarely.decide(llama, candidates: candidates, now: at(30.1), queuedBehind: 5)
        guard case .dispatch(let order) = earned else { Issue.record("expected a dispatch, got \(earned)"); return }
        #expect(order.first?.candidate.name == "b" && (order.first?.queueRelief ?? 0) > 2)
    }

    @Test func demandThatOutgrewItsCopiesEarnsACopyWithoutTheWholeReload() throws {
        let candidates: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b")]
        // As above, qwen is back within 1.25 s; but llama3's requests met a queue of two on
        // average (a has one slot): the queue does not empty by itself, the copy is not optional.
        let outgrown = busyCopy(qwenPerSecond: 0.8, llamaFound: 2)
        #expect(outgrown.outgrowsCopies(llama, except: "b"))
        let placement = outgrown.decide(llama, candidates: candidates, now: at(30.1), queuedBehind: 5)
        guard case .dispatch(let order) = placement else { Issue.record("expected a dispatch, got \(placement)"); return }
        let copy = try #require(order.first)
        #expect(copy.candidate.name == "b" && copy.victim == "qwen")
        // qwen's 2 s reload × (0.8 ÷ 4 requests a second), not raised to a whole reload.
        #expect(abs(copy.evictionPenalty - 0.4) < 0.03, "penalty \(copy.evictionPenalty)")
        // Not capped by qwen's return: 5 held + (4 − 2 a second served by a) × 1.5 s of load,
        // each saving a's 0.5 s.
        #expect(abs(copy.queueRelief - 4.0) < 0.1, "relief \(copy.queueRelief)")
        // A burst — the last second's requests found two held, the 29 before found none —
        // is a queue that comes and goes: the floor and the cap stay.
        let burst = busyCopy(qwenPerSecond: 0.8, llamaFound: 2, burstFrom: 29)
        #expect(!burst.outgrowsCopies(llama, except: "b"))
        let stay = burst.decide(llama, candidates: candidates, now: at(30.1), queuedBehind: 5)
        let refused = try #require(stay.estimates.first { $0.candidate.name == "b" })
        #expect(abs(refused.evictionPenalty - 2.0) < 1e-9 && refused.queueRelief == 0)
        #expect(stay.estimates.first?.candidate.name == "a")
    }

    @Test func theQueueFoundIsAveragedOverTheRequestsAsTheCountIs() {
        var demand = ModelDemand()
        #expect(demand.queueFound(llama) == 0)
        for _ in 0..<10 { demand.requested(llama, now: at(9), waiting: 3) }
        #expect(abs(demand.queueFound(llama) - 3) < 1e-9)
        // Ten more that found nothing, a minute after the last: the older ten count half
        // (5 requests that found 15 held, and 10 that found none).
        for _ in 0..<10 { demand.requested(llama, now: at(69), waiting: 0) }
        #expect(abs(demand.queueFound(llama) - 1.0) < 1e-6, "\(demand.queueFound(llama))")
        // Another model's queue is its own.
        #expect(demand.queueFound(mistral) == 0)
    }

    @Test func noExtraCopyBeforeTheFirstAnswerIsLearned() {
        var scheduler = fleet(["a", "b"])
        steady(&scheduler, llama, perSecond: 4, from: 0, to: 10)
        // The first request loads llama3 on a; nothing is learned yet (5 s generations assumed).
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: at(10))
        let candidates: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b")]
        let guess = scheduler.decide(llama, candidates: candidates, now: at(10.1), queuedBehind: 3)
        guard case .hold(let order) = guess else { Issue.record("expected a hold, got \(guess)"); return }
        #expect(order.first?.candidate.name == "a")
        #expect(order.last?.candidate.name == "b" && order.last?.speculative == true)
        // Its answer teaches 1.5 s loads and 0.5 s requests: four a second are more than a
        // serves, and with three held a copy on the empty b pays.
        scheduler.firstByte(1, succeeded: true, now: at(11.6))
        scheduler.learn(llama, displayName: "llama3", on: "a",
                        timings: .init(loadDuration: .milliseconds(1500), totalDuration: .seconds(2)),
                        observedSeconds: nil, now: at(12.1))
        scheduler.ended(1, now: at(12.1))
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: at(12.1))
        scheduler.firstByte(2, succeeded: true, now: at(12.1))
        let learned = scheduler.decide(llama, candidates: candidates, now: at(12.2), queuedBehind: 3)
        guard case .dispatch(let copy) = learned else { Issue.record("expected a dispatch, got \(learned)"); return }
        #expect(copy.first?.candidate.name == "b" && copy.first?.speculative == false)
    }

    /// a serves llama3 (1.5 s loads, 0.5 s a request), wanted two requests a second — what a
    /// serves, as in a closed loop where users wait for their answers; b holds qwen, wanted
    /// `qwenPerSecond`, idle, learned to load in `qwenLoad` seconds there. Three requests for
    /// llama3 are held.
    func queueBesideIdleCopy(qwenPerSecond: Double, qwenLoad: Double = 2) -> ResidencyScheduler {
        var scheduler = fleet(["a", "b"])
        scheduler.learn(llama, displayName: "llama3", on: "a",
                        timings: .init(loadDuration: .milliseconds(1500), totalDuration: .seconds(2)),
                        observedSeconds: nil, now: t0)
        scheduler.learn(qwen, displayName: "qwen", on: "b",
                        timings: .init(loadDuration: .schedulingSeconds(qwenLoad), totalDuration: .schedulingSeconds(qwenLoad + 0.5)),
                        observedSeconds: nil, now: t0)
        steady(&scheduler, llama, perSecond: 2, from: 0, to: 90)
        steady(&scheduler, qwen, perSecond: qwenPerSecond, from: 0, to: 90)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: at(90))
        scheduler.firstByte(1, succeeded: true, now: at(90))
        scheduler.held = [llama: 3]
        return scheduler
    }

    let besideQueue: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b")]

    @Test func aRareModelsIdleCopyGivesWayToAQueueUntilItIsBack() throws {
        // qwen wanted once in 5 s (one request per ten of llama3's): b idles beside llama3's
        // queue. A copy of llama3 there loads (1.5 s) and serves 3.5 s before qwen's next
        // request, more than qwen's 2 s reload: it relieves the queue for those 3.5 s, not
        // only the two held behind, and pays no whole reload.
        let idle = queueBesideIdleCopy(qwenPerSecond: 0.2)
        let placement = idle.decide(llama, candidates: besideQueue, now: at(90.1), queuedBehind: 2)
        guard case .dispatch(let order) = placement else { Issue.record("expected a dispatch, got \(placement)"); return }
        let copy = try #require(order.first)
        #expect(copy.candidate.name == "b" && copy.victim == "qwen")
        // qwen's 2 s reload × (0.2 ÷ 2 requests a second).
        #expect(abs(copy.evictionPenalty - 0.2) < 0.02, "penalty \(copy.evictionPenalty)")
        #expect(abs(copy.queueRelief - 3.4) < 0.3, "relief \(copy.queueRelief)")
        // Nothing held for llama3: no queue beside b. The copy is optional, as before: a
        // whole reload, and the request waits for a's slot (0.4 s).
        var noQueue = idle
        noQueue.held = [:]
        let waits = noQueue.decide(llama, candidates: besideQueue, now: at(90.1), queuedBehind: 2)
        let optional = try #require(waits.estimates.first { $0.candidate.name == "b" })
        #expect(abs(optional.evictionPenalty - 2.0) < 1e-9)
        #expect(waits.estimates.first?.candidate.name == "a")
        // A request for qwen held too: b's copy is not idle, it is about to serve.
        var wanted = idle
        wanted.held = [llama: 3, qwen: 1]
        let kept = wanted.decide(llama, candidates: besideQueue, now: at(90.1), queuedBehind: 2)
        #expect(kept.estimates.first?.candidate.name == "a")
    }

    @Test func anIdleCopyStaysWhenItsModelIsBackBeforeTheCopyPays() throws {
        // qwen wanted once in 5 s, but it takes 4 s to reload: a copy of llama3 would serve
        // 3.5 s before qwen is back, less than that reload. With one request for llama3 held
        // the floor and the cap stay.
        var soon = queueBesideIdleCopy(qwenPerSecond: 0.2, qwenLoad: 4)
        soon.held = [llama: 1]
        let placement = soon.decide(llama, candidates: besideQueue, now: at(90.1))
        let copy = try #require(placement.estimates.first { $0.candidate.name == "b" })
        #expect(abs(copy.evictionPenalty - 4.0) < 1e-9, "penalty \(copy.evictionPenalty)")
        #expect(placement.estimates.first?.candidate.name == "a")
        // Two or more held (`backToAQueue`): b goes back to llama3's queue at once, however
        // soon qwen is back.
        soon.held = [llama: 3]
        let back = soon.decide(llama, candidates: besideQueue, now: at(90.1), queuedBehind: 2)
        guard case .dispatch(let order) = back else { Issue.record("expected a dispatch, got \(back)"); return }
        #expect(order.first?.candidate.name == "b" && order.first?.victim == "qwen")
    }

    @Test func anIdleCopyStaysWhenItsModelIsNotRareBesideTheQueue() throws {
        // qwen wanted once in 2.5 s, reloading in 1 s: a copy would serve 1 s before it is
        // back, as long as that reload; but qwen is wanted 0.2 times per request of llama3,
        // more than one in six: its users are too many to pay a reload each time.
        let wanted = queueBesideIdleCopy(qwenPerSecond: 0.4, qwenLoad: 1)
        let placement = wanted.decide(llama, candidates: besideQueue, now: at(90.1), queuedBehind: 2)
        let copy = try #require(placement.estimates.first { $0.candidate.name == "b" })
        #expect(abs(copy.evictionPenalty - 1.0) < 1e-9, "penalty \(copy.evictionPenalty)")
        #expect(placement.estimates.first?.candidate.name == "a")
    }
}
