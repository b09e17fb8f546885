import OllaCore
import Synchronization

/// The live view of every configured endpoint: health, what it holds, what it is doing.
///
/// Configuration (`EndpointConfig`) and live state (`EndpointHealth`, `EndpointInventory`,
/// in-flight counts) are kept apart. Readers on the request path take one immutable
/// `RoutingSnapshot`; writers (probes, discovery, request outcomes) rebuild it only when
/// something routing depends on changed.
public final class EndpointRegistry: Sendable {
    /// Every configured endpoint, in file order.
    public let endpoints: [EndpointConfig]
    /// Each endpoint's live state, in the order of `endpoints` (an endpoint's state is at the
    /// position of the first endpoint of its name: `position(of:)`). An array, not a table by
    /// name: every answer's head changes its endpoint's health, and a table hashed the name.
    private let live: Mutex<[LiveState]>
    /// Each endpoint's position in `endpoints` by name (the first of a name configured twice),
    /// for fleets too large to search (`position(of:)`).
    private let positions: [String: Int]
    private let published: Mutex<RoutingSnapshot>
    /// Each endpoint's request counts, by name, and in the order of `endpoints`: an
    /// `EndpointTarget` from this registry's snapshot carries its endpoint's position there
    /// (`slot`), so the request path counts without hashing the name.
    private let counters: [String: EndpointCounters]
    /// The same counters by position, unretained (`counters` keeps them alive as long as this
    /// registry): both workers count every request here, and a retain and a release of a
    /// shared object are two more atomic writes to a cache line the other worker writes too.
    private let countersBySlot: [Unmanaged<EndpointCounters>]
    private let blobs: BlobPlacement
    /// The `residency-aware` balancer's state: what each instance holds, learned costs, the
    /// hold queue. Carried over on reload.
    public let scheduler: FleetScheduler
    /// Rung when something changes what the endpoint monitor must do next (a probe moved
    /// earlier, a request held); the monitor sleeps on it. Carried over on reload.
    public let wake: WakeSignal

    struct LiveState {
        var health: EndpointHealth
        var inventory: EndpointInventory?
    }

    /// `previous` is the registry of the configuration being replaced on reload: endpoints
    /// whose configuration did not change keep their health, models and counters.
    public init(endpoints: [EndpointConfig], carryingOver previous: EndpointRegistry? = nil,
                scheduling: SchedulerSettings = .defaults, now: ContinuousClock.Instant = .now) {
        self.endpoints = endpoints
        var states: [String: LiveState] = [:]
        var counters: [String: EndpointCounters] = [:]
        var positions: [String: Int] = [:]
        let kept = previous?.live.withLock { $0 } ?? []
        for (at, endpoint) in endpoints.enumerated() {
            if positions[endpoint.name] == nil { positions[endpoint.name] = at }
            if let old = previous?.endpoint(named: endpoint.name), old == endpoint,
               let position = previous?.position(of: endpoint.name), kept.indices.contains(position) {
                states[endpoint.name] = kept[position]
                counters[endpoint.name] = previous?.counters[endpoint.name] ?? EndpointCounters()
            } else {
                states[endpoint.name] = LiveState(health: EndpointHealth(config: endpoint, now: now))
                counters[endpoint.name] = EndpointCounters()
            }
        }
        self.positions = positions
        self.live = Mutex(endpoints.map { states[$0.name]! })
        self.counters = counters
        self.countersBySlot = endpoints.map { Unmanaged.passUnretained(counters[$0.name]!) }
        self.blobs = previous?.blobs ?? BlobPlacement()
        self.wake = previous?.wake ?? WakeSignal()
        if let kept = previous?.scheduler {
            kept.configure(settings: scheduling, endpoints: endpoints)
            self.scheduler = kept
        } else {
            self.scheduler = FleetScheduler(settings: scheduling, endpoints: endpoints, wake: wake)
        }
        self.published = Mutex(RoutingSnapshot(endpoints: [], inventories: []))
        republish(now: now)
    }

    /// The current routing view: cheap to take, never changes under the reader.
    public var snapshot: RoutingSnapshot { published.withLock { $0 } }

    /// The position in `endpoints` of the endpoint called `name` (the first, for a name
    /// configured twice), where its live state is kept. A small fleet is searched: the name an
    /// answer carries shares its storage with the configuration's, so each comparison is a
    /// pointer check, where hashing the name cost ~0.35 K instructions per answer.
    private func position(of name: String) -> Int? {
        guard endpoints.count <= Self.searchedFleetSize else { return positions[name] }
        for at in endpoints.indices where endpoints[at].name == name { return at }
        return nil
    }

    /// Up to this many endpoints, `position(of:)` compares names instead of hashing one.
    static let searchedFleetSize = 8

    /// The configuration of the endpoint called `name`; nil for an unknown name.
    public func endpoint(named name: String) -> EndpointConfig? {
        endpoints.first { $0.name == name }
    }

    // MARK: In-flight requests

    // Each takes the endpoint's name and, when the caller has it, its target's `slot`: then
    // no String is hashed (five lookups per request before).

    /// Runs `body` on the counters of `endpoint`: at `slot` when that is its position here (a
    /// target from this registry's snapshot: the names share their storage, so the check is
    /// one compare), without a retain; else found by name. Nil for an unknown endpoint.
    @inline(__always)
    private func withCounters<T>(_ endpoint: String, slot: Int?, _ body: (EndpointCounters) -> T) -> T? {
        if let slot, countersBySlot.indices.contains(slot), endpoints[slot].name == endpoint {
            return countersBySlot[slot]._withUnsafeGuaranteedRef(body)
        }
        return counters[endpoint].map(body)
    }

    /// Counts a request sent to `endpoint` (the least-connections balancer and the status page read it).
    public func requestStarted(on endpoint: String, slot: Int? = nil) {
        withCounters(endpoint, slot: slot) { $0.inFlight.wrappingAdd(1, ordering: .relaxed) }
    }

    /// Counts a request to `endpoint` as ended.
    public func requestEnded(on endpoint: String, slot: Int? = nil) {
        withCounters(endpoint, slot: slot) { $0.inFlight.wrappingSubtract(1, ordering: .relaxed) }
    }

    /// Requests in flight to `endpoint` now; 0 for an unknown name.
    public func inFlightCount(_ endpoint: String, slot: Int? = nil) -> Int {
        withCounters(endpoint, slot: slot) { $0.inFlight.load(ordering: .relaxed) } ?? 0
    }

    /// A response from `endpoint` started streaming to a client (its head arrived).
    public func streamStarted(on endpoint: String, slot: Int? = nil) {
        withCounters(endpoint, slot: slot) { $0.streaming.wrappingAdd(1, ordering: .relaxed) }
    }

    /// That response ended.
    public func streamEnded(on endpoint: String, slot: Int? = nil) {
        withCounters(endpoint, slot: slot) { $0.streaming.wrappingSubtract(1, ordering: .relaxed) }
    }

    /// Responses `endpoint` is streaming now: evidence that it is alive whatever a probe says.
    public func streamingCount(_ endpoint: String) -> Int {
        counters[endpoint]?.streaming.load(ordering: .relaxed) ?? 0
    }

    // MARK: Health feedback

    /// Applies a change to one endpoint's health and republishes if routing changed.
    /// Returns the transition so callers can react (re-discover models on recovery).
    @discardableResult
    public func updateHealth(
        _ endpoint: String, now: ContinuousClock.Instant = .now,
        _ change: (inout EndpointHealth) -> EndpointHealth.Transition?
    ) -> EndpointHealth.Transition? {
        let (transition, probeSooner) = live.withLock { states -> (EndpointHealth.Transition?, Bool) in
            // Changed in place at its position: no hash of the name, no copy of the state out
            // and back (every answer's head passes here).
            guard let at = position(of: endpoint) else { return (nil, false) }
            return Self.apply(change, to: &states[at].health)
        }
        if transition != nil { republish(now: now) }
        if probeSooner { wake.ring() }
        return transition
    }

    /// `change` applied to `health` in place (one access: reading the health through the
    /// table's subscript copied the whole live state out), and whether it brought the next
    /// probe forward.
    private static func apply(_ change: (inout EndpointHealth) -> EndpointHealth.Transition?,
                              to health: inout EndpointHealth) -> (EndpointHealth.Transition?, Bool) {
        let probeWasDue = health.nextProbeAt
        let transition = change(&health)
        return (transition, health.nextProbeAt < probeWasDue)
    }

    /// The next time each endpoint wants a probe.
    public func probeSchedule() -> [(endpoint: EndpointConfig, due: ContinuousClock.Instant)] {
        live.withLock { states in
            endpoints.compactMap { endpoint in
                position(of: endpoint.name).map { (endpoint, states[$0].health.nextProbeAt) }
            }
        }
    }

    /// `endpoint`'s health as of `now`, for status pages and logs; nil for an unknown name.
    public func healthSnapshot(_ endpoint: String, now: ContinuousClock.Instant = .now) -> HealthSnapshot? {
        guard let at = position(of: endpoint) else { return nil }
        return live.withLock { $0[at].health.snapshot(now: now) }
    }

    // MARK: Inventory

    /// Records what an endpoint reported; nil fields keep what was known.
    public func updateInventory(_ endpoint: String, models: [ModelEntry]?, loaded: [LoadedModel]?,
                                version: String?, now: ContinuousClock.Instant = .now) {
        guard let config = self.endpoint(named: endpoint), let at = position(of: endpoint) else { return }
        let changed = live.withLock { states -> Bool in
            var state = states[at]
            // Without a model list there is nothing to route by: an endpoint counts as
            // discovered only once one arrived, so a failed first listing is retried.
            guard state.inventory != nil || models != nil else { return false }
            var inventory = state.inventory ?? EndpointInventory(endpoint: endpoint, kind: config.type, models: [])
            if let models { inventory.models = models }
            if let loaded { inventory.loaded = loaded }
            if let version { inventory.version = version }
            let changed = state.inventory != inventory
            state.inventory = inventory
            states[at] = state
            return changed
        }
        if changed { republish(now: now) }
    }

    // MARK: Blob placement

    /// `ollama create` uploads blobs and then calls `/api/create`: both must reach one instance.
    public func blobStored(_ digest: String, on endpoint: String) { blobs.record(digest, endpoint) }
    /// The endpoint a blob was uploaded to, if Olla saw the upload (`/api/create` follows it there).
    public func endpointHolding(blob digest: String) -> String? { blobs.endpoint(for: digest) }

    // MARK: Publishing

    /// Builds and publishes the snapshot while holding the state lock: two changes racing
    /// must not publish out of order (a snapshot built before the other change, published
    /// after it, would hide that change until the next one).
    private func republish(now: ContinuousClock.Instant) {
        live.withLock { states in
            let views = endpoints.enumerated().map { slot, endpoint -> RoutingSnapshot.EndpointView in
                let state = states[position(of: endpoint.name) ?? slot]
                return RoutingSnapshot.EndpointView(
                    config: endpoint, state: state.health.state, isRoutable: state.health.isRoutable,
                    inventory: state.inventory, slot: slot)
            }
            let snapshot = RoutingSnapshot(endpoints: views, inventories: views.compactMap { view in
                view.isRoutable ? view.inventory : nil
            })
            published.withLock { $0 = snapshot }
        }
    }
}

/// One endpoint's live request counts, updated on the request path without a lock; carried
/// over on reload while the endpoint's configuration is unchanged. The counts lie in the
/// object itself (each was an object of its own: one more retained reference per update).
final class EndpointCounters: Sendable {
    /// Requests in flight to the endpoint.
    let inFlight = Atomic<Int>(0)
    /// Answers the endpoint is streaming to clients now.
    let streaming = Atomic<Int>(0)

    init() {}
}

/// Which endpoint received which blob, bounded so a long-running daemon does not grow.
final class BlobPlacement: Sendable {
    private static let capacity = 4096
    private let entries = Mutex<(map: [String: String], order: [String])>(([:], []))

    func record(_ digest: String, _ endpoint: String) {
        entries.withLock { entries in
            if entries.map.updateValue(endpoint, forKey: digest) == nil {
                entries.order.append(digest)
                if entries.order.count > Self.capacity {
                    entries.map[entries.order.removeFirst()] = nil
                }
            }
        }
    }

    func endpoint(for digest: String) -> String? {
        entries.withLock { $0.map[digest] }
    }
}
