import Testing
import OllaCore

/// The slot time the scheduler learns from a final chunk, on an injected clock.
@Suite("Scheduler: slot time learned from a final chunk")
struct SchedulerSlotTimeTests {
    let t0 = ContinuousClock.now
    let llama = ModelName.canonical("llama3")

    @Test func theSlotTimeIsPromptEvaluationPlusGenerationNotTheWaitForTheSlot() throws {
        // A request that joined a busy slot's queue inside Ollama: 3.5 s in all, no load,
        // 1.6 s of it waiting for the slot; the slot itself took 0.4 + 1.5 s.
        let chunk = Array(#"{"model":"llama3","done":true,"total_duration":3500000000,"load_duration":1000000,"prompt_eval_count":10,"prompt_eval_duration":400000000,"eval_count":100,"eval_duration":1500000000}"#.utf8)
        let timings = try #require(TokenScanner.scanOllama(chunk)?.timings)
        #expect(timings.promptEvalDuration == .milliseconds(400))
        var scheduler = ResidencyScheduler(instances: [.init(name: "a", numParallel: 1, maxLoadedModels: 1)])
        scheduler.learn(llama, displayName: "llama3", on: "a", timings: timings, observedSeconds: nil, now: t0)
        #expect(abs(scheduler.generationTime(llama, on: "a") - 1.9) < 1e-9)
        // Without prompt_eval_duration (older servers): total − load, as before.
        var older = ResidencyScheduler(instances: [.init(name: "a", numParallel: 1, maxLoadedModels: 1)])
        older.learn(llama, displayName: "llama3", on: "a",
                    timings: GenerationTimings(loadDuration: .milliseconds(1), totalDuration: .milliseconds(3500),
                                               evalCount: 100, evalDuration: .milliseconds(1500)),
                    observedSeconds: nil, now: t0)
        #expect(abs(older.generationTime(llama, on: "a") - 3.499) < 1e-9)
    }
}
