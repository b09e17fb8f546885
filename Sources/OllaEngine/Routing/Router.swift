import OllaCore
import Synchronization

/// Chooses instances for each request from the current `RoutingSnapshot`.
///
/// Model-bound calls go only to instances that have the model (`strict`), or fall back to any
/// healthy instance when none has it (`optimistic`). The balancer orders the chosen instances;
/// the order is also the failover order.
public final class Router: Sendable {
    private let registry: EndpointRegistry
    private let strategy: RoutingStrategyKind
    private let balancer: Balancer
    private let pullTarget: PullTarget
    private let turn = Atomic<UInt64>(0)

    /// Where `/api/pull` downloads a model.
    public enum PullTarget: Sendable, Equatable {
        /// The instance the balancer picks among all healthy ones.
        case best
        /// Every healthy instance.
        case all
        /// One named instance.
        case endpoint(String)
    }

    /// Creates a router over `registry`'s snapshots: `strategy` decides which instances may
    /// serve a model, `balancer` their order, `pullTarget` where pulls go.
    public init(registry: EndpointRegistry, strategy: RoutingStrategyKind, balancer: Balancer, pullTarget: PullTarget) {
        self.registry = registry
        self.strategy = strategy
        self.balancer = balancer
        self.pullTarget = pullTarget
    }

    /// The plan for one request: candidates in failover order, a fan-out, a hold in the
    /// scheduler's queue, or an answer of Olla's own (404, 503). Reads one snapshot; never blocks.
    public func plan(_ request: RoutingRequest) -> RoutingPlan {
        let snapshot = registry.snapshot
        switch request.operation {
        case .modelBound:
            if let model = request.model, request.body.isUnload {
                return unload(request, model, eligible: Self.eligible(snapshot, request))
            }
            return modelBound(request, snapshot: snapshot)
        case .other where request.model != nil:
            // A route Olla's table does not know yet, naming a model: routed like /api/chat.
            return modelBound(request, snapshot: snapshot)
        default:
            return planOther(request, snapshot: snapshot, eligible: Self.eligible(snapshot, request))
        }
    }

    /// Routable endpoints that serve the request's API, in configuration order.
    private static func eligible(_ snapshot: RoutingSnapshot, _ request: RoutingRequest) -> [RoutingSnapshot.EndpointView] {
        snapshot.endpoints.filter { view in view.isRoutable && view.speaks(request.route.flavor) }
    }

    /// The plan of the operations that are not model-bound, among `eligible`.
    private func planOther(_ request: RoutingRequest, snapshot: RoutingSnapshot,
                           eligible: [RoutingSnapshot.EndpointView]) -> RoutingPlan {
        switch request.operation {
        case .modelBound, .other where request.model != nil:
            return modelBound(request, snapshot: snapshot)
        case .pull:
            return pull(request, eligible: eligible)
        case .copy, .delete:
            return everyHolder(request, snapshot: snapshot, eligible: eligible)
        case .create:
            return create(request, eligible: eligible)
        case .blobCheck(let digest), .blobUpload(let digest):
            if let holder = registry.endpointHolding(blob: digest), let view = eligible.first(where: { $0.config.name == holder }) {
                return plan(.forward([view.target]), .routed, "blob \(digest.prefix(19)) is on \(holder)")
            }
            return any(request, eligible, modelKey: nil, reason: "no instance holds this blob yet")
        case .other, .listModels, .listRunning, .version, .openAIListModels, .openAIModel:
            return any(request, eligible, modelKey: request.model.map(ModelName.canonical), reason: "any healthy instance")
        }
    }

    // MARK: Operations

    /// A model-bound request: the instances that list its model come from the snapshot's
    /// table by canonical name (no scan, no array of views for the scheduler's case); the
    /// other endpoints are looked at only when none does.
    private func modelBound(_ request: RoutingRequest, snapshot: RoutingSnapshot) -> RoutingPlan {
        guard let model = request.model else {
            // No model in the body: the instance answers with its own "model is required".
            return any(request, Self.eligible(snapshot, request), modelKey: nil, reason: "request names no model")
        }
        let (key, holders) = snapshot.routableHolders(ofModel: model, speaking: request.route.flavor)
        if !holders.isEmpty, balancer.strategy == .residencyAware, let id = request.id, request.route.takesSlot {
            return schedule(id, model: model, key: key, holders: holders, in: snapshot)
        }
        if !holders.isEmpty {
            let ordered = order(holders.map { snapshot.endpoints[$0] }, modelKey: key)
            let loaded = ordered.first?.hasLoaded(key) ?? false
            let reason = loaded ? "model loaded on \(ordered[0].config.name)"
                : "model found on \(holders.count) instance\(holders.count == 1 ? "" : "s")"
            return plan(.forward(ordered.map { $0.target }), .routed, reason)
        }
        let eligible = Self.eligible(snapshot, request)
        let down = snapshot.downHolders(ofKey: key, flavor: request.route.flavor)
        if strategy == .optimistic && !eligible.isEmpty {
            return plan(.forward(order(eligible, modelKey: key).map { $0.target }), .fallback,
                        "model not found on a healthy instance; trying any")
        }
        if !down.isEmpty {
            return unavailable("model '\(model)' is only on instances that are unavailable", down,
                               reason: "model only on unavailable instances")
        }
        if eligible.isEmpty {
            return noInstance(request, snapshot: snapshot)
        }
        // Instances that have not reported their models yet cannot be ruled out.
        let unlisted = eligible.filter { $0.inventory == nil }
        if !unlisted.isEmpty {
            return plan(.forward(order(unlisted, modelKey: key).map { $0.target }), .fallback,
                        "model list not known yet")
        }
        return plan(.reject(.modelNotFound(model, path: request.route.path), retryAfterSeconds: nil),
                    .rejected, "model not found on any instance")
    }

    private func unload(_ request: RoutingRequest, _ model: String, eligible: [RoutingSnapshot.EndpointView]) -> RoutingPlan {
        let key = ModelName.canonical(model)
        let loadedOn = eligible.filter { $0.hasLoaded(key) }
        guard !loadedOn.isEmpty else {
            // Not loaded anywhere: one holder answers the unload as Ollama would.
            let holders = eligible.filter { $0.holds(key) }
            return any(request, holders.isEmpty ? eligible : holders, modelKey: key, reason: "unload: model not loaded anywhere")
        }
        registry.scheduler.unloading(model, on: loadedOn.map(\.config.name))
        return plan(.fanOut(loadedOn.map { $0.target }), .fanOut,
                    "unload on every instance that has it loaded (\(loadedOn.count))")
    }

    private func pull(_ request: RoutingRequest, eligible: [RoutingSnapshot.EndpointView]) -> RoutingPlan {
        switch pullTarget {
        case .best:
            return any(request, eligible, modelKey: request.model.map(ModelName.canonical), reason: "pull onto the best instance")
        case .all:
            guard !eligible.isEmpty else { return noInstance(request, snapshot: registry.snapshot) }
            return plan(.fanOut(eligible.map { $0.target }), .fanOut, "pull onto every instance")
        case .endpoint(let name):
            guard let view = eligible.first(where: { $0.config.name == name }) else {
                return unavailable("the pull target '\(name)' is unavailable", [name], reason: "pull target unavailable")
            }
            return plan(.forward([view.target]), .routed, "pull onto the configured target")
        }
    }

    private func everyHolder(_ request: RoutingRequest, snapshot: RoutingSnapshot, eligible: [RoutingSnapshot.EndpointView]) -> RoutingPlan {
        guard let model = request.model else { return any(request, eligible, modelKey: nil, reason: "request names no model") }
        let key = ModelName.canonical(model)
        let holders = eligible.filter { $0.holds(key) }
        guard !holders.isEmpty else {
            let down = snapshot.downHolders(ofKey: key, flavor: request.route.flavor)
            if !down.isEmpty {
                return unavailable("model '\(model)' is only on instances that are unavailable", down,
                                   reason: "model only on unavailable instances")
            }
            return plan(.reject(.modelNotFound(model, path: request.route.path), retryAfterSeconds: nil),
                        .rejected, "model not found on any instance")
        }
        return plan(.fanOut(holders.map { $0.target }), .fanOut,
                    "every instance that has the model (\(holders.count))")
    }

    private func create(_ request: RoutingRequest, eligible: [RoutingSnapshot.EndpointView]) -> RoutingPlan {
        for digest in CreateRequest.blobDigests(request.smallBody) {
            if let holder = registry.endpointHolding(blob: digest),
               let view = eligible.first(where: { $0.config.name == holder }) {
                return plan(.forward([view.target]), .routed, "the instance that received the blobs")
            }
        }
        return any(request, eligible, modelKey: request.model.map(ModelName.canonical), reason: "no uploaded blobs known; best instance")
    }

    // MARK: Residency-aware scheduling

    /// Places a model-bound request with the `residency-aware` scheduler: dispatch now,
    /// hold in Olla's queue, or refuse when that queue is full.
    /// `key`: `ModelName.canonical(model)`; `holders`: indices in `snapshot.endpoints`
    /// (`RoutingSnapshot.routableHolders`).
    private func schedule(_ id: UInt64, model: String, key: String, holders: [Int], in snapshot: RoutingSnapshot) -> RoutingPlan {
        // The views are read in place (a view is a large struct: `endpoints[i].config` copied
        // the whole configuration out and released it again), and the arrays are made at
        // their final size (`map`/`compactMap` grew theirs).
        let candidates = snapshot.endpoints.withUnsafeBufferPointer { views in
            var candidates: [SchedulingCandidate] = []
            candidates.reserveCapacity(holders.count)
            for index in holders {
                let slot = views[index].target.slot
                candidates.append(SchedulingCandidate(
                    name: views[index].config.name, priority: views[index].config.priority,
                    weight: views[index].config.weight, state: views[index].state,
                    inFlight: registry.inFlightCount(views[index].config.name, slot: slot), slot: slot))
            }
            return candidates
        }
        switch registry.scheduler.admit(id, model: model, key: key, candidates: candidates) {
        case .dispatch(let placement):
            // The estimates are read where they lie: `for estimate in`, `.first?` and the
            // reason's `first?.summary` each copied a whole `PlacementEstimate` out (a retain
            // and a release of each of its strings).
            let estimates = placement.estimates
            let (targets, reason) = snapshot.endpoints.withUnsafeBufferPointer { views in
                var targets: [EndpointTarget] = []
                targets.reserveCapacity(estimates.count)
                for at in estimates.indices {
                    if let index = Self.view(of: estimates[at].candidate, among: holders, in: views) {
                        targets.append(views[index].target)
                    }
                }
                return (targets, Self.dispatchReason(placement, estimates, holders: holders, views: views))
            }
            // The first estimate read in place too: `estimates[0].expectedWait` and
            // `estimates[0].candidate.name` copied it out of the array (~0.24 K).
            let (wait, placedOn) = estimates.withUnsafeBufferPointer { first -> (Double?, String?) in
                first.isEmpty ? (nil, nil) : (first[0].expectedWait, first[0].candidate.name)
            }
            return RoutingPlan(target: .forward(targets), strategy: strategy, decision: .routed, reason: reason,
                               scheduled: true, estimatedWait: wait, modelKey: key, placedOn: placedOn)
        case .held(let placement):
            return RoutingPlan(target: .hold(model: model), strategy: strategy, decision: .routed, reason: placement.reason,
                               scheduled: true, estimatedWait: placement.estimates.first?.expectedWait, modelKey: key)
        case .refused(let error, let retryAfter):
            return plan(.reject(error, retryAfterSeconds: retryAfter), .rejected, "hold queue for '\(model)' is full")
        }
    }

    /// The index in `views` of `candidate`'s endpoint, among `holders`: its `slot` when that is
    /// its position there (a snapshot's views are in registry order) and it holds that name,
    /// else found by name.
    private static func view(of candidate: SchedulingCandidate, among holders: [Int],
                             in views: UnsafeBufferPointer<RoutingSnapshot.EndpointView>) -> Int? {
        if let slot = candidate.slot, views.indices.contains(slot), views[slot].config.name == candidate.name,
           holders.contains(slot) {
            return slot
        }
        return holders.first { views[$0].config.name == candidate.name }
    }

    /// `placement.reason` of a dispatch, with the usual summary, "loaded on NAME, free", taken
    /// from the endpoint's view (`EndpointView.freeSummary`, made once per snapshot) instead of
    /// built per request (~1 K instructions and an allocation); any other case is
    /// `placement.reason` itself.
    static func dispatchReason(_ placement: Placement, _ estimates: [PlacementEstimate], holders: [Int],
                               views: UnsafeBufferPointer<RoutingSnapshot.EndpointView>) -> String {
        guard case .dispatch = placement, !estimates.isEmpty else { return placement.reason }
        func cached(_ at: Int) -> String? {
            guard estimates[at].residency == .loaded, estimates[at].queueWait < 0.05,
                  let index = view(of: estimates[at].candidate, among: holders, in: views) else { return nil }
            return views[index].freeSummary
        }
        guard let first = cached(0) else { return placement.reason }
        if estimates.count == 1 { return first }
        guard let second = cached(1) else { return placement.reason }
        var reason = first
        reason.reserveCapacity(first.utf8.count + 2 + second.utf8.count)
        reason += "; "
        reason += second
        return reason
    }

    /// The instances a held request for `model` could go to now: routable, speaking the
    /// route's API, listing the model.
    public func schedulingCandidates(model: String, flavor: APIFlavor) -> [SchedulingCandidate] {
        let key = ModelName.canonical(model)
        return registry.snapshot.endpoints.filter { view in
            view.isRoutable && view.speaks(flavor) && view.holds(key)
        }.map { schedulingCandidate($0.config, state: $0.state, slot: $0.target.slot) }
    }

    /// The plan for a held request the scheduler released with `estimates`.
    public func releasedPlan(_ estimates: [PlacementEstimate], reason: String) -> RoutingPlan {
        var released = plan(.forward(targets(estimates, among: registry.snapshot.endpoints)), .routed, reason)
        released.scheduled = true
        released.placedOn = estimates.isEmpty ? nil : estimates[0].candidate.name  // where `pump` counted it
        return released
    }

    private func schedulingCandidate(_ config: EndpointConfig, state: EndpointState,
                                     slot: Int?) -> SchedulingCandidate {
        SchedulingCandidate(name: config.name, priority: config.priority, weight: config.weight,
                            state: state, inFlight: registry.inFlightCount(config.name, slot: slot), slot: slot)
    }

    private func targets(_ estimates: [PlacementEstimate], among views: [RoutingSnapshot.EndpointView]) -> [EndpointTarget] {
        estimates.compactMap { estimate in
            views.first { $0.config.name == estimate.candidate.name }.map { $0.target }
        }
    }

    // MARK: Helpers

    /// Any of `views`, ordered by the balancer; `modelKey` is the request's canonical model
    /// name (`ModelName.canonical`), when it names one.
    private func any(_ request: RoutingRequest, _ views: [RoutingSnapshot.EndpointView], modelKey: String?,
                     reason: String) -> RoutingPlan {
        guard !views.isEmpty else { return noInstance(request, snapshot: registry.snapshot) }
        return plan(.forward(order(views, modelKey: modelKey).map { $0.target }), .routed, reason)
    }

    /// Nothing is routable: every instance that speaks the request's API was found down by
    /// health checks (offline, including one that accepts connections and never answers, or
    /// unhealthy). Trying them anyway would cost every request a connect or first-byte
    /// timeout per instance (issue #10: three silent instances made a generate wait 9 s for
    /// a 504), so the answer is an immediate 503 that names each instance and why it is
    /// down, with `Retry-After` set to the soonest next health check. Instances not checked
    /// yet (`unknown`) are routable and never end up here.
    private func noInstance(_ request: RoutingRequest, snapshot: RoutingSnapshot) -> RoutingPlan {
        let speaking = snapshot.endpoints.filter { $0.speaks(request.route.flavor) }
        guard !speaking.isEmpty else {
            let error = ProxyError(.serviceUnavailable, "no instance serves this API")
            return plan(.reject(error, retryAfterSeconds: Unavailability.fallbackRetryAfterSeconds), .rejected,
                        "no instance serves this API")
        }
        return unavailable("no instance is available", speaking.map(\.config.name), reason: "every instance is down")
    }

    /// A `503` naming `names` with their states and last errors (`Unavailability`), and a
    /// `Retry-After` of the soonest next probe among them.
    private func unavailable(_ message: String, _ names: [String], reason: String) -> RoutingPlan {
        let why = registry.unavailability(of: names)
        let error = ProxyError(.serviceUnavailable, why.detail.isEmpty ? message : "\(message): \(why.detail)")
        return plan(.reject(error, retryAfterSeconds: why.retryAfterSeconds), .rejected, reason)
    }

    private func order(_ views: [RoutingSnapshot.EndpointView], modelKey: String?) -> [RoutingSnapshot.EndpointView] {
        let candidates = views.map { view in
            BalancerCandidate(
                name: view.config.name, priority: view.config.priority, weight: view.config.weight,
                inFlight: registry.inFlightCount(view.config.name, slot: view.target.slot), state: view.state,
                modelLoaded: modelKey.map { view.hasLoaded($0) } ?? false)
        }
        let ordered = balancer.order(candidates, turn: turn.wrappingAdd(1, ordering: .relaxed).oldValue)
        return ordered.compactMap { candidate in views.first { $0.config.name == candidate.name } }
    }

    private func plan(_ target: RoutingPlan.Target, _ decision: RoutingPlan.Decision, _ reason: String) -> RoutingPlan {
        RoutingPlan(target: target, strategy: strategy, decision: decision, reason: reason)
    }

}
