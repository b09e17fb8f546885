import Testing
@testable import OllaCore
import OllaTestSupport

/// An instance's running requests per model (`InstanceResidency.runningCount`) are kept as
/// counts beside the running table (`runningPerModel`), changed by `dispatched` and `ended`:
/// they must always equal a count of the table itself, whatever the order of the events,
/// failovers between instances, an id dispatched twice and ids that never ran.
@Suite("Scheduler: running requests per model")
struct SchedulerRunningCountTests {
    let t0 = ContinuousClock.now
    let models = ["llama3", "qwen2.5:7b", "mistral", "phi3:mini"].map(ModelName.canonical)

    /// What `runningCount` must say: the running table counted.
    static func counted(_ instance: InstanceResidency, _ model: String) -> Int {
        instance.running.values.filter { $0.model == model }.count
    }

    func expectCounts(_ scheduler: ResidencyScheduler, _ context: String) {
        for instance in scheduler.fleet {
            for model in models {
                #expect(instance.runningCount(model) == Self.counted(instance, model), "\(instance.name) \(model) \(context)")
            }
            // Each model once, none below 0, and no more entries than models in use or 8.
            #expect(Set(instance.runningPerModel.map(\.model)).count == instance.runningPerModel.count)
            #expect(instance.runningPerModel.allSatisfy { $0.count >= 0 })
            #expect(instance.runningPerModel.count <= max(8, Set(instance.running.values.map(\.model)).count))
            #expect(instance.runningPerModel.map(\.count).reduce(0, +) == instance.running.count)
        }
    }

    @Test(arguments: [1, 2, 3])
    func countsFollowTheRunningTable(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var scheduler = ResidencyScheduler(settings: .init(defaultLoadTime: .seconds(2)),
                                           instances: [.init(name: "a", numParallel: 2), .init(name: "b"),
                                                       .init(name: "c", reportsResidency: false)])
        var now = t0
        for step in 0..<3_000 {
            now += .milliseconds(10)
            let id = random.next() % 40
            let model = models[Int(random.next() % UInt64(models.count))]
            let instance = ["a", "b", "c", "zz"][Int(random.next() % 4)]
            switch random.next() % 5 {
            case 0, 1:  // a dispatch, or a failover of a running id to another instance
                scheduler.dispatched(id, model: model, displayName: model, to: instance, estimatedWait: 0, now: now)
            case 2:
                scheduler.firstByte(id, succeeded: random.next() % 2 == 0, now: now)
            case 3:
                scheduler.ended(id, now: now)
            default:  // the same id placed again on one instance, its model changed (dispatched twice there)
                if let at = scheduler.placements[id] {
                    scheduler.fleet[at].dispatched(id, model: model, displayName: model, loadTime: 1, estimatedWait: 0, now: now)
                }
            }
            expectCounts(scheduler, "step \(step)")
        }
        for id in UInt64(0)..<40 { scheduler.ended(id, now: now) }
        expectCounts(scheduler, "at the end")
        #expect(scheduler.fleet.allSatisfy { $0.runningPerModel.allSatisfy { $0.count == 0 } && $0.running.isEmpty })
    }

    /// A reload keeps an unchanged instance with its running requests and their counts.
    @Test func aReloadKeepsTheCounts() {
        var scheduler = ResidencyScheduler(instances: [.init(name: "a", numParallel: 4), .init(name: "b")])
        scheduler.dispatched(1, model: models[0], displayName: "llama3", to: "a", estimatedWait: 0, now: t0)
        scheduler.dispatched(2, model: models[0], displayName: "llama3", to: "a", estimatedWait: 0, now: t0)
        scheduler.dispatched(3, model: models[1], displayName: "qwen2.5:7b", to: "a", estimatedWait: 0, now: t0)
        scheduler.configure([.init(name: "b"), .init(name: "a", numParallel: 4)])
        #expect(scheduler.instance(named: "a")?.runningCount(models[0]) == 2)
        #expect(scheduler.instance(named: "a")?.runningCount(models[1]) == 1)
        scheduler.ended(2, now: t0 + .seconds(1))
        #expect(scheduler.instance(named: "a")?.runningCount(models[0]) == 1)
        expectCounts(scheduler, "after the reload")
    }
}
