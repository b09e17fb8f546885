import Testing
import OllaCore

/// Where the scheduler placed each request (`ResidencyScheduler.placement(of:)`), which lets
/// the engine skip an estimate when an attempt starts where `admit` already placed it.
@Suite("Scheduler: placement lookup")
struct SchedulerPlacementLookupTests {
    let t0 = ContinuousClock.now
    let llama = ModelName.canonical("llama3")

    @Test func aPlacementIsKnownFromDispatchUntilTheEnd() {
        var scheduler = ResidencyScheduler(settings: .init(defaultLoadTime: .seconds(2)),
                                           instances: [.init(name: "a", numParallel: 2), .init(name: "b", numParallel: 2)])
        #expect(scheduler.placement(of: 1) == nil)
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 2, now: t0)
        #expect(scheduler.placement(of: 1) == "a")
        // A failover moves it.
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "b", estimatedWait: 2, now: t0)
        #expect(scheduler.placement(of: 1) == "b")
        #expect(scheduler.instances["a"]?.running[1] == nil)
        scheduler.ended(1, now: t0 + .seconds(1))
        #expect(scheduler.placement(of: 1) == nil)
        // An unknown instance places nothing.
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "zz", estimatedWait: 0, now: t0)
        #expect(scheduler.placement(of: 2) == nil)
    }

    /// A warm dispatch (the model resident) leaves the model's phase alone: the load time,
    /// which only a cold dispatch uses, is not looked up for it.
    @Test func aWarmDispatchKeepsTheResidentModelAsItWas() {
        var scheduler = ResidencyScheduler(settings: .init(defaultLoadTime: .seconds(2)),
                                           instances: [.init(name: "a", numParallel: 2)])
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 2, now: t0)
        let loading = scheduler.instances["a"]?.models[llama]?.phase
        #expect(loading == .loading(readyAt: t0 + .seconds(2)))
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "a", estimatedWait: 0, now: t0 + .seconds(1))
        #expect(scheduler.instances["a"]?.models[llama]?.phase == loading)
        #expect(scheduler.instances["a"]?.running[2]?.expectedColdLoad == false)
    }
}
