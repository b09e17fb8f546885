import Testing
import OllaCore

/// Which held request takes a new copy's load (`ResidencyScheduler.loadTaker`): the one whose
/// turn comes when the copy is the soonest start, on an injected clock.
@Suite("Scheduler: which held request takes a new copy")
struct SchedulerLoadTakerTests {
    let t0 = ContinuousClock.now
    let llama = ModelName.canonical("llama3")

    /// a and b hold llama3 (one slot each, 0.6 s a request, learned), c is cold.
    func fleet() -> ResidencyScheduler {
        var scheduler = ResidencyScheduler(settings: .init(defaultLoadTime: .seconds(1.5)), instances: ["a", "b", "c"].map {
            .init(name: $0, numParallel: 1, maxLoadedModels: 1)
        })
        for name in ["a", "b"] {
            scheduler.learn(llama, displayName: "llama3", on: name,
                            timings: GenerationTimings(loadDuration: .zero, totalDuration: .milliseconds(600)),
                            observedSeconds: nil, now: t0)
        }
        return scheduler
    }

    func estimates(bPriority: Int = 100) -> [PlacementEstimate] {
        [PlacementEstimate(candidate: .init(name: "c"), residency: .cold, queueWait: 0, loadTime: 1.5, canStartNow: true),
         PlacementEstimate(candidate: .init(name: "a"), residency: .loaded, queueWait: 0.1, loadTime: 0, canStartNow: false),
         PlacementEstimate(candidate: .init(name: "b", priority: bPriority), residency: .loaded, queueWait: 0.4,
                           loadTime: 0, canStartNow: false)]
    }

    @Test func theRequestWhoseTurnComesAfterTheLoadTakesTheCopy() {
        let scheduler = fleet()
        // Slots free at 0.1 (a), 0.4 (b), 0.7 (a), 1.0 (b), 1.3 (a), 1.6 (b): the copy, ready at
        // 1.5 s, is the soonest start for the sixth in line.
        #expect(scheduler.loadTaker(llama, estimates(), held: 8) == 5)
        // Three held: each starts sooner on a slot; the last in line takes the copy.
        #expect(scheduler.loadTaker(llama, estimates(), held: 3) == 2)
        // One held: it is the one.
        #expect(scheduler.loadTaker(llama, estimates(), held: 1) == 0)
    }

    @Test func onlyTheCopysTierCountsAndALoadWithNoCopyGoesToTheFirst() {
        let scheduler = fleet()
        // b is a lower tier: only a's slots (0.1, 0.7, 1.3, 1.9) come before the copy.
        #expect(scheduler.loadTaker(llama, estimates(bPriority: 10), held: 8) == 3)
        // No copy anywhere to wait for: the first in line loads it.
        #expect(scheduler.loadTaker(llama, [estimates()[0]], held: 4) == 0)
        // A free slot (not a load) goes to the first in line.
        #expect(scheduler.loadTaker(llama, Array(estimates().dropFirst()), held: 4) == 0)
    }
}
