import Testing
import OllaCore

/// What the scheduler shows: a probe timeout while streaming, the status JSON of residency.
@Suite("Scheduler: health from traffic and status")
struct SchedulerStatusTests {
    let t0 = ContinuousClock.now

    @Test func aProbeTimeoutWhileStreamingMeansBusyNeverOffline() {
        var health = EndpointHealth(checkInterval: .seconds(5), checkTimeout: .seconds(2), now: t0)
        health.probeSucceeded(latency: .milliseconds(10), now: t0)
        for round in 1...8 {
            health.probeTimedOutWhileServing(streams: 2, now: t0 + .seconds(5 * round))
            #expect(health.state == .busy)
            #expect(health.isRoutable)
        }
        #expect(health.consecutiveFailures == 0)  // the breaker never opened
        #expect(health.nextProbeAt == t0 + .seconds(45))
        #expect(health.lastError == "probe timed out while streaming 2 responses")
        // The same timeouts with nothing streaming: the first after those streams is only
        // late (`HealthLateProbeTests`), the second in a row takes it offline.
        health.probeFailed(.timeout, now: t0 + .seconds(50))
        #expect(health.state == .busy)
        health.probeFailed(.timeout, now: t0 + .seconds(51))
        #expect(health.state == .offline)
    }

    @Test func modelsStatusShowsResidencyAndLearnedCosts() {
        var scheduler = ResidencyScheduler(instances: [.init(name: "gpu-a", numParallel: 2, maxLoadedModels: 1)])
        let llama = ModelName.canonical("llama3")
        scheduler.observed([.init(model: llama, name: "llama3:latest", sizeVRAM: 4_000)], on: "gpu-a", now: t0)
        scheduler.learn(llama, displayName: "llama3", on: "gpu-a",
                        timings: .init(loadDuration: .milliseconds(1500), totalDuration: .milliseconds(3500),
                                       evalCount: 100, evalDuration: .seconds(2)),
                        observedSeconds: nil, now: t0)
        let body = String(decoding: StatusRenderer.models(Catalogue([]), scheduler: scheduler,
                                                          held: [llama: 3], now: t0 + .seconds(2)), as: UTF8.self)
        #expect(body == #"{"total":0,"models":[],"instances":[{"endpoint":"gpu-a","num_parallel":2,"num_parallel_known":true,"max_loaded_models":1,"running":0,"cold_loads":1,"unloads_sent":0,"resident":[{"model":"llama3:latest","state":"loaded","confirmed":true,"running":0,"size_vram":4000,"idle_ms":2000}],"learned":[{"model":"llama3:latest","load_time_ms":1500,"generation_time_ms":2000,"tokens_per_second":50.0,"loads_seen":1,"generations_seen":1}]}],"held":[{"model":"llama3:latest","count":3}]}"#)
    }
}
