import Testing
@testable import OllaCore
@testable import OllaEngine

@Suite struct RouterTests {
    private static func endpoint(_ name: String, priority: Int = 100, type: EndpointType = .ollama) throws -> EndpointConfig {
        var config = EndpointConfig.localOllama
        config.name = name
        config.url = try EndpointURL(parsing: "http://\(name).local:11434")
        config.priority = priority
        config.type = type
        return config
    }

    private static func tags(_ names: [String]) throws -> [ModelEntry] {
        let entries = names.map { #"{"name":"\#($0)","model":"\#($0)","modified_at":"2024-01-01T00:00:00Z","size":1,"digest":"d-\#($0)","details":{}}"# }
        return try CatalogueParser.tags(Array(#"{"models":[\#(entries.joined(separator: ","))]}"#.utf8))
    }

    private static func loaded(_ names: [String]) throws -> [LoadedModel] {
        let entries = names.map { #"{"name":"\#($0)","model":"\#($0)","size":1,"digest":"d-\#($0)","details":{},"expires_at":"2030-01-01T00:00:00Z","size_vram":1}"# }
        return try CatalogueParser.loaded(Array(#"{"models":[\#(entries.joined(separator: ","))]}"#.utf8))
    }

    /// a and b hold llama3 (loaded on b), c holds only qwen; d is OpenAI-compatible with llama3.
    private func fixture(strategy: RoutingStrategyKind = .strict, pull: Router.PullTarget = .best) throws -> (EndpointRegistry, Router) {
        let registry = EndpointRegistry(endpoints: [
            try Self.endpoint("a", priority: 200), try Self.endpoint("b"), try Self.endpoint("c"),
            try Self.endpoint("d", type: .openAICompatible),
        ])
        registry.updateInventory("a", models: try Self.tags(["llama3:latest"]), loaded: [], version: "0.5.0")
        registry.updateInventory("b", models: try Self.tags(["llama3:latest", "qwen2.5:0.5b"]), loaded: try Self.loaded(["llama3:latest"]), version: "0.6.0")
        registry.updateInventory("c", models: try Self.tags(["qwen2.5:0.5b"]), loaded: [], version: nil)
        registry.updateInventory("d", models: try Self.tags(["llama3:latest"]), loaded: [], version: nil)
        let router = Router(registry: registry, strategy: strategy, balancer: Balancer(strategy: .modelAware), pullTarget: pull)
        return (registry, router)
    }

    private func request(_ target: String, method: String = "POST", model: String?, body: String? = nil) -> RoutingRequest {
        guard case .forward(let route) = ProxyRoute.classify(method: method, rawTarget: "/olla/ollama" + target) else {
            fatalError("not a forward route: \(target)")
        }
        return RoutingRequest(method: method, route: route,
                              operation: OllamaOperation.classify(method: method, upstreamTarget: route.upstreamTarget),
                              model: model, smallBody: body.map { Array($0.utf8) })
    }

    private func forwardNames(_ plan: RoutingPlan) -> [String]? {
        if case .forward(let targets) = plan.target { return targets.map(\.name) }
        return nil
    }

    private func fanOutNames(_ plan: RoutingPlan) -> [String]? {
        if case .fanOut(let targets) = plan.target { return targets.map(\.name) }
        return nil
    }

    private func rejection(_ plan: RoutingPlan) -> (Int, Int?)? {
        if case .reject(let error, let retryAfter) = plan.target { return (error.status, retryAfter) }
        return nil
    }

    @Test func nativeRequestsGoOnlyToOllamaHoldersLoadedFirst() throws {
        let (_, router) = try fixture()
        let plan = router.plan(request("/api/chat", model: "llama3"))
        #expect(forwardNames(plan) == ["b", "a"])
        #expect(plan.decision == .routed)
        #expect(plan.reason == "model loaded on b")
    }

    @Test func openAIRequestsMayUseOpenAICompatibleEndpoints() throws {
        let (_, router) = try fixture()
        #expect(Set(forwardNames(router.plan(request("/v1/chat/completions", model: "llama3"))) ?? []) == ["a", "b", "d"])
    }

    @Test func anthropicAndResponsesRequestsGoToHolders() throws {
        let (_, router) = try fixture()
        #expect(forwardNames(router.plan(request("/v1/messages", model: "llama3"))) == ["b", "a"])
        // OpenAI-compatible servers speak Responses, not Anthropic's API
        #expect(Set(forwardNames(router.plan(request("/v1/responses", model: "llama3"))) ?? []) == ["a", "b", "d"])
    }

    @Test func aHeldRequestKeepsTheCandidatesItsAPIAllows() throws {
        // Decided again while held: the same instances as when it arrived (Responses: the
        // OpenAI-compatible d too; Anthropic's API: Ollama instances only).
        let (_, router) = try fixture()
        #expect(Set(router.schedulingCandidates(model: "llama3", flavor: .openAIResponses).map(\.name)) == ["a", "b", "d"])
        #expect(Set(router.schedulingCandidates(model: "llama3", flavor: .openAI).map(\.name)) == ["a", "b", "d"])
        #expect(Set(router.schedulingCandidates(model: "llama3", flavor: .anthropic).map(\.name)) == ["a", "b"])
    }

    /// A request the scheduler places carries its canonical model name in the plan, for the
    /// scheduler's lesson at its end; a request ordered without the scheduler carries none.
    @Test func aScheduledPlanCarriesTheCanonicalModelName() throws {
        let (registry, ordered) = try fixture()
        let scheduling = Router(registry: registry, strategy: .strict, balancer: Balancer(strategy: .residencyAware),
                                pullTarget: .best)
        var chat = request("/api/chat", model: "Llama3")
        chat.id = 7
        let plan = scheduling.plan(chat)
        #expect(plan.scheduled)
        #expect(plan.modelKey == ModelName.canonical("Llama3"))
        #expect(plan.modelKey == "llama3:latest")
        #expect(ordered.plan(chat).modelKey == nil)
        registry.scheduler.attemptEnded(7)
    }

    @Test func unknownRoutesNamingAModelAreRoutedByIt() throws {
        let (_, router) = try fixture()
        let plan = router.plan(request("/api/next/thing", model: "qwen2.5:0.5b"))
        #expect(Set(forwardNames(plan) ?? []) == ["b", "c"])
        #expect(plan.decision == .routed)
        #expect(rejection(router.plan(request("/v1/next/thing", model: "mistral")))?.0 == 404)
        #expect(router.plan(request("/api/next/thing", model: nil)).reason == "any healthy instance")
    }

    @Test func strictAnswers404ForUnknownModels() throws {
        let (_, router) = try fixture()
        let plan = router.plan(request("/api/generate", model: "mistral"))
        #expect(rejection(plan)?.0 == 404)
        #expect(plan.headers.contains { $0.name == "X-Olla-Routing-Decision" && $0.value == "rejected" })
    }

    @Test func strictAnswers503WhenOnlyDownInstancesHaveTheModel() throws {
        let (registry, router) = try fixture()
        registry.updateHealth("c") { $0.probeFailed(.transport("refused"), now: .now) }
        registry.updateHealth("b") { $0.probeFailed(.transport("refused"), now: .now) }
        let plan = router.plan(request("/api/chat", model: "qwen2.5:0.5b"))
        #expect(rejection(plan)?.0 == 503)
        #expect(rejection(plan)?.1 != nil)
    }

    @Test func optimisticFallsBackToAnyHealthyInstance() throws {
        let (_, router) = try fixture(strategy: .optimistic)
        let plan = router.plan(request("/api/chat", model: "mistral"))
        #expect(plan.decision == .fallback)
        #expect(Set(forwardNames(plan) ?? []) == ["a", "b", "c"])
    }

    @Test func unloadGoesToEveryInstanceWithTheModelLoaded() throws {
        let (_, router) = try fixture()
        let plan = router.plan(request("/api/generate", model: "llama3", body: #"{"model":"llama3","keep_alive":0}"#))
        #expect(fanOutNames(plan) == ["b"])
    }

    @Test func copyAndDeleteGoToEveryHolder() throws {
        let (_, router) = try fixture()
        #expect(fanOutNames(router.plan(request("/api/delete", method: "DELETE", model: "qwen2.5:0.5b"))) == ["b", "c"])
        #expect(fanOutNames(router.plan(request("/api/copy", model: "llama3"))) == ["a", "b"])
    }

    @Test func pullFollowsThePullTarget() throws {
        #expect(fanOutNames(try fixture(pull: .all).1.plan(request("/api/pull", model: "x"))) == ["a", "b", "c"])
        #expect(forwardNames(try fixture(pull: .endpoint("c")).1.plan(request("/api/pull", model: "x"))) == ["c"])
        #expect(forwardNames(try fixture(pull: .best).1.plan(request("/api/pull", model: "x")))?.count == 3)
    }

    @Test func createGoesWhereItsBlobsWent() throws {
        let (registry, router) = try fixture()
        registry.blobStored("sha256:abc", on: "c")
        let body = #"{"model":"mine","files":{"model.gguf":"sha256:abc"}}"#
        #expect(forwardNames(router.plan(request("/api/create", model: "mine", body: body))) == ["c"])
        #expect(forwardNames(router.plan(request("/api/blobs/sha256:abc", method: "HEAD", model: nil))) == ["c"])
    }

    @Test func downInstancesAreNotCandidates() throws {
        let (registry, router) = try fixture()
        registry.updateHealth("b") { $0.requestFailed(.connect("refused"), now: .now) }
        #expect(forwardNames(router.plan(request("/api/chat", model: "llama3"))) == ["a"])
    }

    @Test func eachAPIListsWhatItCanRoute() throws {
        let (registry, _) = try fixture()
        registry.updateInventory("d", models: try Self.tags(["qwen3-next.gguf"]), loaded: [], version: nil)
        let snapshot = registry.snapshot
        #expect(!snapshot.nativeCatalogue.contains("qwen3-next.gguf"))
        #expect(snapshot.nativeCatalogue.contains("qwen2.5:0.5b"))
        #expect(snapshot.catalogue(for: .openAI).contains("qwen3-next.gguf"))
        #expect(snapshot.catalogue(for: .native).holders(of: "llama3") == ["a", "b"])
    }

    @Test func targetsCarryTheEndpointType() throws {
        let (_, router) = try fixture()
        guard case .forward(let targets) = router.plan(request("/v1/chat/completions", model: "llama3")).target else {
            Issue.record("not forwarded"); return
        }
        #expect(targets.first { $0.name == "d" }?.type == .openAICompatible)
        #expect(targets.first { $0.name == "a" }?.type == .ollama)
    }

    private func message(_ plan: RoutingPlan) -> String? {
        if case .reject(let error, _) = plan.target { return error.message }
        return nil
    }

    /// Every instance found down: nothing is tried (no connect or first-byte timeout per
    /// instance), the 503 names each instance that speaks the request's API and why.
    @Test func nothingRoutableIsAnImmediate503NamingEveryInstanceThatSpeaksTheAPI() throws {
        let (registry, router) = try fixture()
        let now = ContinuousClock.now
        for name in ["a", "b", "c"] {
            registry.updateHealth(name, now: now) { $0.probeFailed(.transport("refused"), now: now) }
        }
        registry.updateHealth("d", now: now) { $0.probeFailed(.timeout, now: now) }
        let openAI = router.plan(request("/v1/chat/completions", model: "mistral"))
        #expect(rejection(openAI)?.0 == 503)
        #expect(openAI.decision == .rejected)
        let retryAfter = try #require(rejection(openAI)?.1)
        #expect((1...10).contains(retryAfter))
        let text = try #require(message(openAI))
        #expect(text.hasPrefix("no instance is available: "))
        for clause in ["a (offline: probe failed: refused)", "b (offline", "c (offline", "d (offline: probe timed out)"] {
            #expect(text.contains(clause), "\(text)")
        }
        let native = try #require(message(router.plan(request("/api/show", model: nil))))
        #expect(native.hasPrefix("no instance is available: a (offline"))
        #expect(!native.contains("d ("), "d does not serve the native API: \(native)")
        let anthropic = try #require(message(router.plan(request("/v1/messages", model: "llama3"))))
        #expect(anthropic == "model 'llama3' is only on instances that are unavailable: "
            + "a (offline: probe failed: refused), b (offline: probe failed: refused)", "d does not serve Anthropic's API")
    }

    @Test func aModelOnlyOnDownInstancesNamesThoseInstances() throws {
        let (registry, router) = try fixture()
        registry.updateHealth("b") { $0.probeFailed(.timeout, now: .now) }
        registry.updateHealth("c") { $0.probeFailed(.status(500), now: .now) }
        let plan = router.plan(request("/api/chat", model: "qwen2.5:0.5b"))
        #expect(message(plan) == "model 'qwen2.5:0.5b' is only on instances that are unavailable: "
            + "b (offline: probe timed out), c (unhealthy: probe answered HTTP 500)")
        // copy and delete say the same
        #expect(message(router.plan(request("/api/copy", model: "qwen2.5:0.5b")))?.hasSuffix(
            "b (offline: probe timed out), c (unhealthy: probe answered HTTP 500)") == true)
    }

    @Test func anUnavailablePullTargetIsNamedWithItsReason() throws {
        let (registry, router) = try fixture(pull: .endpoint("c"))
        registry.updateHealth("c") { $0.probeFailed(.timeout, now: .now) }
        #expect(message(router.plan(request("/api/pull", model: "x")))
            == "the pull target 'c' is unavailable: c (offline: probe timed out)")
    }

    /// The snapshot's table of holders by canonical model name: routable instances only, in
    /// configuration order, filtered by the API they serve.
    @Test func theSnapshotListsRoutableHoldersByCanonicalName() throws {
        let (registry, _) = try fixture()
        let snapshot = registry.snapshot
        let names = { (indices: [Int]) in indices.map { snapshot.endpoints[$0].config.name } }
        let llama = ModelName.canonical("llama3")
        #expect(names(snapshot.routableHolders(ofKey: llama, speaking: .native)) == ["a", "b"])
        #expect(names(snapshot.routableHolders(ofKey: llama, speaking: .openAI)) == ["a", "b", "d"])
        #expect(names(snapshot.routableHolders(ofKey: ModelName.canonical("qwen2.5:0.5b"), speaking: .native)) == ["b", "c"])
        #expect(snapshot.routableHolders(ofKey: ModelName.canonical("nope"), speaking: .openAI).isEmpty)
        registry.updateHealth("a") { $0.probeFailed(.timeout, now: .now) }
        #expect(names(registry.snapshot.routableHolders(ofKey: llama, speaking: .openAI)) == ["b", "d"])
    }

    /// The snapshot's lookup by the name as a request spells it gives what the canonical name
    /// gives, for the spellings it keeps (listed, canonical, without `:latest`) and any other
    /// (case, registry prefix, unknown models: made canonical per request), in both API
    /// families and after a health change.
    @Test func theSnapshotResolvesAModelAsTheRequestSpellsIt() throws {
        let (registry, _) = try fixture()
        registry.updateInventory("c", models: try Self.tags(["qwen2.5:0.5b", "library/phi3:mini", "hf.co/x/Y:Q4"]),
                                 loaded: [], version: nil)
        let spellings = ["llama3", "llama3:latest", "LLAMA3", "Llama3:Latest", "library/llama3", "llama3:",
                         "registry.ollama.ai/library/llama3:latest", "qwen2.5:0.5b", "qwen2.5", "QWEN2.5:0.5B",
                         "phi3:mini", "library/phi3:mini", "hf.co/x/Y:Q4", "hf.co/x/y:q4", "nope", "", "llama3@sha256:00"]
        for down in [false, true] {
            if down { registry.updateHealth("a") { $0.probeFailed(.timeout, now: .now) } }
            let snapshot = registry.snapshot
            for spelling in spellings {
                for flavor in [APIFlavor.native, .openAI, .openAIResponses] {
                    let key = ModelName.canonical(spelling)
                    let found = snapshot.routableHolders(ofModel: spelling, speaking: flavor)
                    #expect(found.key == key, "\(spelling)")
                    #expect(found.holders == snapshot.routableHolders(ofKey: key, speaking: flavor), "\(spelling) \(flavor)")
                }
            }
        }
    }

    /// A dispatch's reason taken from the views' "loaded on NAME, free" is the placement's own
    /// reason, word for word; every other placement keeps `Placement.reason`.
    @Test func theDispatchReasonIsThePlacementsReason() throws {
        let (registry, _) = try fixture()
        let snapshot = registry.snapshot
        func candidate(_ index: Int) -> SchedulingCandidate {
            SchedulingCandidate(name: snapshot.endpoints[index].config.name, slot: index)
        }
        func loaded(_ index: Int, queue: Double = 0) -> PlacementEstimate {
            PlacementEstimate(candidate: candidate(index), residency: .loaded, queueWait: queue, loadTime: 0, canStartNow: true)
        }
        let cold = PlacementEstimate(candidate: candidate(2), residency: .cold, queueWait: 0, loadTime: 1.5,
                                     victim: "phi3:latest", canStartNow: true)
        let loading = PlacementEstimate(candidate: candidate(1), residency: .loading, queueWait: 0.7, loadTime: 0,
                                        canStartNow: false)
        var unknown = loaded(0)
        unknown.candidate = SchedulingCandidate(name: "gone", slot: 0)
        let placements: [Placement] = [
            .dispatch([loaded(0)]), .dispatch([loaded(1), loaded(0)]), .dispatch([loaded(0), loaded(1, queue: 0.04)]),
            .dispatch([loaded(0, queue: 0.05)]), .dispatch([loaded(0), loaded(1, queue: 2)]), .dispatch([cold]),
            .dispatch([loaded(1), cold]), .dispatch([loading, loaded(0)]), .dispatch([unknown]), .dispatch([]),
            .hold([loaded(0)]), .hold([cold, loaded(1)]),
        ]
        for placement in placements {
            let reason = snapshot.endpoints.withUnsafeBufferPointer { views in
                Router.dispatchReason(placement, placement.estimates, holders: [0, 1, 2], views: views)
            }
            #expect(reason == placement.reason)
        }
    }

    /// Each view's target is composed once, from its configuration.
    @Test func aViewCarriesItsTarget() throws {
        let (registry, _) = try fixture()
        let view = try #require(registry.snapshot.view("d"))
        #expect(view.target == EndpointTarget(name: "d", baseURL: "http://d.local:11434", priority: 100,
                                              extraHeaders: view.config.headers, type: .openAICompatible))
    }

    /// A snapshot's targets carry their endpoint's position in the registry (`slot`), where the
    /// registry counts their requests without hashing the name: the same counts as by name. A
    /// slot that is not the named endpoint's (a target from another registry) counts by name.
    @Test func targetsCountByTheirSlotAsByName() throws {
        let (registry, _) = try fixture()
        let targets = registry.snapshot.endpoints.map(\.target)
        #expect(targets.map(\.slot) == [0, 1, 2, 3])
        let b = targets[1]
        registry.requestStarted(on: b.name, slot: b.slot)
        registry.requestStarted(on: "b")
        #expect(registry.inFlightCount("b") == 2)
        #expect(registry.inFlightCount("b", slot: b.slot) == 2)
        registry.streamStarted(on: b.name, slot: b.slot)
        #expect(registry.streamingCount("b") == 1)
        registry.requestStarted(on: "c", slot: b.slot)  // the slot is b's: counted by name
        #expect(registry.inFlightCount("c") == 1 && registry.inFlightCount("b") == 2)
        #expect(registry.inFlightCount("a", slot: 99) == 0)
        registry.streamEnded(on: b.name, slot: b.slot)
        registry.requestEnded(on: b.name, slot: b.slot)
        registry.requestEnded(on: "b", slot: nil)
        registry.requestEnded(on: "c", slot: 3)
        #expect(registry.streamingCount("b") == 0)
        #expect(targets.allSatisfy { registry.inFlightCount($0.name, slot: $0.slot) == 0 })
        // A reload keeps an unchanged endpoint's counts, and its new targets find them by slot.
        registry.requestStarted(on: "c", slot: 2)
        let reloaded = EndpointRegistry(endpoints: [try Self.endpoint("c"), try Self.endpoint("a", priority: 200)],
                                        carryingOver: registry)
        let c = try #require(reloaded.snapshot.view("c")?.target)
        #expect(c.slot == 0)
        #expect(reloaded.inFlightCount("c", slot: c.slot) == 1)
        reloaded.requestEnded(on: "c", slot: 2)  // the old slot: counted by name, the same counter
        #expect(registry.inFlightCount("c") == 0 && reloaded.inFlightCount("c", slot: 0) == 0)
    }

    /// Each endpoint's live state is found by its name, in a fleet small enough to search and
    /// in one large enough to need the table by name, and a reload that reorders the
    /// endpoints keeps each unchanged one's health and models, at its new position.
    @Test func liveStateIsFoundByNameAndCarriedOverInAnyOrder() throws {
        for size in [3, 12] {
            let endpoints = try (0..<size).map { try Self.endpoint("e\($0)") }
            let registry = EndpointRegistry(endpoints: endpoints)
            let last = "e\(size - 1)"
            registry.updateInventory(last, models: try Self.tags(["llama3:latest"]), loaded: [], version: nil)
            registry.updateHealth("e1") { $0.probeFailed(.timeout, now: .now) }
            #expect(registry.snapshot.view("e1")?.isRoutable == false)
            #expect(registry.snapshot.view("e0")?.isRoutable == true)
            #expect(registry.healthSnapshot("e1") != nil && registry.healthSnapshot("nope") == nil)
            #expect(registry.updateHealth("nope") { $0.probeFailed(.timeout, now: .now) } == nil)
            let holders = registry.snapshot.routableHolders(ofKey: ModelName.canonical("llama3"), speaking: .native)
            #expect(holders.map { registry.snapshot.endpoints[$0].config.name } == [last])
            let reloaded = EndpointRegistry(endpoints: endpoints.reversed(), carryingOver: registry)
            #expect(reloaded.snapshot.view("e1")?.isRoutable == false)
            #expect(reloaded.snapshot.view("e0")?.isRoutable == true)
            #expect(reloaded.snapshot.view(last)?.holds(ModelName.canonical("llama3")) == true)
            #expect(reloaded.probeSchedule().map(\.endpoint.name) == endpoints.reversed().map(\.name))
        }
    }

    /// `/api/version` reports the lowest routable version, the last known one while every
    /// Ollama instance is down, and nothing (Olla says why) when none ever reported one.
    @Test func ollamaVersionIsTheLowestThenTheLastKnown() throws {
        let (registry, _) = try fixture()
        #expect(registry.snapshot.ollamaVersion == "0.5.0")
        registry.updateHealth("a") { $0.probeFailed(.timeout, now: .now) }
        #expect(registry.snapshot.ollamaVersion == "0.6.0")
        registry.updateHealth("b") { $0.probeFailed(.timeout, now: .now) }
        registry.updateHealth("c") { $0.probeFailed(.timeout, now: .now) }
        #expect(registry.snapshot.ollamaVersion == "0.5.0", "all down: the lowest version known")
        let fresh = EndpointRegistry(endpoints: [try Self.endpoint("x")])
        #expect(fresh.snapshot.ollamaVersion == nil)
    }
}
