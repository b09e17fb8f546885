import Testing
import OllaCore

/// The scheduler keeps its instances in configuration order and finds one by a candidate's
/// `slot` (its position in the routing snapshot) when that slot holds its name, else by
/// name: decisions and events are the same either way, and across a reload that moves,
/// removes or repeats instances.
@Suite("Scheduler: instances by slot")
struct SchedulerSlotTests {
    let t0 = ContinuousClock.now
    let llama = ModelName.canonical("llama3")

    func scheduler(_ names: [String]) -> ResidencyScheduler {
        ResidencyScheduler(settings: .init(defaultLoadTime: .seconds(2)), instances: names.map { .init(name: $0, numParallel: 1) })
    }

    @Test func aSlotIsUsedOnlyWhenItHoldsTheName() {
        let s = scheduler(["a", "b", "c"])
        #expect(s.fleet.map(\.name) == ["a", "b", "c"])
        #expect(s.position(of: "b") == 1)
        #expect(s.position(of: "b", slot: 1) == 1)
        #expect(s.position(of: "b", slot: 2) == 1)    // another instance's slot: found by name
        #expect(s.position(of: "b", slot: 7) == 1)    // out of range
        #expect(s.position(of: "b", slot: -1) == 1)
        #expect(s.position(of: "zz", slot: 0) == nil)
        #expect(s.instance(named: "c")?.name == "c")
        #expect(s.instances.keys.sorted() == ["a", "b", "c"])
    }

    /// A small fleet is searched by name, a large one looked up by hash: the same positions,
    /// also for names spelled in their own storage and after a reload that repeats a name.
    @Test func aNameIsFoundAlikeInSmallAndLargeFleets() {
        for size in [1, 3, 8, 9, 20] {  // searched up to 8 instances, hashed beyond
            let names = (0..<size).map { "instance-\($0)" }
            var s = scheduler(names)
            for (at, name) in names.enumerated() {
                #expect(s.position(of: String(name.utf8.map { Character(UnicodeScalar($0)) })) == at)
            }
            #expect(s.position(of: "instance-") == nil)
            #expect(s.position(of: "") == nil)
            // Repeated and reordered: the last one of a name wins, at its first place.
            s.configure((names.reversed() + [names[0]]).map { ResidencyScheduler.InstanceConfig(name: $0, numParallel: 1) })
            #expect(s.position(of: names[0]) == size - 1)
            #expect(s.fleet.count == size)
        }
    }

    @Test func decisionsAreTheSameWithAndWithoutSlots() {
        var s = scheduler(["a", "b", "c"])
        s.dispatched(1, model: llama, displayName: "llama3", to: "b", estimatedWait: 0, now: t0)
        s.firstByte(1, succeeded: true, now: t0 + .seconds(3))
        let names = ["a", "b", "c"]
        let plain = names.map { SchedulingCandidate(name: $0) }
        let slotted = names.enumerated().map { SchedulingCandidate(name: $1, slot: $0) }
        let stale = names.enumerated().map { SchedulingCandidate(name: $1, slot: 2 - $0) }
        let now = t0 + .seconds(4)
        let expected = s.decide(llama, candidates: plain, now: now)
        #expect(s.decide(llama, candidates: slotted, now: now) == expected)
        #expect(s.decide(llama, candidates: stale, now: now) == expected)
        #expect(s.decide(llama, candidates: [slotted[1]], now: now) == s.decide(llama, candidates: [plain[1]], now: now))
        #expect(s.estimate(llama, on: slotted[1], now: now) == s.estimate(llama, on: plain[1], now: now))
        #expect(SchedulingCandidate(name: "a", slot: 0) == SchedulingCandidate(name: "a"))
    }

    @Test func eventsFindTheirInstanceBySlotOrByName() {
        var bySlot = scheduler(["a", "b"]), byName = scheduler(["a", "b"])
        bySlot.dispatched(1, model: llama, displayName: "llama3", to: "b", slot: 1, estimatedWait: 0, now: t0)
        byName.dispatched(1, model: llama, displayName: "llama3", to: "b", estimatedWait: 0, now: t0)
        #expect(bySlot == byName)
        // A slot of another instance is not trusted.
        bySlot.dispatched(2, model: llama, displayName: "llama3", to: "a", slot: 1, estimatedWait: 0, now: t0)
        byName.dispatched(2, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: t0)
        #expect(bySlot == byName)
        #expect(bySlot.placement(of: 2) == "a")
        #expect(bySlot.instances["a"]?.running[2] != nil)
    }

    @Test func aReloadKeepsRunningRequestsWhereTheyRun() {
        var s = scheduler(["a", "b", "c"])
        s.dispatched(1, model: llama, displayName: "llama3", to: "b", estimatedWait: 0, now: t0)
        s.dispatched(2, model: llama, displayName: "llama3", to: "c", estimatedWait: 0, now: t0)
        s.dispatched(3, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: t0)
        // Reordered, "a" removed, "d" added, "b" configured twice (the last one wins).
        s.configure([.init(name: "c", numParallel: 1), .init(name: "b", numParallel: 1), .init(name: "d"),
                     .init(name: "b", numParallel: 1)])
        #expect(s.fleet.map(\.name) == ["c", "b", "d"])
        #expect(s.position(of: "b") == 1)
        #expect(s.placement(of: 1) == "b")
        #expect(s.placement(of: 2) == "c")
        #expect(s.placement(of: 3) == nil)
        s.firstByte(1, succeeded: true, now: t0 + .seconds(1))
        #expect(s.instances["b"]?.running[1]?.firstByteAt != nil)
        #expect(s.ended(2, now: t0 + .seconds(2))?.instance == "c")
        #expect(s.instances["c"]?.running.isEmpty == true)
    }
}
