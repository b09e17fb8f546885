import Testing
import OllaCore

/// A model that must load over another model's queue is served in batches, and a freed slot
/// goes to the model resident there while its requests are held (`weighBatch`), on an
/// injected clock: no sockets.
@Suite("Scheduler: batches before a load over a queue, the resident model's queue first")
struct SchedulerBatchTests {
    let t0 = ContinuousClock.now
    let llama = ModelName.canonical("llama3")
    let qwen = ModelName.canonical("qwen")

    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .schedulingSeconds(seconds) }

    /// Three instances with room for one model and one slot each, all holding llama3 (1.5 s
    /// loads, 0.5 s a request, wanted two requests a second); qwen (0.5 s a request, learned
    /// on an instance that held it before) is wanted once in 5 s and held nowhere. `a` is idle;
    /// `b` and `c` serve llama3. `heldLlama` requests for llama3 are held.
    func hotEverywhere(heldLlama: Int, settings: SchedulerSettings = .init()) -> ResidencyScheduler {
        var scheduler = ResidencyScheduler(settings: settings, instances: ["a", "b", "c"].map {
            .init(name: $0, numParallel: 1, maxLoadedModels: 1)
        })
        for name in ["a", "b", "c"] {
            scheduler.learn(llama, displayName: "llama3", on: name,
                            timings: .init(loadDuration: .milliseconds(1500), totalDuration: .seconds(2)),
                            observedSeconds: nil, now: t0)
        }
        scheduler.learn(qwen, displayName: "qwen", on: "a",
                        timings: .init(loadDuration: .milliseconds(1500), totalDuration: .seconds(2)),
                        observedSeconds: nil, now: t0)
        var t = 0.0
        while t < 60 {
            scheduler.requested(llama, now: at(t))
            if Int(t * 2) % 10 == 0 { scheduler.requested(qwen, now: at(t)) }
            t += 0.5
        }
        for name in ["a", "b", "c"] {
            scheduler.observed([.init(model: llama, name: "llama3")], on: name, now: at(60))
        }
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "b", estimatedWait: 0, now: at(60))
        scheduler.firstByte(1, succeeded: true, now: at(60))
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "c", estimatedWait: 0, now: at(60))
        scheduler.firstByte(2, succeeded: true, now: at(60))
        scheduler.held = heldLlama > 0 ? [llama: heldLlama] : [:]
        return scheduler
    }

    let fleet: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b"), .init(name: "c")]

    @Test func aLoadOverAQueueWaitsUntilItsOldestRequestHasWaitedTwoReloads() throws {
        var scheduler = hotEverywhere(heldLlama: 2)
        scheduler.held[qwen] = 1
        // a could start qwen's load now, evicting llama3 while two of its requests are held:
        // the load waits for a batch, two reloads of llama3 (3 s) of the oldest's wait. The
        // rent of the busy copy (what all of qwen's held requests waited) is paid already.
        let early = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 10, oldestWaiting: 2.9)
        guard case .hold(let order) = early else { Issue.record("expected a hold, got \(early)"); return }
        let load = try #require(order.first)
        #expect(load.candidate.name == "a" && load.victim == "llama3" && load.canStartNow)
        #expect(abs(load.batchWait - 3.0) < 1e-9, "batch wait \(load.batchWait)")
        #expect(load.awaitsBatch && load.awaitsPayment)
        #expect(early.reason.hasPrefix("held for a batch before evicting llama3: cold on a"))
        let due = scheduler.decide(qwen, candidates: fleet, now: at(61.1), heldWaiting: 10, oldestWaiting: 3.0)
        guard case .dispatch(let go) = due else { Issue.record("expected a dispatch, got \(due)"); return }
        #expect(go.first?.candidate.name == "a" && go.first?.awaitsBatch == false)
    }

    @Test func aSecondRequestHeldMakesTheBatchAtOnce() throws {
        var scheduler = hotEverywhere(heldLlama: 2)
        scheduler.held[qwen] = 2
        let two = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 10, queuedBehind: 1,
                                   oldestWaiting: 0.5)
        guard case .dispatch(let go) = two else { Issue.record("expected a dispatch, got \(two)"); return }
        #expect(go.first?.candidate.name == "a" && go.first?.batchWait == 0)
        // One alone waits.
        let one = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 10, oldestWaiting: 0.5)
        #expect(one.estimates.first?.awaitsBatch == true)
    }

    @Test func aModelWantedAlikeDoesNotWaitForABatch() throws {
        // qwen wanted as much as llama3 would be, not rare beside it: no batch.
        var scheduler = hotEverywhere(heldLlama: 2)
        var t = 60.0
        while t < 120 {
            scheduler.requested(qwen, now: at(t))
            scheduler.requested(qwen, now: at(t + 0.25))
            t += 0.5
        }
        scheduler.held[qwen] = 1
        let placement = scheduler.decide(qwen, candidates: fleet, now: at(120), heldWaiting: 10, oldestWaiting: 0)
        #expect(placement.estimates.allSatisfy { $0.batchWait == 0 })
    }

    @Test func noBatchWhenTheVictimHasNoQueue() throws {
        let scheduler = hotEverywhere(heldLlama: 0)
        let placement = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 10, oldestWaiting: 0)
        let load = try #require(placement.estimates.first)
        #expect(load.candidate.name == "a" && load.batchWait == 0 && !load.awaitsBatch)
    }

    @Test func batchMaxWaitBoundsTheBatch() throws {
        var scheduler = hotEverywhere(heldLlama: 2, settings: .init(batchMaxWait: .seconds(1)))
        scheduler.held[qwen] = 1
        let placement = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 10, oldestWaiting: 0.5)
        #expect(placement.estimates.first.map { abs($0.batchWait - 1.0) < 1e-9 } == true)
        // `0` turns batching off.
        var off = hotEverywhere(heldLlama: 2, settings: .init(batchMaxWait: .zero))
        off.held[qwen] = 1
        let at0 = off.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 10, oldestWaiting: 0)
        #expect(at0.estimates.first?.batchWait == 0)
    }

    @Test func aFreedSlotGoesToTheQueueOfTheModelResidentThere() throws {
        // qwen was loaded on a for its batch; one of its requests is still held. a's slot
        // frees, and the first in line overall is llama3's: a copy of llama3 on a (evicting
        // qwen's only copy) is not made while qwen's request waits there.
        var scheduler = hotEverywhere(heldLlama: 3)
        scheduler.observed([.init(model: qwen, name: "qwen")], on: "a", now: at(61))
        scheduler.held[qwen] = 1
        let hot = scheduler.decide(llama, candidates: fleet, now: at(61), queuedBehind: 2)
        guard case .hold(let order) = hot else { Issue.record("expected a hold, got \(hot)"); return }
        let copy = try #require(order.last)
        #expect(copy.candidate.name == "a" && copy.yieldsToQueue && !copy.startsNow)
        #expect(order.first?.candidate.name != "a")
        // qwen's request takes a's slot.
        let rare = scheduler.decide(qwen, candidates: fleet, now: at(61))
        guard case .dispatch(let go) = rare else { Issue.record("expected a dispatch, got \(rare)"); return }
        #expect(go.first?.candidate.name == "a" && go.first?.residency == .loaded)
        // Once nothing is held for qwen, the copy is weighed as before (it may be made).
        var emptied = scheduler
        emptied.held = [llama: 3]
        let after = emptied.decide(llama, candidates: fleet, now: at(61), queuedBehind: 2)
        #expect(after.estimates.allSatisfy { !$0.yieldsToQueue })
        // Nor is a model wanted alike a batch to finish first: qwen asked for as often as
        // llama3 since, its copy on a is weighed as before.
        var t = 61.0
        while t < 91 {
            scheduler.requested(qwen, now: at(t))
            scheduler.requested(llama, now: at(t))
            t += 0.5
        }
        let alike = scheduler.decide(llama, candidates: fleet, now: at(91), queuedBehind: 2)
        #expect(alike.estimates.allSatisfy { !$0.yieldsToQueue })
    }

    @Test func aQueueLosesOneInstanceAtATimeToBatches() throws {
        // a serves mistral's batch (rare too); b and c hold llama3, b just freed. qwen's oldest
        // request has waited its batch out, but b is llama3's second-to-last copy while a, one
        // of llama3's homes, is off it already: qwen waits for a, not b.
        var scheduler = hotEverywhere(heldLlama: 2)
        let mistral = ModelName.canonical("mistral")
        scheduler.requested(llama, offeredBy: fleet, now: at(60))
        scheduler.requested(mistral, offeredBy: fleet, now: at(60))
        scheduler.observed([.init(model: mistral, name: "mistral")], on: "a", now: at(60))
        scheduler.dispatched(3, model: mistral, displayName: "mistral", to: "a", estimatedWait: 0, now: at(60))
        scheduler.firstByte(3, succeeded: true, now: at(60))
        scheduler.ended(1, now: at(60.5))
        scheduler.held[qwen] = 1
        let placement = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 3.5, oldestWaiting: 3.5)
        guard case .hold(let order) = placement else { Issue.record("expected a hold, got \(placement)"); return }
        let b = try #require(order.first { $0.candidate.name == "b" })
        #expect(b.yieldsToQueue && b.canStartNow && !b.startsNow)
        #expect(order.first?.candidate.name == "a")
        // Past `batch_max_wait` (10 s) the bound wins: b may go.
        let late = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 10, oldestWaiting: 10)
        #expect(late.estimates.allSatisfy { !$0.yieldsToQueue })
    }
}
