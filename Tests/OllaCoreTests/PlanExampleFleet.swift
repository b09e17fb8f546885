import OllaCore

/// The fleet of docs/routing.md "The placement plan", shared by the plan's tests and the
/// unload tests: `gpu-c` has room for one model and offers mistral and gemma; `gpu-d` has
/// room for two and offers qwen2.5, gemma and phi3; loads take 1.5 s. `gpu-c` holds mistral,
/// `gpu-d` holds qwen2.5 and phi3. Demand, watched ten minutes from `t0`: qwen2.5 10,
/// mistral 8, gemma 6, phi3 4.
enum PlanExampleFleet {
    /// The scheduler at `t0` + 600 s, and that instant. `offered`: whether the requests said
    /// where each model is offered; `qwenExpiresIn`/`phi3ExpiresIn`: what `/api/ps` reports
    /// on gpu-d (the one expiring first was used longest ago: Ollama's victim).
    static func scheduler(t0: ContinuousClock.Instant, unloadVictims: Bool = true, offered: Bool = true,
                          qwenExpiresIn: Duration, phi3ExpiresIn: Duration) -> (ResidencyScheduler, ContinuousClock.Instant) {
        var scheduler = ResidencyScheduler(
            settings: .init(defaultLoadTime: .milliseconds(1500), unloadVictims: unloadVictims), instances: [
                .init(name: "gpu-c", numParallel: 1, maxLoadedModels: 1), .init(name: "gpu-d", numParallel: 1, maxLoadedModels: 2),
            ])
        let offers: [String: [SchedulingCandidate]] = ["qwen2.5:latest": [.init(name: "gpu-d")],
                                                       "mistral:latest": [.init(name: "gpu-c")],
                                                       "gemma:latest": [.init(name: "gpu-c"), .init(name: "gpu-d")],
                                                       "phi3:latest": [.init(name: "gpu-d")]]
        let counts = [("qwen2.5:latest", 10), ("mistral:latest", 8), ("gemma:latest", 6), ("phi3:latest", 4)]
        for (model, _) in counts { scheduler.requested(model, offeredBy: offered ? offers[model] : nil, now: t0) }
        let now = t0 + .seconds(600)
        for (model, count) in counts {
            for _ in 0..<count { scheduler.requested(model, offeredBy: offered ? offers[model] : nil, now: now) }
        }
        scheduler.observed([.init(model: "mistral:latest", name: "mistral")], on: "gpu-c", now: now)
        scheduler.observed([.init(model: "qwen2.5:latest", name: "qwen2.5", expiresIn: qwenExpiresIn),
                            .init(model: "phi3:latest", name: "phi3", expiresIn: phi3ExpiresIn)], on: "gpu-d", now: now)
        return (scheduler, now)
    }
}
