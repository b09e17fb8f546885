import Testing
import OllaCore

/// Start-up, before a final chunk taught anything: what the first answer of a copy teaches
/// (the load's cost, and that the load is over whichever request was answered), and a queue
/// that fills idle room. On an injected clock, no sockets.
@Suite("Scheduler: start-up, the first answer of a copy")
struct SchedulerFirstAnswerTests {
    let t0 = ContinuousClock.now
    let llama = ModelName.canonical("llama3")
    let qwen = ModelName.canonical("qwen")

    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .schedulingSeconds(seconds) }

    /// Two instances with room for one model and one slot each; nothing learned, loads
    /// assumed to take `default_load_time` (5 s, the default).
    func fleet(_ names: [String] = ["a", "b"]) -> ResidencyScheduler {
        ResidencyScheduler(settings: .init(defaultLoadTime: .seconds(5)), instances: names.map {
            .init(name: $0, numParallel: 1, maxLoadedModels: 1)
        })
    }

    @Test func theLoadIsLearnedAtTheCopysFirstAnswerUntilAFinalChunkReportsIt() {
        var scheduler = fleet()
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 5, now: t0)
        #expect(scheduler.loadTime(llama, on: "a") == 5)
        // The first byte 1.6 s after the request that loads it was sent: load, prompt and a
        // token. Known here and on the instances that have not loaded it yet.
        scheduler.firstByte(1, succeeded: true, now: at(1.6))
        #expect(abs(scheduler.loadTime(llama, on: "a") - 1.6) < 1e-9)
        #expect(abs(scheduler.loadTime(llama, on: "b") - 1.6) < 1e-9)
        #expect(scheduler.instance(named: "a")?.costs[llama]?.loadTime.value == nil)
        // Other models still assume the default.
        #expect(scheduler.loadTime(qwen, on: "b") == 5)
        // The final chunk's load_duration replaces the estimate.
        scheduler.learn(llama, displayName: "llama3", on: "a",
                        timings: .init(loadDuration: .milliseconds(1500), totalDuration: .milliseconds(2100)),
                        observedSeconds: nil, now: at(2.1))
        scheduler.ended(1, now: at(2.1))
        #expect(abs(scheduler.loadTime(llama, on: "a") - 1.5) < 1e-9)
        // A later copy's first answer does not overwrite what a final chunk taught.
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "b", estimatedWait: 1.5, now: at(3))
        scheduler.firstByte(2, succeeded: true, now: at(6))
        #expect(abs(scheduler.loadTime(llama, on: "a") - 1.5) < 1e-9)
        #expect(abs(scheduler.loadTime(llama, on: "b") - 3) < 1e-9, "b's own first answer, until its final chunk")
    }

    @Test func aFastFirstAnswerMeansNoLoadAndTeachesNothing() {
        var scheduler = fleet()
        // Olla believed llama3 cold on a, but a held it (no poll had said so yet): answered at once.
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 5, now: t0)
        scheduler.firstByte(1, succeeded: true, now: at(0.08))
        #expect(scheduler.loadTime(llama, on: "a") == 5)
        #expect(scheduler.instance(named: "a")?.costs[llama]?.firstAnswerLoadTime == nil)
        // A failed answer (an error status) says nothing about a load either.
        scheduler.dispatched(2, model: qwen, displayName: "qwen", to: "b", estimatedWait: 5, now: t0)
        scheduler.firstByte(2, succeeded: false, now: at(1.2))
        #expect(scheduler.loadTime(qwen, on: "b") == 5)
    }

    @Test func theLoadIsOverWhenAnyRequestOfTheCopyIsAnsweredNotOnlyTheOneSentToLoadIt() {
        var scheduler = fleet(["a"])
        let only: [SchedulingCandidate] = [.init(name: "a")]
        // Two requests sent at once to an instance loading llama3: the one sent to load it
        // (1) and one that joined its queue (2), which the instance happened to take first.
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 5, now: t0)
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "a", estimatedWait: 5, now: t0)
        // While loading, a third joins that queue too: nothing could start it sooner.
        let loading = scheduler.decide(llama, candidates: only, now: at(1))
        #expect(!loading.estimates[0].startsNow)
        #expect(scheduler.joinsQueue(llama, loading.estimates, now: at(1)))
        // 2 is answered and ends; 1 now holds the slot and has no answer yet. The load is
        // over: a request waiting for that busy slot stays held (a slot may free any moment
        // elsewhere), instead of joining the instance's queue as if it were still loading.
        scheduler.firstByte(2, succeeded: true, now: at(1.6))
        scheduler.ended(2, now: at(2.1))
        let loaded = scheduler.decide(llama, candidates: only, now: at(2.2))
        #expect(loaded.estimates[0].residency == .loaded && !loaded.estimates[0].startsNow)
        #expect(!scheduler.joinsQueue(llama, loaded.estimates, now: at(2.2)))
        // And the load was learned from 1's send to 2's answer.
        #expect(abs(scheduler.loadTime(llama, on: "a") - 1.6) < 1e-9)
    }

    @Test func beforeAnyGenerationIsLearnedAQueueFillsIdleRoomButOneRequestWaitsForItsCopy() {
        var scheduler = fleet(["a", "b", "c"])
        let all: [SchedulingCandidate] = [.init(name: "a"), .init(name: "b"), .init(name: "c")]
        // Users starting together: a loads llama3 for the first, the second joined its queue.
        scheduler.dispatched(1, model: llama, displayName: "llama3", to: "a", estimatedWait: 5, now: t0)
        scheduler.dispatched(2, model: llama, displayName: "llama3", to: "a", estimatedWait: 5, now: t0)
        // One more held: another copy would relieve a guess (no generation learned), so it
        // waits for the copy there is.
        scheduler.held = [llama: 1]
        let one = scheduler.decide(llama, candidates: all, now: at(0.01))
        #expect(one.estimates.first?.candidate.name == "a")
        #expect(one.estimates.dropFirst().allSatisfy { $0.speculative })
        guard case .hold = one else { Issue.record("expected the request to be held for a's copy"); return }
        // Two held: b and c are idle and empty, a copy there evicts nothing and delays no one.
        scheduler.held = [llama: 2]
        let two = scheduler.decide(llama, candidates: all, now: at(0.01), queuedBehind: 1)
        guard case .dispatch(let estimates) = two else { Issue.record("expected a copy into idle room"); return }
        #expect(estimates[0].candidate.name == "b" && estimates[0].residency == .cold && !estimates[0].speculative)
        // Not into an instance that is busy, nor one whose load would evict a model.
        scheduler.dispatched(3, model: llama, displayName: "llama3", to: "b", estimatedWait: 5, now: at(0.01))
        scheduler.dispatched(4, model: qwen, displayName: "qwen", to: "c", estimatedWait: 5, now: at(0.01))
        let busy = scheduler.decide(llama, candidates: [.init(name: "a"), .init(name: "c")], now: at(0.02), queuedBehind: 1)
        guard case .hold(let held) = busy else { Issue.record("expected the request to be held"); return }
        #expect(held.first?.candidate.name == "a")
    }
}
