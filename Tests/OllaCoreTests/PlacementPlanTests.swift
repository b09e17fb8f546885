import Testing
import OllaCore

/// The fleet-wide placement plan: which models live where (a packing of demand into the
/// instances' room), and the scheduler's loads and victims by it, on an injected clock.
@Suite("Scheduler: the fleet-wide placement plan")
struct PlacementPlanTests {
    let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .schedulingSeconds(seconds) }

    /// bench-routing's fleet (d): three instances holding two models each, eight models on
    /// two instances each (model i on instances i and i + 1), Zipf demand, 3 requests/s.
    static let names = ["llama", "qwen", "mistral", "gemma", "phi", "llava", "codellama", "deepseek"]
    static let instances = ["gpu-a", "gpu-b", "gpu-c"]
    static func benchFleet(resident: [String: Set<String>] = [:]) -> [PlacementPlan.Wanted] {
        let total = (1...8).reduce(0.0) { $0 + 1 / Double($1) }
        return names.enumerated().map { i, name in
            PlacementPlan.Wanted(model: name, rate: 3 / Double(i + 1) / total,
                                 homes: [instances[i % 3], instances[(i + 1) % 3]], residentOn: resident[name] ?? [])
        }
    }
    static let capacity = ["gpu-a": 2, "gpu-b": 2, "gpu-c": 2]

    /// The fleet's loss under a plan.
    static func loss(_ plan: PlacementPlan, _ wanted: [PlacementPlan.Wanted]) -> Double {
        instances.reduce(0) { sum, instance in
            sum + PlacementPlan.loss(wanted.filter { plan.home[$0.model] == instance }, capacity: 2, loadTime: 1.5)
        }
    }

    @Test func aRotationCostsItsTurnsAndTheLoadsItHoldsUp() {
        // Two models taking turns in one slot, wanted 0.3 and 0.1 times a second: 0.4 − (0.09 +
        // 0.01) ÷ 0.4 = 0.15 loads a second; with a kept model wanted 0.5 times a second
        // beside them, each 1.5 s load also holds up 0.5 × 1.5 ÷ 2 = 0.375 of its requests.
        let models = [PlacementPlan.Wanted(model: "k", rate: 0.5, homes: ["x"]),
                      .init(model: "r1", rate: 0.3, homes: ["x"]), .init(model: "r2", rate: 0.1, homes: ["x"])]
        #expect(abs(PlacementPlan.loss(models, capacity: 2, loadTime: 1.5) - 0.15 * 1.5 * 1.375) < 1e-12)
        #expect(PlacementPlan.loss(Array(models.prefix(2)), capacity: 2, loadTime: 1.5) == 0)
    }

    @Test func thePlanPacksTheBenchFleetAsWellAsAnyAssignment() throws {
        let wanted = Self.benchFleet()
        let plan = PlacementPlan(wanted, capacity: Self.capacity, loadTime: 1.5, halfLife: 60)
        // Every one of the 2^8 assignments of models to their homes is worse or equal.
        var best = Double.infinity
        for mask in 0..<256 {
            var homes: [String: [PlacementPlan.Wanted]] = [:]
            for (i, model) in wanted.enumerated() { homes[model.homes[(mask >> i) & 1], default: []].append(model) }
            best = min(best, homes.reduce(0) { $0 + PlacementPlan.loss($1.value, capacity: 2, loadTime: 1.5) })
        }
        #expect(abs(Self.loss(plan, wanted) - best) < 1e-9, "plan \(plan.placed)")
        // The best leaves two instances with two models kept each and one rotation, beside the
        // least wanted kept model: the busiest instance is never held up by loads.
        let rotating = Self.instances.filter { (plan.placed[$0]?.count ?? 0) > 2 }
        #expect(rotating.count == 1)
        let rotation = try #require(rotating.first)
        #expect(plan.kept[rotation]?.count == 1 && !(plan.kept[rotation]?.contains("llama") ?? true))
        #expect(Self.instances.allSatisfy { (plan.kept[$0]?.count ?? 0) <= 2 })
        #expect(plan.keeps("llama", on: plan.home["llama"]!))
        #expect(plan.rotates("deepseek", on: rotation) && plan.rotates("codellama", on: rotation))
    }

    @Test func aResidentModelStaysWhereItIs() {
        // Equal losses either way: the plan keeps each model where it is resident rather than
        // moving it to its first home (configuration order), which would cost a reload.
        let wanted = [PlacementPlan.Wanted(model: "x", rate: 0.3, homes: ["a", "b"], residentOn: ["b"]),
                      .init(model: "y", rate: 0.2, homes: ["a", "b"], residentOn: ["a"])]
        let plan = PlacementPlan(wanted, capacity: ["a": 1, "b": 1], loadTime: 1.5, halfLife: 60)
        #expect(plan.home == ["x": "b", "y": "a"])
        let fresh = PlacementPlan(wanted.map { var w = $0; w.residentOn = []; return w },
                                  capacity: ["a": 1, "b": 1], loadTime: 1.5, halfLife: 60)
        #expect(fresh.home == ["x": "a", "y": "b"])
    }

    @Test func nearEqualModelsDoNotSwapTheKeptSlot() {
        // Three models for a two-model instance: one slot kept, one rotating. The resident
        // model keeps it against one wanted up to 1.5 times as much.
        let resident = PlacementPlan.Wanted(model: "r", rate: 0.2, homes: ["a"], residentOn: ["a"])
        let rival = PlacementPlan.Wanted(model: "s", rate: 0.28, homes: ["a"])
        let third = PlacementPlan.Wanted(model: "t", rate: 0.05, homes: ["a"])
        let plan = PlacementPlan([resident, rival, third], capacity: ["a": 2], loadTime: 1.5, halfLife: 60)
        #expect(plan.kept["a"] == ["r"])
        var stronger = rival
        stronger.rate = 0.31
        #expect(PlacementPlan([resident, stronger, third], capacity: ["a": 2], loadTime: 1.5, halfLife: 60).kept["a"] == ["s"])
    }

    /// docs/routing.md "The placement plan", as written (`PlanExampleFleet`); phi3 used
    /// longer ago than qwen. `offered`: whether the requests said where each model is offered.
    func turns(offered: Bool = true) -> (ResidencyScheduler, ContinuousClock.Instant) {
        PlanExampleFleet.scheduler(t0: t0, unloadVictims: true, offered: offered,
                                   qwenExpiresIn: .seconds(300), phi3ExpiresIn: .seconds(200))
    }

    @Test func routingDocsPlanExample() {
        let (scheduler, now) = turns()
        // ~0.116, 0.092, 0.069 and 0.046 requests/s. gemma on gpu-c would take turns with
        // mistral: 0.079 reloads a second, 0.12 s lost per second; on gpu-d it fits beside
        // qwen2.5. phi3 then takes turns with it in gpu-d's second slot: 0.056 reloads a
        // second, each holding up qwen2.5's requests (0.116 × 1.5 ÷ 2): 0.09 s per second.
        let r = ["qwen2.5:latest", "mistral:latest", "gemma:latest", "phi3:latest"].map { scheduler.demand.rate($0, now: now) }
        #expect(abs(r[0] - 0.1156) < 0.001 && abs(r[1] - 0.0925) < 0.001)
        let turnsOnC = r[1] + r[2] - (r[1] * r[1] + r[2] * r[2]) / (r[1] + r[2])
        let turnsOnD = r[2] + r[3] - (r[2] * r[2] + r[3] * r[3]) / (r[2] + r[3])
        #expect(abs(turnsOnC - 0.079) < 0.001 && abs(turnsOnC * 1.5 - 0.12) < 0.005)
        #expect(abs(turnsOnD - 0.056) < 0.001 && abs(turnsOnD * 1.5 * (1 + r[0] * 1.5 / 2) - 0.09) < 0.005)
        let plan = scheduler.plan(now: now)
        #expect(plan.home == ["qwen2.5:latest": "gpu-d", "mistral:latest": "gpu-c", "gemma:latest": "gpu-d", "phi3:latest": "gpu-d"])
        #expect(plan.kept == ["gpu-c": ["mistral:latest"], "gpu-d": ["qwen2.5:latest"]])
        #expect(plan.rotates("gemma:latest", on: "gpu-d") && plan.rotates("phi3:latest", on: "gpu-d"))
        // A request for gemma, resident nowhere: on gpu-d it evicts phi3 (idle longest), whose
        // turn it is (1.5 × 4/6 = 1.0 s, no rent): 2.5 s; on gpu-c mistral, kept there
        // (1.5 × 8/6 = 2.0 s, and a reload's rent): 3.5 s. gpu-d, at once.
        let placement = scheduler.decide("gemma:latest", candidates: [.init(name: "gpu-c"), .init(name: "gpu-d")], now: now)
        guard case .dispatch(let order) = placement else { Issue.record("expected a dispatch, got \(placement)"); return }
        #expect(order.map(\.candidate.name) == ["gpu-d", "gpu-c"])
        #expect(order.map { ($0.cost * 1000).rounded() / 1000 } == [2.5, 3.5])
        #expect(order[0].victim == "phi3" && order[0].lastCopyRent == 0)
        #expect(order[1].victim == "mistral" && order[1].lastCopyRent == 1.5)
        #expect(placement.reason == "cold on gpu-d ~1.5 s, evicts phi3; cold on gpu-c ~1.5 s, evicts mistral")
    }

    @Test func withoutThePlanTheTurnRentsAsBefore() {
        // The same fleet when no request said where its model is offered: no plan, and the
        // load onto gpu-d waits until gemma's requests have waited phi3's penalty, 1.0 s.
        let (scheduler, now) = turns(offered: false)
        let placement = scheduler.decide("gemma:latest", candidates: [.init(name: "gpu-c"), .init(name: "gpu-d")], now: now)
        guard case .hold(let order) = placement else { Issue.record("expected a hold, got \(placement)"); return }
        #expect(order.first?.candidate.name == "gpu-d" && order.first?.awaitsPayment == true)
        #expect(abs((order.first?.lastCopyRent ?? 0) - 1.0) < 0.001)
    }

    @Test func aRarerModelRentsBeforeTakingAMoreWantedModelsTurn() {
        // gpu-d holds qwen2.5 and gemma (gemma idle longest); phi3, wanted less than gemma,
        // asks for the turn: it rents gemma's reload first (min(1.5 × 6/4, 1.5) = 1.5 s).
        var (scheduler, now) = turns()
        scheduler.observed([.init(model: "qwen2.5:latest", name: "qwen2.5", expiresIn: .seconds(300)),
                            .init(model: "gemma:latest", name: "gemma", expiresIn: .seconds(200))], on: "gpu-d", now: now)
        let placement = scheduler.decide("phi3:latest", candidates: [.init(name: "gpu-d")], now: now)
        guard case .hold(let order) = placement else { Issue.record("expected a hold, got \(placement)"); return }
        #expect(order.first?.victim == "gemma" && order.first?.awaitsPayment == true && order.first?.lastCopyRent == 1.5)
    }

    @Test func aKeptVictimStillRents() throws {
        // Only gpu-c offered: mistral, kept there, is evicted only after the rent.
        let (scheduler, now) = turns()
        let placement = scheduler.decide("gemma:latest", candidates: [.init(name: "gpu-c")], now: now)
        guard case .hold(let order) = placement else { Issue.record("expected a hold, got \(placement)"); return }
        #expect(order.first?.victim == "mistral" && order.first?.awaitsPayment == true)
    }
}
