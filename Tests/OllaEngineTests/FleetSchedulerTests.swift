import Synchronization
import Testing
@testable import OllaCore
@testable import OllaEngine

/// Late binding as the engine runs it: `FleetScheduler` with its hold queue, fed dispatches
/// and attempt ends on an injected clock, releasing held requests to a recording stand-in
/// for the exchange. No sockets, no sleeping.
@Suite("Fleet scheduler: late binding")
struct FleetSchedulerTests {
    let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .schedulingSeconds(seconds) }

    /// A held request that records what the scheduler did with it.
    final class Recorder: HeldRequest {
        /// The instances it may go to (a test may make one routable later).
        let candidates: Mutex<[SchedulingCandidate]>
        let released = Mutex<[String]>([])
        let refused = Mutex<[String]>([])
        init(_ candidates: [SchedulingCandidate]) { self.candidates = Mutex(candidates) }
        func holdCandidates(model: String) -> [SchedulingCandidate] { candidates.withLock { $0 } }
        func release(_ placement: [PlacementEstimate], reason: String) {
            released.withLock { $0.append(placement[0].candidate.name) }
        }
        func refuse(_ error: ProxyError, retryAfterSeconds: Int) {
            refused.withLock { $0.append(error.message) }
        }
    }

    /// Instances with one slot and one resident model each, loads learned at 1 s.
    func scheduler(_ specs: [(String, Int)]) -> FleetScheduler {
        let endpoints = specs.map { name, priority -> EndpointConfig in
            var endpoint = EndpointConfig(name: name, url: EndpointURL(scheme: .http, host: "127.0.0.1", port: 1),
                                          priority: priority)
            endpoint.numParallel = 1
            endpoint.maxLoadedModels = 1
            return endpoint
        }
        return FleetScheduler(settings: .init(defaultLoadTime: .seconds(1)), endpoints: endpoints)
    }

    func dispatchedTo(_ admission: FleetScheduler.Admission) -> String? {
        guard case .dispatch(let placement) = admission else { return nil }
        return placement.estimates.first?.candidate.name
    }

    @Test func aHeldRequestGoesToTheFirstHolderThatFrees() {
        let fleet = scheduler([("a", 100), ("b", 100)])
        let candidates: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b")]
        for name in ["a", "b"] { fleet.observed([loaded("llama3:latest")], on: name, now: t0) }
        // Two requests take both slots.
        #expect(dispatchedTo(fleet.admit(1, model: "llama3", candidates: candidates, now: t0)) == "a")
        let busyA = candidates.map { $0.name == "a" ? SchedulingCandidate(name: "a", inFlight: 1) : $0 }
        #expect(dispatchedTo(fleet.admit(2, model: "llama3", candidates: busyA, now: t0)) == "b")
        // The third cannot start anywhere: held in Olla, not sent into either queue (either
        // slot may free first).
        guard case .held = fleet.admit(3, model: "llama3", candidates: candidates, now: at(0.1)) else {
            Issue.record("expected the third request to be held"); return
        }
        let held = Recorder(candidates)
        fleet.attach(3, model: "llama3", request: held, now: at(0.1))
        fleet.pump(now: at(0.5))
        #expect(held.released.withLock { $0 }.isEmpty, "both slots are still busy")
        // b's request ends first: the held request goes there at once, with no timer tick.
        fleet.attemptEnded(2, now: at(0.6))
        #expect(held.released.withLock { $0 } == ["b"])
        #expect(fleet.heldCounts.isEmpty)
        #expect(fleet.snapshot.instances["b"]?.runningCount(ModelName.canonical("llama3")) == 1)
    }

    @Test func aRequestBehindALoadJoinsThatQueueWhenNoInstanceOfItsTierCouldStartItSooner() {
        let fleet = scheduler([("fast", 100), ("slow", 10)])
        let candidates: [SchedulingCandidate] = [.init(name: "fast", priority: 100), .init(name: "slow", priority: 10)]
        #expect(dispatchedTo(fleet.admit(1, model: "llama3", candidates: candidates, now: t0)) == "fast")
        // llama3 is loading on fast, its one slot taken: the next request would wait for the
        // load and the first generation. Nothing in fast's tier could start it sooner, so it
        // goes into fast's queue now instead of a round trip after the first one ends.
        let second = fleet.admit(2, model: "llama3", candidates: candidates, now: at(0.2))
        #expect(dispatchedTo(second) == "fast")
        if case .dispatch(let placement) = second { #expect(placement.reason.hasPrefix("loading on fast")) }
        #expect(fleet.heldCounts.isEmpty)
        // /api/ps lists a model from the start of its load: the load is over only when the
        // request that loads it is answered, so the next request joins that queue too.
        fleet.observed([loaded("llama3:latest")], on: "fast", now: at(0.3))
        #expect(dispatchedTo(fleet.admit(3, model: "llama3", candidates: candidates, now: at(0.4))) == "fast")
        // Once loaded, a request waiting for its busy slot is held in Olla's queue (bounded by
        // queue_length and queue_timeout): a slot may free any moment.
        fleet.headReceived(1, endpoint: "fast", status: 200, now: at(1.1))
        guard case .held = fleet.admit(4, model: "llama3", candidates: candidates, now: at(1.2)) else {
            Issue.record("expected a request for a busy loaded slot to be held"); return
        }
    }

    /// `completed` is `leave` and `learn` in one step: the request leaves the hold queue (a
    /// held one whose client gave up while its lesson came in) and the lesson is learned as
    /// `learn` learns it.
    @Test func aCompletedRequestLeavesAndTeachesInOneStep() {
        let only: [SchedulingCandidate] = [.init(name: "a")]
        let timings = GenerationTimings(loadDuration: .zero, totalDuration: .milliseconds(700))
        let fleet = scheduler([("a", 100)]), twin = scheduler([("a", 100)])
        var recorders: [Recorder] = []
        for scheduler in [fleet, twin] {
            scheduler.observed([loaded("llama3:latest")], on: "a", now: t0)
            #expect(dispatchedTo(scheduler.admit(1, model: "llama3", candidates: only, now: t0)) == "a")
            guard case .held = scheduler.admit(2, model: "llama3", candidates: only, now: at(0.1)) else {
                Issue.record("expected the second request to be held"); return
            }
            recorders.append(Recorder(only))
            scheduler.attach(2, model: "llama3", request: recorders.last!, now: at(0.1))
            #expect(scheduler.holdsRequests)
        }
        fleet.completed(2, learning: "llama3", on: "a", timings: timings, observedSeconds: 0.6, expectedColdLoad: false,
                        now: at(0.2))
        twin.leave(2)
        twin.learn("llama3", on: "a", timings: timings, observedSeconds: 0.6, expectedColdLoad: false, now: at(0.2))
        for scheduler in [fleet, twin] {
            #expect(!scheduler.holdsRequests)
            #expect(scheduler.heldCounts.isEmpty)
            scheduler.attemptEnded(1, now: at(0.9))
        }
        let key = ModelName.canonical("llama3")
        #expect(fleet.snapshot.instances["a"]?.costs[key] != nil)
        #expect(fleet.snapshot.instances["a"]?.costs == twin.snapshot.instances["a"]?.costs)
        #expect(fleet.snapshot.generationTime(key, on: "a") == twin.snapshot.generationTime(key, on: "a"))
        #expect(recorders.allSatisfy { $0.released.withLock { $0 }.isEmpty }, "a request that left is never released")
    }

    /// `leave` skips the lock when nothing is held (`anyHeld`): the flag follows the queue
    /// through every change, so a request held after the queue ran dry still leaves it.
    @Test func aRequestHeldAfterTheQueueRanDryStillLeavesIt() {
        let only: [SchedulingCandidate] = [.init(name: "a")]
        let fleet = scheduler([("a", 100)])
        fleet.observed([loaded("llama3:latest")], on: "a", now: t0)
        #expect(dispatchedTo(fleet.admit(1, model: "llama3", candidates: only, now: t0)) == "a")
        fleet.leave(1)  // never held: nothing to remove
        guard case .held = fleet.admit(2, model: "llama3", candidates: only, now: at(0.1)) else {
            Issue.record("expected the second request to be held"); return
        }
        let first = Recorder(only)
        fleet.attach(2, model: "llama3", request: first, now: at(0.1))
        // The slot frees: the pump releases request 2 and the queue runs dry.
        fleet.attemptEnded(1, now: at(0.5))
        #expect(first.released.withLock { $0 } == ["a"])
        #expect(!fleet.holdsRequests)
        fleet.leave(2)
        // Request 3 is held behind 2 and leaves before it is attached (its client hung up).
        guard case .held = fleet.admit(3, model: "llama3", candidates: only, now: at(0.6)) else {
            Issue.record("expected the third request to be held"); return
        }
        #expect(fleet.heldCounts == [ModelName.canonical("llama3"): 1])
        fleet.leave(3)
        #expect(fleet.heldCounts.isEmpty)
        // Request 4 is held, attached, and leaves before a slot frees.
        guard case .held = fleet.admit(4, model: "llama3", candidates: only, now: at(0.7)) else {
            Issue.record("expected the fourth request to be held"); return
        }
        let second = Recorder(only)
        fleet.attach(4, model: "llama3", request: second, now: at(0.7))
        fleet.leave(4)
        #expect(fleet.heldCounts.isEmpty)
        #expect(!fleet.holdsRequests)
        fleet.attemptEnded(2, now: at(0.9))
        #expect(second.released.withLock { $0 }.isEmpty, "a request that left is never released")
    }

    @Test func aNewCopyGoesToTheHeldRequestWhoseTurnComesAfterItsLoad() {
        let fleet = scheduler([("a", 100), ("b", 100), ("c", 100)])
        let all: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b"), .init(name: "c")]
        for name in ["a", "b"] { fleet.observed([loaded("llama3:latest")], on: name, now: t0) }
        fleet.learn("llama3", on: "a", timings: GenerationTimings(loadDuration: .zero, totalDuration: .milliseconds(600)),
                    observedSeconds: nil, expectedColdLoad: false, now: t0)
        #expect(dispatchedTo(fleet.admit(1, model: "llama3", candidates: [.init(name: "a")], now: t0)) == "a")
        #expect(dispatchedTo(fleet.admit(2, model: "llama3", candidates: [.init(name: "b")], now: t0)) == "b")
        // Four more arrive while c is not routable (its probe has not answered yet): held.
        var recorders: [UInt64: Recorder] = [:]
        for id in UInt64(3)...6 {
            let onlyAB: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b")]
            guard case .held = fleet.admit(id, model: "llama3", candidates: onlyAB, now: at(0.05)) else {
                Issue.record("expected request \(id) held"); return
            }
            recorders[id] = Recorder(onlyAB)
            fleet.attach(id, model: "llama3", request: recorders[id]!, now: at(0.05))
        }
        #expect(recorders.values.allSatisfy { $0.released.withLock { $0 }.isEmpty })
        // At 0.1 s c is routable and can load a copy (1 s). a and b free at 0.6 s and again at
        // 1.2 s: the first two in line start there sooner; the third's turn comes after the
        // load, so it takes c.
        for recorder in recorders.values { recorder.candidates.withLock { $0 = all } }
        fleet.pump(now: at(0.1))
        let released = (3...6).map { recorders[UInt64($0)]!.released.withLock { $0 } }
        #expect(released == [[], [], ["c"], []])
        #expect(fleet.heldCounts == [ModelName.canonical("llama3"): 3])
        // The first in line takes the first slot that frees.
        fleet.attemptEnded(1, now: at(0.6))
        #expect(recorders[3]!.released.withLock { $0 } == ["a"])
    }

    @Test func aRequestFindsTheQueueAsItIsNotAsTheLastDecisionLeftIt() {
        let fleet = scheduler([("a", 100)])
        fleet.observed([loaded("llama3:latest")], on: "a", now: t0)
        let llama = ModelName.canonical("llama3")
        #expect(dispatchedTo(fleet.admit(1, model: "llama3", candidates: [.init(name: "a")], now: t0)) == "a")
        let second = Recorder([.init(name: "a")])
        guard case .held = fleet.admit(2, model: "llama3", candidates: [.init(name: "a")], now: at(0.1)) else {
            Issue.record("expected a hold"); return
        }
        fleet.attach(2, model: "llama3", request: second, now: at(0.1))
        // The slot frees and the held request goes: nothing is held any more.
        fleet.attemptEnded(1, now: at(1))
        #expect(second.released.withLock { $0 } == ["a"])
        fleet.attemptEnded(2, now: at(2))
        // The next request finds no queue (the count the last pump left behind said one), so
        // no request of llama3 has met one yet.
        _ = fleet.admit(3, model: "llama3", candidates: [.init(name: "a")], now: at(2.1))
        #expect(fleet.snapshot.demand.queueFound(llama) == 0)
    }

    @Test func aFreeSlotOfTheModelIsTakenRatherThanWaitingForABetterRankedLoad() {
        let free = PlacementEstimate(candidate: .init(name: "a"), residency: .loaded, queueWait: 0, loadTime: 0,
                                     canStartNow: true)
        var rent = PlacementEstimate(candidate: .init(name: "b"), residency: .cold, queueWait: 0, loadTime: 1,
                                     evictionPenalty: 0.2, victim: "qwen", canStartNow: true)
        rent.lastCopyRent = 1.5  // the load evicts a wanted last copy: it waits for its rent
        rent.queueRelief = 2      // and ranks first for the queue it would relieve
        #expect(Placement.hold([rent, free]).takingAFreeSlot() == .dispatch([free, rent]))
        // A free slot in a lower tier does not count, nor does a cold instance that could load now.
        var lower = free
        lower.candidate.priority = 10
        #expect(Placement.hold([rent, lower]).takingAFreeSlot() == .hold([rent, lower]))
        let cold = PlacementEstimate(candidate: .init(name: "c"), residency: .cold, queueWait: 0, loadTime: 1,
                                     canStartNow: true)
        #expect(Placement.hold([rent, cold]).takingAFreeSlot() == .hold([rent, cold]))
    }

    func loaded(_ name: String) -> LoadedModel {
        LoadedModel(name: name, digest: nil, size: nil, sizeVRAM: nil, expiresAt: nil, contextLength: nil, raw: .null)
    }

    @Test func aRequestBehindALoadStaysHeldWhileAnotherHolderOfItsTierMayFreeFirst() {
        let fleet = scheduler([("a", 100), ("b", 100)])
        // llama3 starts loading on a (held nowhere yet), and b turns out to hold it too (it
        // was loaded there by someone else): request 2 takes b's slot.
        #expect(dispatchedTo(fleet.admit(1, model: "llama3", candidates: [.init(name: "a")], now: t0)) == "a")
        fleet.observed([loaded("llama3:latest")], on: "b", now: at(0.1))
        #expect(dispatchedTo(fleet.admit(2, model: "llama3", candidates: [.init(name: "b")], now: at(0.1))) == "b")
        // At 0.3 s a is still loading with its one slot taken, and b is busy: b may free any
        // moment, so the third request waits in Olla for whichever frees first.
        let third = fleet.admit(3, model: "llama3", candidates: [.init(name: "a", inFlight: 1), .init(name: "b", inFlight: 1)],
                                now: at(0.3))
        guard case .held(let placement) = third else { Issue.record("expected a hold, got \(third)"); return }
        #expect(Set(placement.estimates.map(\.residency)) == [.loading, .loaded])
    }

    /// Bench (c), seed 5 (2026-12-01 14:16): a held llama3 request waited 1.4 s while `fast`'s
    /// llama3 slot was free, because qwen was loading there and any load was taken to hold up
    /// every request behind it. In Ollama (and FleetOllama) the request that causes a load does
    /// not hold up the line; only a further request for the loading model does.
    @Test func aFreedSlotBesideAnotherModelsLoadStartsTheHeldRequest() {
        let endpoints = [("fast", 100), ("slow", 10)].map { name, priority -> EndpointConfig in
            var endpoint = EndpointConfig(name: name, url: EndpointURL(scheme: .http, host: "127.0.0.1", port: 1),
                                          priority: priority)
            endpoint.numParallel = 1
            endpoint.maxLoadedModels = 2
            return endpoint
        }
        let fleet = FleetScheduler(settings: .init(defaultLoadTime: .seconds(1)), endpoints: endpoints)
        let both: [SchedulingCandidate] = [.init(name: "fast", priority: 100), .init(name: "slow", priority: 10)]
        fleet.observed([loaded("llama3:latest")], on: "fast", now: t0)
        fleet.observed([], on: "slow", now: t0)
        #expect(dispatchedTo(fleet.admit(1, model: "llama3", candidates: both, now: t0)) == "fast")
        fleet.headReceived(1, endpoint: "fast", status: 200, now: at(0.07))
        // The second llama3 request finds fast's one slot taken: held (slow would load for ~1 s).
        guard case .held = fleet.admit(2, model: "llama3", candidates: both, now: at(0.1)) else {
            Issue.record("expected the second llama3 request to be held"); return
        }
        let held = Recorder(both)
        fleet.attach(2, model: "llama3", request: held, now: at(0.1))
        // qwen is cold: it loads on fast (room for two models) from 0.2 s, ready ~1.2 s.
        #expect(dispatchedTo(fleet.admit(3, model: "qwen", candidates: both, now: at(0.2))) == "fast")
        #expect(held.released.withLock { $0 }.isEmpty)
        // llama3's slot frees at 0.5 s, mid-load: nothing waits on qwen's load, so Ollama admits
        // llama3 at once, and so must Olla.
        fleet.attemptEnded(1, now: at(0.5))
        #expect(held.released.withLock { $0 } == ["fast"])
        // A second qwen request waits on the load, and everything behind it with it: the next
        // llama3 request, with its slot free again, is held until the load ends.
        fleet.attemptEnded(2, now: at(0.6))
        #expect(dispatchedTo(fleet.admit(4, model: "qwen", candidates: [.init(name: "fast", priority: 100)],
                                         now: at(0.7))) == "fast")
        guard case .held = fleet.admit(5, model: "llama3", candidates: both, now: at(0.8)) else {
            Issue.record("expected llama3 held behind the request waiting on qwen's load"); return
        }
        let behind = Recorder(both)
        fleet.attach(5, model: "llama3", request: behind, now: at(0.8))
        fleet.pump(now: at(1.0))
        #expect(behind.released.withLock { $0 }.isEmpty)
        // The load ends (qwen's first byte): the line moves, and the held request goes.
        fleet.headReceived(3, endpoint: "fast", status: 200, now: at(1.25))
        #expect(behind.released.withLock { $0 } == ["fast"])
    }
}
