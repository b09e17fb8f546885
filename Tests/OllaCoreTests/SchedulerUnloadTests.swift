import Testing
import OllaCore

/// Olla choosing what a load evicts (`ResidencyScheduler+Unload.swift`): when Ollama's own
/// victim (its least recently used idle model) is one the placement plan keeps, or is wanted
/// clearly more than another idle model there, Olla unloads that other one, waits for the
/// answer, then loads. Injected clock, no sockets.
@Suite("Scheduler: Olla unloads the plan's victim")
struct SchedulerUnloadTests {
    let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .schedulingSeconds(seconds) }

    /// docs/routing.md's plan example (`PlacementPlanTests.turns`): gpu-d (room for two)
    /// keeps qwen2.5 and lets gemma and phi3 take turns; it holds qwen2.5 and phi3 — but
    /// here qwen2.5 is the one idle longest, so Ollama would evict it for gemma.
    func fleet(unloadVictims: Bool = true) -> (ResidencyScheduler, ContinuousClock.Instant) {
        PlanExampleFleet.scheduler(t0: t0, unloadVictims: unloadVictims, qwenExpiresIn: .seconds(200), phi3ExpiresIn: .seconds(300))
    }

    let gemma = "gemma:latest"
    let onD: [SchedulingCandidate] = [.init(name: "gpu-d")]

    @Test func theUnplannedModelIsUnloadedFirstAndTheKeptOneStays() throws {
        var (scheduler, now) = fleet()
        #expect(scheduler.instances["gpu-d"]?.predictedVictim(now: now, sparing: gemma) == "qwen2.5:latest")
        // Olla takes phi3 instead (its turn beside kept qwen2.5: 1.5 × 4/6 = 1.0 s, no rent),
        // and holds the request until the unload is answered.
        let first = scheduler.decide(gemma, candidates: onD, now: now)
        guard case .hold(let order) = first else { Issue.record("expected a hold, got \(first)"); return }
        let best = try #require(order.first)
        #expect(best.victim == "phi3" && best.spared == "qwen2.5" && best.unloadsVictim && best.ordersUnload)
        #expect(abs(best.cost - 2.5) < 0.001 && best.lastCopyRent == 0)
        #expect(first.reason == "held until gpu-d has unloaded phi3: cold on gpu-d ~1.5 s, unloads phi3 (not qwen2.5)")

        let ordered = scheduler.orderUnload(first, for: gemma, now: now)
        let unload = try #require(ordered)
        #expect(unload == UnloadOrder(instance: "gpu-d", model: "phi3", forModel: gemma))
        let d = try #require(scheduler.instances["gpu-d"])
        #expect(d.unloadsSent == 1 && !d.holds("phi3:latest") && d.holds("qwen2.5:latest") && d.awaitsUnload(now: now))
        // Until the answer the load waits; no second unload is ordered meanwhile.
        let waiting = scheduler.decide(gemma, candidates: onD, now: at(600.01))
        guard case .hold(let still) = waiting else { Issue.record("expected a hold, got \(waiting)"); return }
        #expect(still.first?.victim == nil && still.first?.unloadsVictim == false)
        let again = scheduler.orderUnload(waiting, for: gemma, now: at(600.01))
        #expect(again == nil)
        #expect(waiting.reason == "held for a free slot: cold on gpu-d ~1.5 s, after unloading phi3")

        scheduler.unloadAnswered(unload, succeeded: true, now: at(600.02))
        let go = scheduler.decide(gemma, candidates: onD, now: at(600.02))
        guard case .dispatch(let placed) = go else { Issue.record("expected a dispatch, got \(go)"); return }
        #expect(placed.first?.victim == nil && go.reason == "cold on gpu-d ~1.5 s, after unloading phi3")
        let evicted = scheduler.dispatched(1, model: gemma, displayName: "gemma", to: "gpu-d", estimatedWait: 1.5, now: at(600.02))
        #expect(evicted == nil)
        let after = try #require(scheduler.instances["gpu-d"])
        #expect(Set(after.models.keys) == ["qwen2.5:latest", gemma] && after.roomMadeBy == nil)
    }

    @Test func ofTwoTurnsTheLeastWantedGoes() throws {
        // gpu-d holds gemma (wanted 6, idle longest) and phi3 (wanted 4), both taking turns;
        // qwen2.5 asks for room. Ollama would evict gemma; Olla unloads phi3: under
        // independent requests the model wanted least is the one least likely back soon.
        var (scheduler, now) = fleet()
        scheduler.observed([.init(model: "gemma:latest", name: "gemma", expiresIn: .seconds(200)),
                            .init(model: "phi3:latest", name: "phi3", expiresIn: .seconds(300))], on: "gpu-d", now: now)
        let placement = scheduler.decide("qwen2.5:latest", candidates: onD, now: now)
        let best = try #require(placement.estimates.first)
        #expect(best.victim == "phi3" && best.spared == "gemma" && best.ordersUnload)
        // Wanted nearly as much (within `leastWantedMargin`): Ollama's choice stands.
        for _ in 0..<1 { scheduler.requested("phi3:latest", now: now) }
        let close = scheduler.decide("qwen2.5:latest", candidates: onD, now: now)
        #expect(close.estimates.first?.victim == "gemma" && close.estimates.first?.unloadsVictim == false)
    }

    @Test func turnedOffOllamaChoosesAsBefore() {
        // `unload_victims: false`: the load evicts qwen2.5, kept there: at least a reload, and rent.
        let (scheduler, now) = fleet(unloadVictims: false)
        let placement = scheduler.decide(gemma, candidates: onD, now: now)
        guard case .hold(let order) = placement else { Issue.record("expected a hold, got \(placement)"); return }
        #expect(order.first?.victim == "qwen2.5" && order.first?.unloadsVictim == false && order.first?.awaitsPayment == true)
    }

    @Test func aModelWithARequestInFlightOrHeldIsNeverUnloaded() {
        // phi3 running a request of Olla's: it is not idle, and Ollama's victim qwen2.5 is the
        // only idle one; nothing to choose.
        var (scheduler, now) = fleet()
        scheduler.dispatched(7, model: "phi3:latest", displayName: "phi3", to: "gpu-d", estimatedWait: 0, now: now)
        var placement = scheduler.decide(gemma, candidates: onD, now: now)
        #expect(placement.estimates.first?.unloadsVictim == false && placement.estimates.first?.victim == "qwen2.5")
        var ordered = scheduler.orderUnload(placement, for: gemma, now: now)
        #expect(ordered == nil)

        // phi3 idle but a request for it held in Olla: it would start on phi3 at once.
        (scheduler, now) = fleet()
        scheduler.held = ["phi3:latest": 1]
        placement = scheduler.decide(gemma, candidates: onD, now: now)
        #expect(placement.estimates.first?.unloadsVictim == false)

        // Chosen, then a request for phi3 is sent before the order is taken: no unload.
        (scheduler, now) = fleet()
        placement = scheduler.decide(gemma, candidates: onD, now: now)
        #expect(placement.estimates.first?.ordersUnload == true)
        scheduler.dispatched(8, model: "phi3:latest", displayName: "phi3", to: "gpu-d", estimatedWait: 0, now: now)
        ordered = scheduler.orderUnload(placement, for: gemma, now: now)
        #expect(ordered == nil)
        #expect(scheduler.instances["gpu-d"]?.unloadsSent == 0)
    }

    @Test func aPollThatRacedTheUnloadDoesNotBringTheModelBack() throws {
        var (scheduler, now) = fleet()
        let first = scheduler.decide(gemma, candidates: onD, now: now)
        let ordered = scheduler.orderUnload(first, for: gemma, now: now)
        let unload = try #require(ordered)
        // Answered before the unload arrived (or while Ollama still unloads it): phi3 listed.
        let stale: [InstanceResidency.Listed] = [.init(model: "qwen2.5:latest", name: "qwen2.5", expiresIn: .seconds(200)),
                                                 .init(model: "phi3:latest", name: "phi3", expiresIn: .seconds(300))]
        scheduler.observed(stale, on: "gpu-d", now: at(600.01))
        scheduler.unloadAnswered(unload, succeeded: true, now: at(600.02))
        #expect(scheduler.instances["gpu-d"]?.holds("phi3:latest") == false)
        let go = scheduler.decide(gemma, candidates: onD, now: at(600.02))
        guard case .dispatch = go else { Issue.record("expected a dispatch, got \(go)"); return }
        // Listed again past the grace: the poll is believed (Ollama kept it after all).
        scheduler.observed(stale, on: "gpu-d", now: at(602.1))
        #expect(scheduler.instances["gpu-d"]?.holds("phi3:latest") == true)
    }

    @Test func aRefusedUnloadPausesUnloadsThere() throws {
        var (scheduler, now) = fleet()
        let first = scheduler.decide(gemma, candidates: onD, now: now)
        let ordered = scheduler.orderUnload(first, for: gemma, now: now)
        let unload = try #require(ordered)
        scheduler.unloadAnswered(unload, succeeded: false, now: at(600.1))
        #expect(scheduler.instances["gpu-d"]?.roomMadeBy == nil)
        // The next poll still lists phi3: Ollama chooses again for `unloadPause`.
        scheduler.observed([.init(model: "qwen2.5:latest", name: "qwen2.5", expiresIn: .seconds(200)),
                            .init(model: "phi3:latest", name: "phi3", expiresIn: .seconds(300))], on: "gpu-d", now: at(601))
        #expect(scheduler.decide(gemma, candidates: onD, now: at(601)).estimates.first?.unloadsVictim == false)
        #expect(scheduler.decide(gemma, candidates: onD, now: at(631)).estimates.first?.unloadsVictim == true)
    }

    @Test func anUnansweredUnloadHoldsLoadsOnlyForItsBound() throws {
        var (scheduler, now) = fleet()
        let first = scheduler.decide(gemma, candidates: onD, now: now)
        let ordered = scheduler.orderUnload(first, for: gemma, now: now)
        #expect(ordered != nil)
        #expect(scheduler.decide(gemma, candidates: onD, now: at(604)).estimates.first?.canStartNow == false)
        let late = scheduler.decide(gemma, candidates: onD, now: at(605.1))
        guard case .dispatch = late else { Issue.record("expected a dispatch, got \(late)"); return }
    }
}
