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

    @Test func aRareLoadBesideAQueueWaitsForItsDeadline() throws {
        var scheduler = hotEverywhere(heldLlama: 2)
        scheduler.held[qwen] = 1
        // a could start qwen's load now, evicting llama3 (b and c keep copies) while two of
        // its requests are held: the load waits until qwen's oldest request would otherwise
        // pass its deadline. The deadline: qwen's load (1.5 s) + two reloads of llama3 (3 s)
        // = 4.5 s; the next chance is b or c freeing (their requests are overdue: a tenth of
        // a slot, 0.05 s); so due at 4.5 − 0.05 − 1.5 = 2.95 s of the oldest's wait. A second
        // request held does not make the batch sooner.
        #expect(abs(scheduler.batchDeadline(qwen, over: llama, on: "a") - 4.5) < 1e-9)
        scheduler.held[qwen] = 2
        let early = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 10, queuedBehind: 1,
                                     oldestWaiting: 2.9)
        guard case .hold(let order) = early else { Issue.record("expected a hold, got \(early)"); return }
        let load = try #require(order.first)
        #expect(load.candidate.name == "a" && load.victim == "llama3" && load.canStartNow)
        #expect(abs(load.batchWait - 2.95) < 1e-9, "batch wait \(load.batchWait)")
        #expect(load.awaitsBatch && load.awaitsPayment)
        #expect(early.reason.hasPrefix("held for a batch before evicting llama3: cold on a"))
        // Its deadline reached, the batch goes to a: both requests, first come first served
        // (no copy of qwen to wait for: the first in line takes the load).
        let due = scheduler.decide(qwen, candidates: fleet, now: at(61.05), heldWaiting: 10, queuedBehind: 1,
                                   oldestWaiting: 2.95)
        guard case .dispatch(let go) = due else { Issue.record("expected a dispatch, got \(due)"); return }
        #expect(go.first?.candidate.name == "a" && go.first?.awaitsBatch == false)
        #expect(scheduler.loadTaker(qwen, go, held: 2) == 0)
    }

    @Test func aRareBatchGoesWhenTheQueueRunsDry() throws {
        // Nothing held for llama3: a's slot would serve nobody else. qwen's request loads at
        // once, deadline or not, and owes no rent for the busy copy it takes.
        var scheduler = hotEverywhere(heldLlama: 0)
        scheduler.held[qwen] = 1
        let placement = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 0.1, oldestWaiting: 0.1)
        guard case .dispatch(let go) = placement else { Issue.record("expected a dispatch, got \(placement)"); return }
        let load = try #require(go.first)
        #expect(load.candidate.name == "a" && load.batchWait == 0 && !load.awaitsPayment && !load.victimSaturated)
        // One request for llama3 held again: the deferral is back.
        scheduler.held[llama] = 1
        let held = scheduler.decide(qwen, candidates: fleet, now: at(61), heldWaiting: 0.1, oldestWaiting: 0.1)
        #expect(held.estimates.first?.awaitsBatch == true)
    }

    @Test func aBatchOverALastCopysQueueStillStartsAtTwoRequests() throws {
        // Only a holds llama3 (b and c hold nothing and are not candidates): no other copy
        // stays, so the deadline rule does not apply; the batch waits two reloads of llama3
        // or a second request, as before.
        var scheduler = hotEverywhere(heldLlama: 2)
        scheduler.ended(1, now: at(60.5))
        scheduler.ended(2, now: at(60.5))
        for name in ["b", "c"] { scheduler.observed([], on: name, now: at(61)) }
        scheduler.held[qwen] = 1
        let one = scheduler.decide(qwen, candidates: [fleet[0]], now: at(61), heldWaiting: 10, oldestWaiting: 0.5)
        #expect(one.estimates.first.map { $0.awaitsBatch && abs($0.batchWait - 3.0) < 1e-9 } == true)
        scheduler.held[qwen] = 2
        let two = scheduler.decide(qwen, candidates: [fleet[0]], now: at(61), heldWaiting: 10, queuedBehind: 1,
                                   oldestWaiting: 0.5)
        #expect(two.estimates.first?.awaitsBatch == false)
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
        #expect(load.candidate.name == "a" && load.batchWait == 0 && !load.awaitsBatch && load.startsNow)
    }

    /// `hotEverywhere`, then a minute more in which llama3 is asked for every `llamaEvery`
    /// seconds and qwen every `qwenEvery` (on all three instances), and a holding qwen, idle:
    /// its batch is over.
    func afterABatch(llamaEvery: Double, qwenEvery: Double, heldLlama: Int) -> ResidencyScheduler {
        var scheduler = hotEverywhere(heldLlama: 0)
        var t = 60.0
        var nextQwen = 60.0
        while t < 120 {
            scheduler.requested(llama, offeredBy: fleet, now: at(t))
            if t >= nextQwen {
                scheduler.requested(qwen, offeredBy: fleet, now: at(t))
                nextQwen += qwenEvery
            }
            t += llamaEvery
        }
        scheduler.observed([.init(model: qwen, name: "qwen")], on: "a", now: at(120))
        scheduler.ended(1, now: at(120))
        scheduler.ended(2, now: at(120))
        scheduler.dispatched(5, model: llama, displayName: "llama3", to: "b", estimatedWait: 0, now: at(120))
        scheduler.firstByte(5, succeeded: true, now: at(120))
        scheduler.dispatched(6, model: llama, displayName: "llama3", to: "c", estimatedWait: 0, now: at(120))
        scheduler.firstByte(6, succeeded: true, now: at(120))
        scheduler.held = heldLlama > 0 ? [llama: heldLlama] : [:]
        return scheduler
    }

    @Test func theInstanceGoesBackToTheQueueAfterABatch() throws {
        // qwen wanted about once every 2 s (1/8 of llama3): expected back before a copy of
        // llama3 on a would have served one of qwen's reloads, so with one llama3 request
        // held, a keeps qwen (the request waits for b or c, 0.4 s away).
        let one = afterABatch(llamaEvery: 0.25, qwenEvery: 2, heldLlama: 1)
        let single = one.decide(llama, candidates: fleet, now: at(120.1))
        #expect(single.estimates.first?.candidate.name != "a")
        // Two held: the instance goes back to llama3 at once (a's copy evicts qwen).
        let two = afterABatch(llamaEvery: 0.25, qwenEvery: 2, heldLlama: 2)
        let back = two.decide(llama, candidates: fleet, now: at(120.1), queuedBehind: 1)
        guard case .dispatch(let go) = back else { Issue.record("expected a dispatch, got \(back)"); return }
        let copy = try #require(go.first)
        #expect(copy.candidate.name == "a" && copy.residency == .cold && copy.victim == "qwen")
        // Not while a request for qwen is held (its batch is not over), nor while a runs one.
        var waiting = two
        waiting.held[qwen] = 1
        #expect(waiting.decide(llama, candidates: fleet, now: at(120.1), queuedBehind: 1).estimates.first?.candidate.name != "a")
    }


    @Test func oneRareBatchFollowsAnother() throws {
        // a left llama3 for qwen's batch, which is over (a holds qwen, idle). mistral, as rare,
        // is held nowhere: its batch goes to a next, owing qwen's last copy no rent (going
        // back to llama3 first would cost llama3's reload and another eviction for mistral);
        // b and c, llama3's remaining copies, yield to a.
        var scheduler = afterABatch(llamaEvery: 0.25, qwenEvery: 2, heldLlama: 2)
        let mistral = ModelName.canonical("mistral")
        var t = 60.0
        while t < 120 {
            scheduler.requested(mistral, offeredBy: fleet, now: at(t))
            t += 2
        }
        scheduler.held[mistral] = 1
        let next = scheduler.decide(mistral, candidates: fleet, now: at(120.1), heldWaiting: 0.2, oldestWaiting: 0.2)
        guard case .dispatch(let go) = next else { Issue.record("expected a dispatch, got \(next)"); return }
        let load = try #require(go.first)
        #expect(load.candidate.name == "a" && load.victim == "qwen" && load.lastCopyRent == 0)
        #expect(go.dropFirst().allSatisfy { $0.yieldsToQueue })
        // While a request for qwen is held, its batch is not over: mistral rents qwen's last
        // copy (and yields to b and c's queue as before).
        var busy = scheduler
        busy.held[qwen] = 1
        let rents = busy.decide(mistral, candidates: fleet, now: at(120.1), heldWaiting: 0.2, oldestWaiting: 0.2)
        #expect(rents.estimates.first { $0.candidate.name == "a" }.map { $0.lastCopyRent > 0 } == true)
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
